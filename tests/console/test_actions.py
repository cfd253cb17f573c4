"""Every console action through HTTP as each operator role: allowed roles change the
state and leave an audit row with the operator and the reason; the others get 403 and
nothing changes."""

import io
import zipfile

import pytest
from django.db import connection

from billing.models import Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from lumbung.console.models import MigrationRun
from tenants.models import Cooperative, Domain, SignupRequest
from tenants.operators import ACTIONS

pytestmark = pytest.mark.django_db
ROLES = ("support", "billing", "admin")
REASON = "Permintaan tertulis ketua koperasi no. 12/2026"


def url(coop, action):
    return f"/konsol/koperasi/{coop.pk}/{action}/"


def post(client, coop, action, **data):
    return client.post(url(coop, action), {"reason": REASON, "confirm": "on", **data})


def audited(action: str, operator) -> AuditEvent | None:
    connection.set_schema_to_public()
    return AuditEvent.objects.filter(action=action, actor=operator).order_by("-pk").first()


def sub_of(coop) -> Subscription:
    return Subscription.objects.get(cooperative=coop)


def set_status(coop, status):
    from billing.services import subscription_status_override

    subscription_status_override(
        subscription=sub_of(coop), status=status, operator="tests", reason="setup"
    )
    coop.refresh_from_db()


def role_cases(action):
    return [pytest.param(role, role in ACTIONS[action], id=role) for role in ROLES]


@pytest.mark.parametrize("role,allowed", role_cases("suspend"))
def test_suspend(op_clients, operators, tenant_a, role, allowed):
    resp = post(op_clients[role], tenant_a, "suspend")
    tenant_a.refresh_from_db()
    if allowed:
        assert resp.status_code == 302
        assert tenant_a.status == Cooperative.Status.SUSPENDED
        assert sub_of(tenant_a).status == Subscription.Status.SUSPENDED
        assert audited("console.tenant_suspended", operators[role]).reason == REASON
    else:
        assert resp.status_code == 403
        assert tenant_a.status == Cooperative.Status.TRIAL
        assert audited("console.tenant_suspended", operators[role]) is None


def test_action_needs_reason_and_confirmation(op_clients, tenant_a):
    client = op_clients["admin"]
    no_reason = client.post(url(tenant_a, "suspend"), {"confirm": "on", "reason": ""})
    unconfirmed = client.post(url(tenant_a, "suspend"), {"reason": REASON})
    assert no_reason.status_code == 200 and unconfirmed.status_code == 200
    tenant_a.refresh_from_db()
    assert tenant_a.status == Cooperative.Status.TRIAL


def test_confirmation_page_is_shown_before_acting(op_clients, tenant_a):
    page = op_clients["admin"].get(url(tenant_a, "archive"))
    assert page.status_code == 200 and 'name="confirm"' in page.content.decode()
    tenant_a.refresh_from_db()
    assert tenant_a.status == Cooperative.Status.TRIAL


@pytest.mark.parametrize("role,allowed", role_cases("reactivate"))
def test_reactivate(op_clients, operators, tenant_a, role, allowed):
    set_status(tenant_a, Subscription.Status.SUSPENDED)
    resp = post(op_clients[role], tenant_a, "reactivate", days=14)
    tenant_a.refresh_from_db()
    if allowed:
        assert resp.status_code == 302
        # Still inside the trial and nothing paid: back to trial.
        assert tenant_a.status == Cooperative.Status.TRIAL
        assert audited("console.tenant_reactivated", operators[role]).reason == REASON
    else:
        assert resp.status_code == 403
        assert tenant_a.status == Cooperative.Status.SUSPENDED


@pytest.mark.parametrize("role,allowed", role_cases("archive"))
def test_archive(op_clients, operators, tenant_a, role, allowed):
    resp = post(op_clients[role], tenant_a, "archive")
    tenant_a.refresh_from_db()
    if allowed:
        assert resp.status_code == 302 and tenant_a.status == Cooperative.Status.ARCHIVED
        assert audited("console.tenant_archived", operators[role]).reason == REASON
    else:
        assert resp.status_code == 403 and tenant_a.status == Cooperative.Status.TRIAL


@pytest.mark.parametrize("role,allowed", role_cases("extend_trial"))
def test_extend_trial(op_clients, operators, tenant_a, role, allowed):
    before = sub_of(tenant_a).trial_ends_at
    resp = post(op_clients[role], tenant_a, "extend_trial", days=10)
    after = sub_of(tenant_a).trial_ends_at
    if allowed:
        assert resp.status_code == 302
        assert (after - before).days == 10
        event = audited("console.trial_extended", operators[role])
        assert event.reason == REASON and event.data["days"] == 10
    else:
        assert resp.status_code == 403 and after == before


def test_extend_trial_brings_a_lapsed_trial_back(op_clients, tenant_a):
    set_status(tenant_a, Subscription.Status.PAST_DUE)
    resp = post(op_clients["billing"], tenant_a, "extend_trial", days=7)
    assert resp.status_code == 302
    tenant_a.refresh_from_db()
    assert tenant_a.status == Cooperative.Status.TRIAL


@pytest.mark.parametrize("role,allowed", role_cases("change_plan"))
def test_change_plan(op_clients, operators, tenant_a, role, allowed):
    target = Plan.objects.get(code="sedang")
    resp = post(op_clients[role], tenant_a, "change_plan", plan=target.pk, interval="year")
    sub = sub_of(tenant_a)
    if allowed:
        assert resp.status_code == 302
        assert (sub.plan_id, sub.interval) == (target.pk, "year")
        assert audited("console.plan_changed", operators[role]).reason == REASON
    else:
        assert resp.status_code == 403 and sub.plan_id != target.pk


@pytest.mark.parametrize("role,allowed", role_cases("record_payment"))
def test_record_manual_payment(op_clients, operators, tenant_a, role, allowed):
    plan = Plan.objects.get(code="kecil")
    resp = post(
        op_clients[role],
        tenant_a,
        "record_payment",
        plan=plan.pk,
        interval="month",
        amount=str(plan.price_monthly),
    )
    paid = Invoice.objects.filter(subscription__cooperative=tenant_a, status="paid")
    tenant_a.refresh_from_db()
    if allowed:
        assert resp.status_code == 302
        invoice = paid.get()
        assert invoice.amount == plan.price_monthly and invoice.confirmed_by == operators[role]
        assert tenant_a.status == Cooperative.Status.ACTIVE
        event = audited("console.payment_recorded", operators[role])
        assert event.reason == REASON and event.data["invoice"] == invoice.number
    else:
        assert resp.status_code == 403 and not paid.exists()


def test_record_payment_confirms_an_existing_open_invoice(op_clients, operators, tenant_a):
    from billing.services import bank_invoice_issue

    plan = Plan.objects.get(code="kecil")
    invoice = bank_invoice_issue(subscription=sub_of(tenant_a), plan=plan, interval="month", by="t")
    resp = post(
        op_clients["billing"],
        tenant_a,
        "record_payment",
        invoice=invoice.pk,
        interval="month",
        amount=str(invoice.amount_due),
    )
    assert resp.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


@pytest.mark.parametrize("role,allowed", role_cases("add_domain"))
def test_add_custom_domain(op_clients, operators, tenant_a, role, allowed):
    resp = post(op_clients[role], tenant_a, "add_domain", domain="Kpri-Alpha.Contoh.ID")
    exists = Domain.objects.filter(domain="kpri-alpha.contoh.id", tenant=tenant_a).exists()
    if allowed:
        assert resp.status_code == 302 and exists
        assert audited("console.domain_added", operators[role]).reason == REASON
    else:
        assert resp.status_code == 403 and not exists


def test_add_domain_refuses_bad_or_taken_names(op_clients, tenant_a, tenant_b):
    client = op_clients["admin"]
    bad = post(client, tenant_a, "add_domain", domain="not a domain")
    taken = post(client, tenant_a, "add_domain", domain=tenant_b.domains.first().domain)
    assert bad.status_code == 200 and "bukan nama domain" in bad.content.decode()
    assert taken.status_code == 200 and "sudah dipakai" in taken.content.decode()
    assert tenant_a.domains.count() == 1


@pytest.mark.parametrize("role,allowed", role_cases("export"))
def test_export_tenant_data(op_clients, operators, tenant_a, role, allowed):
    resp = post(op_clients[role], tenant_a, "export", dump="on")
    if not allowed:
        assert resp.status_code == 403
        assert audited("console.tenant_exported", operators[role]) is None
        return
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith('attachment; filename="lumbung-alpha-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(resp.streaming_content)))
    names = archive.namelist()
    assert "README.txt" in names
    assert "csv/users_user.csv" in names and "csv/audit_auditevent.csv" in names
    users_csv = archive.read("csv/users_user.csv").decode()
    assert "admin@alpha.test" in users_csv
    dump = archive.read(f"{tenant_a.schema_name}.sql").decode()
    assert "CREATE TABLE" in dump and tenant_a.schema_name in dump
    assert audited("console.tenant_exported", operators[role]).reason == REASON


def test_export_says_so_when_pg_dump_is_missing(op_clients, tenant_a, monkeypatch):
    monkeypatch.setattr("django.conf.settings.PG_DUMP", "pg_dump")
    import shutil

    real_which = shutil.which
    monkeypatch.setattr(
        "shutil.which", lambda name, *a, **k: None if name == "pg_dump" else real_which(name)
    )
    resp = post(op_clients["admin"], tenant_a, "export", dump="on")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(resp.streaming_content)))
    assert "pg_dump tidak tersedia" in archive.read("README.txt").decode()
    assert not any(n.endswith(".sql") for n in archive.namelist())


@pytest.fixture
def doomed(db):
    """A cooperative of its own (inside the test transaction), archived."""
    from tenants.services import cooperative_create

    made = cooperative_create(
        slug="hapus-aku", name="KPRI Hapus", admin_email="a@hapus.test", admin_password="x-Y-z-123!"
    )
    connection.set_schema_to_public()
    coop = made.cooperative
    set_status(coop, Subscription.Status.ARCHIVED)
    return coop


def _schema_exists(name):
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


@pytest.mark.parametrize("role,allowed", role_cases("delete"))
def test_delete_archived_tenant(op_clients, operators, doomed, role, allowed):
    resp = post(op_clients[role], doomed, "delete", confirm_slug="hapus-aku")
    if allowed:
        assert resp.status_code == 302
        assert not Cooperative.objects.filter(pk=doomed.pk).exists()
        assert not _schema_exists(doomed.schema_name)
        assert not Domain.objects.filter(tenant_id=doomed.pk).exists()
        event = audited("console.tenant_deleted", operators[role])
        assert event.reason == REASON and event.data["slug"] == "hapus-aku"
    else:
        assert resp.status_code == 403
        assert Cooperative.objects.filter(pk=doomed.pk).exists()
        assert _schema_exists(doomed.schema_name)


def test_delete_needs_the_typed_slug(op_clients, doomed):
    resp = post(op_clients["admin"], doomed, "delete", confirm_slug="hapus")
    assert resp.status_code == 200 and "persis" in resp.content.decode()
    assert Cooperative.objects.filter(pk=doomed.pk).exists()


def test_delete_refuses_a_tenant_that_is_not_archived(op_clients, tenant_a):
    resp = post(op_clients["admin"], tenant_a, "delete", confirm_slug=tenant_a.slug)
    assert resp.status_code == 200 and "diarsipkan" in resp.content.decode()
    assert Cooperative.objects.filter(pk=tenant_a.pk).exists()
    assert _schema_exists(tenant_a.schema_name)


@pytest.fixture
def failed_signup(db):
    from datetime import date

    from django.utils import timezone

    return SignupRequest.objects.create(
        public_id="x" * 20,
        slug="gagal-siap",
        name="KPRI Gagal",
        legal_number="AHU-1",
        legal_date=date(2020, 1, 1),
        province="Jawa Barat",
        regency="Bandung",
        member_count=50,
        contact_name="Budi",
        email="budi@gagal.test",
        phone="081234567890",
        password_hash="!",
        terms_accepted_at=timezone.now(),
        status=SignupRequest.Status.FAILED,
        attempts=4,
        last_error="OperationalError: server closed the connection",
    )


@pytest.mark.parametrize("role,allowed", role_cases("retry_provisioning"))
def test_retry_failed_provisioning(
    op_clients, operators, failed_signup, role, allowed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = op_clients[role].post(
            f"/konsol/pendaftaran/{failed_signup.pk}/ulangi/",
            {"reason": REASON, "confirm": "on"},
        )
    failed_signup.refresh_from_db()
    if allowed:
        assert resp.status_code == 302
        assert failed_signup.status == SignupRequest.Status.QUEUED
        assert len(callbacks) == 1  # the provisioning task is posted on commit
        assert audited("console.provisioning_retried", operators[role]).reason == REASON
    else:
        assert resp.status_code == 403
        assert failed_signup.status == SignupRequest.Status.FAILED and not callbacks


def test_retry_is_refused_while_a_newer_signup_holds_the_address(
    op_clients, failed_signup, django_capture_on_commit_callbacks
):
    newer = SignupRequest.objects.create(
        **{
            f.name: getattr(failed_signup, f.name)
            for f in SignupRequest._meta.concrete_fields
            if f.name not in ("id", "public_id", "status", "attempts", "last_error")
        },
        public_id="y" * 20,
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = op_clients["admin"].post(
            f"/konsol/pendaftaran/{failed_signup.pk}/ulangi/",
            {"reason": REASON, "confirm": "on"},
        )
    page = resp.content.decode()
    assert resp.status_code == 200 and f"#{newer.pk}" in page
    failed_signup.refresh_from_db()
    assert failed_signup.status == SignupRequest.Status.FAILED and not callbacks


@pytest.mark.parametrize("role,allowed", role_cases("migrate"))
def test_bulk_migration_action(
    op_clients, operators, role, allowed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = op_clients[role].post("/konsol/migrasi/", {"reason": "rilis 1.4"})
    if allowed:
        assert resp.status_code == 302
        run = MigrationRun.objects.get()
        assert run.status == MigrationRun.Status.QUEUED and len(callbacks) == 1
        assert audited("console.migration_started", operators[role]).reason == "rilis 1.4"
    else:
        assert resp.status_code == 403 and not MigrationRun.objects.exists()


@pytest.mark.parametrize("role,allowed", role_cases("support"))
def test_support_session_start(op_clients, operators, tenant_a, role, allowed):
    resp = post(op_clients[role], tenant_a, "support", minutes=30)
    if allowed:
        assert resp.status_code == 302
        assert resp.url.startswith("http://alpha.localhost") and "/dukungan/masuk/" in resp.url
        assert audited("console.support_session_started", operators[role]).reason == REASON
    else:
        assert resp.status_code == 403
        assert audited("console.support_session_started", operators[role]) is None


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_every_page(op_clients, tenant_a, role):
    client = op_clients[role]
    for path in (
        "/konsol/",
        "/konsol/koperasi/",
        f"/konsol/koperasi/{tenant_a.pk}/",
        "/konsol/pendaftaran-gagal/",
        "/konsol/kesehatan/",
    ):
        assert client.get(path).status_code == 200, path


def test_delete_removes_the_cooperative_files_after_commit(
    op_clients, doomed, tenant_b, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    settings.MEDIA_ROOT = str(tmp_path)
    mine = [
        f"{doomed.schema_name}/loans/2026/01/slip.pdf",
        f"{doomed.schema_name}/billing/proofs/2026/02/bukti.png",
    ]
    other = f"{tenant_b.schema_name}/loans/2026/01/slip.pdf"
    for name in [*mine, other]:
        default_storage.save(name, ContentFile(b"%PDF-1.4 x"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = post(op_clients["admin"], doomed, "delete", confirm_slug="hapus-aku")
    assert resp.status_code == 302
    assert all(default_storage.exists(n) for n in mine)  # not before the commit
    for callback in callbacks:
        callback()
    assert not any(default_storage.exists(n) for n in mine)
    assert not (tmp_path / doomed.schema_name).exists()
    assert default_storage.exists(other)  # another cooperative's files stay


def test_media_remove_accepts_only_a_cooperative_directory():
    from tenants.services import cooperative_media_remove

    for bad in ("", ".", "..", "/", "coop_a/../..", "public", "coop_A"):
        with pytest.raises(ValueError):
            cooperative_media_remove(schema=bad)


def _paid_period(coop, operator, *, plan_code: str, interval: str = "year") -> Invoice:
    """The cooperative pays a period of ``plan_code`` by bank transfer, from today."""
    from django.utils import timezone

    from billing.services import bank_invoice_issue, bank_transfer_confirm

    Subscription.objects.filter(cooperative=coop).update(trial_ends_at=timezone.now())
    invoice = bank_invoice_issue(
        subscription=sub_of(coop), plan=Plan.objects.get(code=plan_code), interval=interval, by="t"
    )
    return bank_transfer_confirm(invoice=invoice, operator=operator)


def test_a_downgrade_inside_a_paid_period_says_it_waits_for_the_renewal(
    op_clients, operators, tenant_a
):
    _paid_period(tenant_a, operators["billing"], plan_code="sedang")
    small = Plan.objects.get(code="kecil")
    resp = post(op_clients["admin"], tenant_a, "change_plan", plan=small.pk, interval="year")
    sub = sub_of(tenant_a)
    assert sub.plan.code == "sedang" and sub.next_plan_id == small.pk  # not changed yet
    html = op_clients["admin"].get(resp.url).content.decode()
    assert "Paket diganti." not in html
    assert "Paket Kecil berlaku mulai" in html and "tetap Sedang" in html
    event = audited("console.plan_changed", operators["admin"])
    assert event.data["from"] == "sedang/year" and event.data["outcome"] == "scheduled"


def test_an_upgrade_inside_a_paid_period_names_the_invoice_to_pay_first(
    op_clients, operators, tenant_a
):
    _paid_period(tenant_a, operators["billing"], plan_code="kecil")
    big = Plan.objects.get(code="besar")
    resp = post(op_clients["admin"], tenant_a, "change_plan", plan=big.pk, interval="year")
    difference = Invoice.objects.get(subscription__cooperative=tenant_a, kind="proration")
    assert sub_of(tenant_a).plan.code == "kecil"  # moves when the difference is paid
    html = op_clients["admin"].get(resp.url).content.decode()
    assert "Paket diganti." not in html
    assert f"Tagihan selisih {difference.number}" in html and "setelah dibayar" in html
    event = audited("console.plan_changed", operators["admin"])
    assert event.data["outcome"] == "invoiced" and event.data["invoice"] == difference.number


def test_a_plan_change_outside_a_paid_period_says_it_applies_now(op_clients, operators, tenant_a):
    target = Plan.objects.get(code="sedang")
    resp = post(op_clients["admin"], tenant_a, "change_plan", plan=target.pk, interval="month")
    html = op_clients["admin"].get(resp.url).content.decode()
    assert "Paket diganti menjadi Sedang (bulanan)." in html
    assert audited("console.plan_changed", operators["admin"]).data["outcome"] == "changed"


def test_deleting_a_cooperative_another_operator_just_deleted_is_refused_clearly(operators, doomed):
    from core.common.errors import ApplicationError
    from lumbung.console import services

    services.tenant_delete(
        operator=operators["admin"], cooperative=doomed, confirm="hapus-aku", reason=REASON
    )
    # the second click of a double submit waited on the row's lock, then finds it gone
    with pytest.raises(ApplicationError) as refused:
        services.tenant_delete(
            operator=operators["admin"], cooperative=doomed, confirm="hapus-aku", reason=REASON
        )
    assert refused.value.code == "console_state_invalid"
    assert "sudah dihapus" in refused.value.message


def test_a_state_action_on_a_deleted_cooperative_is_refused_clearly(operators, doomed):
    from core.common.errors import ApplicationError
    from lumbung.console import services

    services.tenant_delete(
        operator=operators["admin"], cooperative=doomed, confirm="hapus-aku", reason=REASON
    )
    with pytest.raises(ApplicationError) as refused:
        services.tenant_reactivate(operator=operators["admin"], cooperative=doomed, reason=REASON)
    assert "sudah dihapus" in refused.value.message


def test_suspending_a_cooperative_the_sweep_suspended_holds_it_for_the_operator(
    op_clients, operators, tenant_a
):
    """Suspended for an unpaid invoice, then suspended by an operator (e.g. a dispute):
    the operator's hold is recorded, so a payment no longer lifts it."""
    from django.utils import timezone

    Subscription.objects.filter(cooperative=tenant_a).update(
        status=Subscription.Status.SUSPENDED,
        suspended_by_operator=False,
        suspended_since=timezone.now(),
    )
    Cooperative.objects.filter(pk=tenant_a.pk).update(status=Cooperative.Status.SUSPENDED)
    resp = post(op_clients["admin"], tenant_a, "suspend")
    assert resp.status_code == 302
    assert sub_of(tenant_a).suspended_by_operator is True
    assert audited("console.tenant_suspended", operators["admin"]).reason == REASON
    # a second time is the wrong state, said so
    again = post(op_clients["admin"], tenant_a, "suspend")
    assert again.status_code == 200 and "sudah ditangguhkan" in again.content.decode()
