"""The practice copy ("Ruang latihan", tenants.practice): demo data at <slug>-latihan,
staff logins copied, LATIHAN on every page, no e-mail, never billed, never in usage or
the Dinas figures, reset, 90-day clean-up, the guided first month ticked from data; and
nothing it does touches the real cooperative."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.conftest import ADMIN_PASSWORD
from tests.tenants.conftest import PAIR_ADMIN as ADMIN

pytestmark = pytest.mark.slow


@pytest.fixture
def coop(pair_coop):
    """The real cooperative: ``practice_pair``'s, one per module (tests/tenants/conftest.py)."""
    return pair_coop


@pytest.fixture
def practice_a(pair_practice):
    """``coop``'s practice copy, opened once for the module."""
    return pair_practice


def _host(slug):
    from tenants.services import tenant_host

    return tenant_host(slug)


def _login(coop, username: str) -> Client:
    """A client on ``coop``'s host logged in as ``username`` (session in its schema)."""
    from core.users.models import User

    client = Client(HTTP_HOST=_host(coop.slug))
    connection.set_tenant(coop)
    try:
        client.force_login(User.objects.get(username=username))
    finally:
        connection.set_schema_to_public()
    return client


def _rows(schema: str) -> dict[str, int]:
    """Row count of every table of a schema but the audit log."""
    from tenants.schema_template import schema_signature

    sig = schema_signature(schema)
    return {t: n for t, n in sig["rows"] if t != "audit_auditevent"}


def _deposit(*, amount="150000"):
    from core.savings.models import SavingsAccount
    from core.savings.services import teller_deposit
    from core.users.models import User

    acc = SavingsAccount.objects.filter(product__kind="sukarela").order_by("pk").first()
    by = User.objects.filter(role="admin", is_active=True).order_by("pk").first()
    return teller_deposit(
        account=acc, amount=Decimal(amount), channel="cash", on=timezone.localdate(), by=by
    )


# ----------------------------------------------------------------------------- opening


def test_open_makes_a_separate_tenant_with_demo_data_and_the_staff(practice_a, coop):
    from core.members.models import Member
    from core.users.models import User
    from tenants.models import Domain

    assert practice_a.is_practice and practice_a.practice_of_id == coop.pk
    assert practice_a.slug == f"{coop.slug}-latihan"
    assert practice_a.schema_name != coop.schema_name
    assert Domain.objects.filter(tenant=practice_a, domain=_host(f"{coop.slug}-latihan")).exists()
    assert practice_a.province == "" and practice_a.email == ""
    with schema_context(coop.schema_name):
        real_admin = User.objects.get(username=ADMIN)
        assert Member.objects.count() == 0
    with schema_context(practice_a.schema_name):
        assert Member.objects.count() >= 50  # the demo's members
        copied = User.objects.get(username=ADMIN)
        assert copied.password == real_admin.password and copied.role == "admin"
        assert copied.is_active
        # the demo's own logins are there but cannot be used
        active = set(User.objects.filter(is_active=True).values_list("username", flat=True))
        assert active == {ADMIN}


def test_open_twice_keeps_one_copy_and_copies_new_staff_and_totp(practice_a, coop):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.users.models import User
    from tenants.models import Cooperative
    from tenants.practice import practice_open

    with schema_context(coop.schema_name):
        kasir = User.objects.create_user(
            username="kasir@latihan.test", password="Kasir-123!", role="petugas", is_staff=True
        )
        device = TOTPDevice.objects.create(user=kasir, name="HP", confirmed=True)
    again = practice_open(cooperative=coop, by="tests")
    assert again.pk == practice_a.pk
    assert Cooperative.objects.filter(practice_of=coop).count() == 1
    with schema_context(practice_a.schema_name):
        copy = User.objects.get(username="kasir@latihan.test")
        assert copy.check_password("Kasir-123!")
        d = TOTPDevice.objects.get(user=copy)
        assert d.key == device.key and d.confirmed


def test_a_colleague_entering_does_not_log_out_a_two_factor_session_in_the_copy(practice_a, coop):
    """Staff sync runs each time someone enters the copy: an unchanged authenticator is
    kept as it is, so a session that passed the code step with it stays signed in (a
    session whose device is gone is logged out, core.users.middleware)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.users.models import User
    from tenants.practice import practice_open

    with schema_context(coop.schema_name):
        kasir = User.objects.create_user(
            username="kasir@latihan.test", password="Kasir-123!", role="petugas", is_staff=True
        )
        TOTPDevice.objects.create(user=kasir, name="HP", confirmed=True)
    practice_open(cooperative=coop, by="tests")
    client = _login(practice_a, "kasir@latihan.test")
    with schema_context(practice_a.schema_name):
        device = TOTPDevice.objects.get(user__username="kasir@latihan.test")
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    assert client.get("/").status_code == 200
    practice_open(cooperative=coop, by="tests")  # a colleague enters
    assert client.get("/").status_code == 200
    with schema_context(coop.schema_name):  # the real login re-enrols: a new key
        TOTPDevice.objects.filter(user=kasir).delete()
        TOTPDevice.objects.create(user=kasir, name="HP baru", confirmed=True)
    practice_open(cooperative=coop, by="tests")
    assert client.get("/").status_code == 302


def _kasir_in_both(coop):
    """A petugas of cooperative A, copied into its practice copy."""
    from core.users.models import User
    from tenants.practice import practice_open

    with schema_context(coop.schema_name):
        kasir = User.objects.create_user(
            username="kasir@latihan.test", password="Kasir-123!", role="petugas", is_staff=True
        )
    practice_open(cooperative=coop, by="tests")
    connection.set_schema_to_public()
    return kasir


def _in_copy(practice, username: str):
    from core.users.models import User

    with schema_context(practice.schema_name):
        return User.objects.get(username=username)


def test_a_login_deactivated_in_the_real_cooperative_stops_in_the_copy_at_once(practice_a, coop):
    """Nobody needs to enter the copy again: the open session there ends and the
    password no longer signs in; reactivated, it works there again."""
    from core.audit.models import AuditEvent
    from core.users.models import User
    from core.users.services import user_set_active

    kasir = _kasir_in_both(coop)
    client = _login(practice_a, "kasir@latihan.test")
    assert client.get("/").status_code == 200
    with schema_context(coop.schema_name):
        admin = User.objects.get(username=ADMIN)
        user_set_active(by=admin, user=kasir, active=False, reason="keluar")
    connection.set_schema_to_public()
    assert not _in_copy(practice_a, "kasir@latihan.test").is_active
    assert client.get("/").status_code == 302  # the session in the copy is over
    fresh = Client(HTTP_HOST=_host(practice_a.slug))
    r = fresh.post("/masuk/", {"username": "kasir@latihan.test", "password": "Kasir-123!"})
    assert r.status_code == 200 and "_auth_user_id" not in fresh.session
    connection.set_tenant(coop)  # the real cooperative's audit says so
    event = AuditEvent.objects.get(action="practice.user_synced")
    assert event.data == {"slug": practice_a.slug, "active": False, "role": "petugas"}
    user_set_active(by=admin, user=kasir, active=True)  # the plan's seat check: a tenant
    connection.set_schema_to_public()
    assert _in_copy(practice_a, "kasir@latihan.test").is_active
    r = fresh.post("/masuk/", {"username": "kasir@latihan.test", "password": "Kasir-123!"})
    assert r.status_code == 302
    # the session opened before the deactivation stays ended (it came back before)
    assert client.get("/").status_code == 302


def test_a_role_change_in_the_real_cooperative_reaches_the_copy_at_once(practice_a, coop):
    from core.users.models import User
    from core.users.services import user_update

    kasir = _kasir_in_both(coop)
    client = _login(practice_a, "kasir@latihan.test")
    assert client.get("/pengguna/").status_code == 403  # a petugas manages no users
    with schema_context(coop.schema_name):
        admin = User.objects.get(username=ADMIN)
        kasir = user_update(by=admin, user=kasir, full_name="Kasir", role="pengawas")
    connection.set_schema_to_public()
    copy = _in_copy(practice_a, "kasir@latihan.test")
    assert (copy.role, copy.is_staff, copy.is_active) == ("pengawas", True, True)
    assert client.get("/pengguna/").status_code == 200  # a pengawas reads them
    with schema_context(coop.schema_name):  # no longer staff: no login in the copy
        user_update(by=admin, user=kasir, full_name="Kasir", role="anggota")
    connection.set_schema_to_public()
    assert not _in_copy(practice_a, "kasir@latihan.test").is_active
    assert client.get("/").status_code == 302


def _device_in_copy(practice, username: str):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with schema_context(practice.schema_name):
        return TOTPDevice.objects.filter(user__username=username).order_by("pk").first()


def _signs_in(practice, username: str, password: str) -> bool:
    """Whether ``password`` signs ``username`` in on the copy's login page (the password
    step: a login with an authenticator is sent on to the code step)."""
    fresh = Client(HTTP_HOST=_host(practice.slug))
    r = fresh.post("/masuk/", {"username": username, "password": password})
    return r.status_code == 302


def test_a_password_changed_in_the_real_cooperative_stops_working_in_the_copy_at_once(
    practice_a, coop
):
    """Nobody needs to enter the copy again: the old password no longer signs in there,
    the new one does; the login's authenticator in the copy is the same row, kept and not
    made again (a past sync made them again and ended two-step sessions)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.audit.models import AuditEvent
    from tenants.practice import practice_open

    kasir = _kasir_in_both(coop)
    with schema_context(coop.schema_name):
        real_device = TOTPDevice.objects.create(user=kasir, name="HP", confirmed=True)
    practice_open(cooperative=coop, by="tests")
    connection.set_schema_to_public()
    device = _device_in_copy(practice_a, "kasir@latihan.test")
    assert _signs_in(practice_a, "kasir@latihan.test", "Kasir-123!")
    real = _login(coop, "kasir@latihan.test")
    with schema_context(coop.schema_name):  # past the code step in the real one
        session = real.session
        session[DEVICE_ID_SESSION_KEY] = real_device.persistent_id
        session.save()
    r = real.post(
        "/akun/kata-sandi/",
        {
            "old_password": "Kasir-123!",
            "new_password1": "Sandi-Baru-456!",
            "new_password2": "Sandi-Baru-456!",
        },
    )
    assert (r.status_code, r.url) == (302, "/akun/"), r.content
    connection.set_schema_to_public()
    assert not _signs_in(practice_a, "kasir@latihan.test", "Kasir-123!")
    assert _signs_in(practice_a, "kasir@latihan.test", "Sandi-Baru-456!")
    kept = _device_in_copy(practice_a, "kasir@latihan.test")
    assert (kept.pk, kept.key) == (device.pk, device.key)
    with schema_context(coop.schema_name):  # the real cooperative's audit says so
        assert AuditEvent.objects.filter(
            action="practice.user_synced", target_id=str(kasir.pk)
        ).exists()


def test_a_password_set_by_a_reset_link_reaches_the_copy_at_once(practice_a, coop):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from core.users.tokens import password_link_tokens

    kasir = _kasir_in_both(coop)
    with schema_context(coop.schema_name):  # the link the real cooperative e-mails
        uid = urlsafe_base64_encode(force_bytes(kasir.pk))
        token = password_link_tokens.make_token(kasir)
    real = Client(HTTP_HOST=_host(coop.slug))
    r = real.get(f"/atur-sandi/{uid}/{token}/")
    assert r.status_code == 302, r.content  # to the form, the token kept in the session
    new = {"new_password1": "Sandi-Baru-456!", "new_password2": "Sandi-Baru-456!"}
    assert real.post(r.url, new).status_code == 302
    connection.set_schema_to_public()
    assert not _signs_in(practice_a, "kasir@latihan.test", "Kasir-123!")
    assert _signs_in(practice_a, "kasir@latihan.test", "Sandi-Baru-456!")


def test_an_authenticator_reset_in_the_real_cooperative_reaches_the_copy_at_once(practice_a, coop):
    """The admin turns the petugas' two-step off (a lost phone): the copy's authenticator
    goes at once, and the session in the copy that passed the code step with it ends.
    Enrolled again, the copy has the new authenticator at once."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.users.models import User
    from core.users.services import totp_confirm, totp_enrolment_start
    from tenants.practice import practice_open

    kasir = _kasir_in_both(coop)
    with schema_context(coop.schema_name):
        TOTPDevice.objects.create(user=kasir, name="HP", confirmed=True)
    practice_open(cooperative=coop, by="tests")
    client = _login(practice_a, "kasir@latihan.test")
    with schema_context(practice_a.schema_name):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = _device_in_copy(
            practice_a, "kasir@latihan.test"
        ).persistent_id
        session.save()
    assert client.get("/").status_code == 200
    admin_client = _login(coop, ADMIN)
    r = admin_client.post(f"/pengguna/{kasir.pk}/reset-dua-langkah/")
    assert r.status_code == 302
    connection.set_schema_to_public()
    assert _device_in_copy(practice_a, "kasir@latihan.test") is None
    assert client.get("/").status_code == 302  # the session in the copy is over
    with schema_context(coop.schema_name):  # enrolled again on a new phone
        kasir = User.objects.get(pk=kasir.pk)
        pending = totp_enrolment_start(user=kasir)
        code = TOTP(pending.bin_key, pending.step, pending.t0, pending.digits).token()
        totp_confirm(user=kasir, token=f"{code:0{pending.digits}d}")
    connection.set_schema_to_public()
    copied = _device_in_copy(practice_a, "kasir@latihan.test")
    assert copied is not None and (copied.key, copied.confirmed) == (pending.key, True)


def test_a_change_in_a_cooperative_without_a_copy_writes_nothing_more(tenant_b):
    from core.audit.models import AuditEvent
    from core.users.models import User
    from core.users.services import user_set_active

    with schema_context(tenant_b.schema_name):
        admin = User.objects.filter(role="admin").order_by("pk").first()
        kasir = User.objects.create_user(
            username="kasir@beta.test", password="Kasir-123!", role="petugas", is_staff=True
        )
        user_set_active(by=admin, user=kasir, active=False)
        assert not AuditEvent.objects.filter(action="practice.user_synced").exists()
        kasir.refresh_from_db()
        assert not kasir.is_active


def test_practice_cannot_be_opened_from_a_practice_copy_or_a_suspended_one(practice_a, tenant_b):
    from core.common.errors import ApplicationError
    from tenants.practice import practice_open

    with pytest.raises(ApplicationError) as err:
        practice_open(cooperative=practice_a, by="tests")
    assert err.value.code == "practice_not_allowed"
    tenant_b.status = "suspended"
    tenant_b.save(update_fields=["status"])
    with pytest.raises(ApplicationError):
        practice_open(cooperative=tenant_b, by="tests")


def test_practice_address_served_as_a_domain_is_a_clear_refusal(tenant_a, tenant_b):
    from core.common.errors import ApplicationError
    from tenants.models import Cooperative, Domain
    from tenants.practice import practice_open

    Domain.objects.create(domain=_host("alpha-latihan"), tenant=tenant_b, is_primary=False)
    with pytest.raises(ApplicationError) as err:
        practice_open(cooperative=tenant_a, by="tests")
    assert err.value.code == "practice_slug_taken"
    assert not Cooperative.objects.filter(practice_of=tenant_a).exists()


def test_real_cooperatives_cannot_take_a_practice_address():
    from core.common.errors import ApplicationError
    from tenants.validators import validate_slug

    with pytest.raises(ApplicationError) as err:
        validate_slug("kpri-maju-latihan")
    assert err.value.code == "slug_reserved"


# ------------------------------------------------------------------ pages and sign-in


def test_staff_log_in_with_their_password_and_every_page_says_latihan(practice_a, client_a):
    practice_client = Client(HTTP_HOST=_host(practice_a.slug))
    login = practice_client.get("/masuk/")
    assert b'id="practice-banner"' in login.content and b"LATIHAN" in login.content
    assert b"practice-banner" not in client_a.get("/masuk/").content
    r = practice_client.post("/masuk/", {"username": ADMIN, "password": ADMIN_PASSWORD})
    assert r.status_code == 302
    home = practice_client.get("/")
    assert home.status_code == 200
    assert b'id="practice-banner"' in home.content
    assert b"<title>LATIHAN" in home.content
    assert b'id="practice-guide"' in home.content
    for path in ("/anggota/", "/simpanan/teller/", "/buku-besar/laporan/"):
        page = practice_client.get(path)
        assert page.status_code == 200, path
        assert b'id="practice-banner"' in page.content, path


# ------------------------------------------------------------- documents say LATIHAN too


def _pdf_pages(content: bytes) -> list[str]:
    from pypdf import PdfReader

    assert content.startswith(b"%PDF")
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_pdfs_of_a_practice_copy_say_latihan_on_every_page_and_real_ones_never(practice_a, coop):
    from core.ledger.models import Account, JournalEntry

    practice_client = _login(practice_a, ADMIN)
    with schema_context(practice_a.schema_name):
        txn = _deposit()
    receipt = practice_client.get(f"/simpanan/kuitansi/{txn.pk}.pdf")
    assert receipt.status_code == 200
    assert all("LATIHAN" in text for text in _pdf_pages(receipt.content))
    # a document of many pages (the cash account's ledger over the demo's history): the
    # mark is on each of them
    with schema_context(practice_a.schema_name):
        cash = Account.objects.get(code="1101")
        first = JournalEntry.objects.order_by("date").values_list("date", flat=True)[0]
    report = practice_client.get(
        f"/buku-besar/akun/{cash.pk}/buku-besar/",
        {"format": "pdf", "date_from": first.isoformat()},
    )
    assert report.status_code == 200
    pages = _pdf_pages(report.content)
    assert len(pages) >= 2 and all("LATIHAN" in text for text in pages)

    real = _login(coop, ADMIN).get("/buku-besar/laporan/neraca-saldo/", {"format": "pdf"})
    assert real.status_code == 200
    real_pages = _pdf_pages(real.content)
    assert real_pages and not any("LATIHAN" in text for text in real_pages)


def test_xlsx_of_a_practice_copy_is_marked_latihan_and_real_ones_are_not(practice_a, coop):
    from openpyxl import load_workbook

    path, params = "/buku-besar/laporan/neraca-saldo/", {"format": "xlsx"}
    practice = _login(practice_a, ADMIN).get(path, params)
    assert practice.status_code == 200
    wb = load_workbook(io.BytesIO(practice.content))
    assert wb.properties.title.startswith("LATIHAN")
    for ws in wb.worksheets:
        assert ws.title.startswith("LATIHAN ")
        assert "LATIHAN" in ws.oddHeader.center.text and "LATIHAN" in ws.oddFooter.center.text
    members = _login(practice_a, ADMIN).get("/anggota/", {"export": "xlsx"})
    assert members.status_code == 200
    assert load_workbook(io.BytesIO(members.content)).sheetnames[0].startswith("LATIHAN ")

    real = _login(coop, ADMIN).get(path, params)
    real_wb = load_workbook(io.BytesIO(real.content))
    assert not any("LATIHAN" in name for name in real_wb.sheetnames)
    assert not (real_wb.properties.title or "").startswith("LATIHAN")
    assert not any(ws.oddHeader.center.text for ws in real_wb.worksheets)


def test_every_pdf_and_workbook_of_core_goes_through_the_marking_helpers():
    """The mark lives in ``core.common.pdf.html_to_pdf`` and ``core.common.exports.
    workbook_bytes``: a document rendered or saved anywhere else would not carry it."""
    from pathlib import Path

    import core

    root = Path(core.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text()
        rel = path.relative_to(root).as_posix()
        if ("write_pdf(" in text or "from weasyprint" in text) and rel != "common/pdf.py":
            offenders.append(rel)
        if "wb.save(" in text and rel != "common/exports.py":
            offenders.append(rel)
    assert offenders == []


def test_guided_steps_tick_from_data_only(practice_a):
    from tenants.practice_steps import practice_steps

    practice_client = _login(practice_a, ADMIN)
    since = practice_a.practice_reset_at
    with schema_context(practice_a.schema_name):
        steps = {s.code: s for s in practice_steps(since=since)}
        assert not any(s.done for s in steps.values())  # the demo data predates the copy
        _deposit()
    page = practice_client.get("/buku-besar/laporan/neraca-saldo/")
    assert page.status_code == 200
    with schema_context(practice_a.schema_name):
        steps = {s.code: s for s in practice_steps(since=since)}
    assert steps["deposit"].done and steps["trial_balance"].done
    assert not steps["members_import"].done and not steps["loan"].done
    assert not steps["deduction"].done
    home = practice_client.get("/")
    assert b'id="step-deposit"' in home.content
    assert b'class="done" id="step-deposit"' in home.content


def test_reset_gives_a_fresh_copy(practice_a, coop):
    from core.savings.models import SavingsTransaction
    from tenants.practice import practice_reset

    with schema_context(practice_a.schema_name):
        before = SavingsTransaction.objects.count()
        _deposit()
        assert SavingsTransaction.objects.count() == before + 1
    reset = practice_reset(cooperative=coop, by="tests")
    assert reset.pk == practice_a.pk and reset.practice_reset_at > practice_a.practice_reset_at
    with schema_context(practice_a.schema_name):
        assert SavingsTransaction.objects.count() == before


# -------------------------------------------------------------------------- isolation


def test_nothing_done_in_the_practice_copy_touches_the_real_schema(
    practice_template, tenant_a, tenant_b
):
    from core.audit.models import AuditEvent
    from tenants.practice import practice_delete, practice_open, practice_reset

    real_a, real_b = _rows(tenant_a.schema_name), _rows(tenant_b.schema_name)
    practice = practice_open(cooperative=tenant_a, by="tests")
    with schema_context(practice.schema_name):
        _deposit()
    practice_reset(cooperative=tenant_a, by="tests")
    with connection.cursor() as cur:
        # the reset fired pending checks (SET CONSTRAINTS ALL IMMEDIATE) in this one test
        # transaction; a request would commit here
        cur.execute("SET CONSTRAINTS ALL DEFERRED")
    with schema_context(practice.schema_name):
        _deposit(amount="250000")
    practice_delete(practice=practice, by="tests")
    connection.set_schema_to_public()
    assert _rows(tenant_a.schema_name) == real_a
    assert _rows(tenant_b.schema_name) == real_b
    with schema_context(tenant_a.schema_name):
        assert (
            not AuditEvent.objects.exclude(action__startswith="practice.")
            .filter(created_at__gte=timezone.now() - timedelta(minutes=5))
            .exclude(action="cooperative.created")
            .exists()
        )


def test_practice_copy_is_never_billed_nor_counted_in_usage(practice_a, coop):
    from billing.limits import staff_user_limit_check
    from billing.models import Subscription
    from billing.services.daily import billing_sweep
    from billing.services.state import trial_start
    from billing.tasks import billing_usage_count_task
    from lumbung.console.models import TenantStats
    from lumbung.console.selectors import overview, tenants_query
    from lumbung.console.stats import stats_refresh
    from tenants.models import Cooperative

    assert not Subscription.objects.filter(cooperative=practice_a).exists()
    subs_before = Subscription.objects.count()
    with pytest.raises(ValueError):
        trial_start(cooperative=practice_a)
    billing_usage_count_task()
    billing_sweep()
    assert Subscription.objects.count() == subs_before
    assert not Subscription.objects.filter(cooperative=practice_a).exists()
    stats_refresh()
    assert not TenantStats.objects.filter(cooperative_id=practice_a.pk).exists()
    assert practice_a.pk not in {c.pk for c in tenants_query()}
    real = Cooperative.objects.exclude(schema_name="public").filter(is_practice=False)
    assert sum(row["n"] for row in overview()["by_status"]) == real.count()
    connection.set_tenant(practice_a)
    try:
        staff_user_limit_check(role="admin", staff=True)  # no plan seat counted
    finally:
        connection.set_schema_to_public()


def test_practice_copy_is_never_in_the_dinas_figures(practice_a, coop):
    from lumbung.dinas.models import Indicator, SharingState
    from lumbung.dinas.refresh import cooperatives_to_refresh, indicators_refresh_one
    from lumbung.dinas.selectors import area_cooperatives
    from tests.dinas.conftest import make_pembina

    # even placed in a pembina's area and marked as sharing, it is never shown
    practice_a.province = "Kalimantan Tengah"
    practice_a.save(update_fields=["province"])
    SharingState.objects.create(cooperative=practice_a, shared=True, refreshed_at=timezone.now())
    assert practice_a.pk not in cooperatives_to_refresh()
    with pytest.raises(ValueError):
        indicators_refresh_one(cooperative_id=practice_a.pk)
    assert not Indicator.objects.filter(cooperative=practice_a).exists()
    pembina = make_pembina("prov-latihan@dinas.test")
    assert practice_a.pk not in set(area_cooperatives(pembina).values_list("pk", flat=True))


def test_no_email_leaves_a_practice_copy(practice_a, coop, settings):
    from django.core.mail import send_mail

    settings.EMAIL_BACKEND = "lumbung.mail.PracticeGuardBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    connection.set_tenant(practice_a)
    assert send_mail("s", "b", None, ["anggota@example.id"]) == 0
    with schema_context(practice_a.schema_name):  # a task or loop over schemas
        assert send_mail("s", "b", None, ["anggota@example.id"]) == 0
    assert mail.outbox == []
    connection.set_tenant(coop)
    assert send_mail("s", "b", None, ["anggota@example.id"]) == 1
    connection.set_schema_to_public()
    assert len(mail.outbox) == 1


def test_password_reset_from_a_practice_copy_sends_nothing(practice_a, settings, committed):
    settings.EMAIL_BACKEND = "lumbung.mail.PracticeGuardBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    practice_client = Client(HTTP_HOST=_host(practice_a.slug))
    with committed():  # the reset task runs, in the copy's schema, and its e-mail is dropped
        r = practice_client.post("/lupa-sandi/", {"email": ADMIN})
    assert r.status_code == 302
    assert mail.outbox == []


# --------------------------------------------------------------------- clean-up, screen


def test_unused_for_90_days_is_deleted_and_not_before(practice_a, coop):
    from tenants.models import Cooperative
    from tenants.practice import practices_cleanup
    from tenants.schema_template import _schema_exists

    now = timezone.now()
    Cooperative.objects.filter(pk=practice_a.pk).update(practice_used_at=now - timedelta(days=89))
    assert practices_cleanup(now=now) == 0
    Cooperative.objects.filter(pk=practice_a.pk).update(practice_used_at=now - timedelta(days=91))
    assert practices_cleanup(now=now) == 1
    assert not Cooperative.objects.filter(pk=practice_a.pk).exists()
    assert not _schema_exists(practice_a.schema_name)
    assert Cooperative.objects.filter(pk=coop.pk).exists()
    assert _schema_exists(coop.schema_name)


def test_beat_runs_the_cleanup_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["tenants-practice-cleanup"]
    assert entry["task"] == "tenants.tasks.practice_cleanup_task"
    assert entry["schedule"] == 24 * 3600


def test_using_the_copy_marks_it_used(practice_a):
    from tenants.models import Cooperative

    old = timezone.now() - timedelta(days=30)
    Cooperative.objects.filter(pk=practice_a.pk).update(practice_used_at=old)
    practice_client = _login(practice_a, ADMIN)
    assert practice_client.get("/").status_code == 200
    connection.set_schema_to_public()
    assert Cooperative.objects.get(pk=practice_a.pk).practice_used_at > old


def test_settings_screen_is_for_admins_and_reset_asks_first(practice_template, tenant_a, client_a):
    from core.users.models import User
    from tenants.models import Cooperative

    with schema_context(tenant_a.schema_name):
        User.objects.create_user(
            username="petugas@alpha.test", password=ADMIN_PASSWORD, role="petugas", is_staff=True
        )
    petugas = _login(tenant_a, "petugas@alpha.test")
    assert petugas.get("/pengaturan/latihan/").status_code == 403
    assert petugas.post("/pengaturan/latihan/", {"action": "open"}).status_code == 403

    client_a = _login(tenant_a, "admin@alpha.test")
    page = client_a.get("/pengaturan/latihan/")
    assert b'id="practice-open"' in page.content
    r = client_a.post("/pengaturan/latihan/", {"action": "open"})
    assert r.status_code == 302 and r["Location"].startswith("http://alpha-latihan.")
    practice = Cooperative.objects.get(practice_of=tenant_a)
    stamp = practice.practice_reset_at
    asked = client_a.post("/pengaturan/latihan/", {"action": "reset"})
    assert asked.status_code == 200 and b'id="practice-confirm"' in asked.content
    practice.refresh_from_db()
    assert practice.practice_reset_at == stamp  # nothing done before the confirmation
    done = client_a.post("/pengaturan/latihan/", {"action": "reset", "confirmed": "1"})
    assert done.status_code == 302
    practice.refresh_from_db()
    assert practice.practice_reset_at > stamp
    client_a.post("/pengaturan/latihan/", {"action": "delete", "confirmed": "1"})
    assert not Cooperative.objects.filter(practice_of=tenant_a).exists()


def test_settings_screen_reads_in_english(tenant_a):
    client = _login(tenant_a, "admin@alpha.test")
    client.cookies["django_language"] = "en"
    page = client.get("/pengaturan/latihan/").content.decode()
    assert "<h1>Practice space</h1>" in page
    assert "The practice space is a separate copy holding sample data" in page
    assert "This cooperative has no practice space yet." in page
    assert "Open a practice space" in page
    assert "ruang latihan" not in page.lower()


def test_every_side_menu_link_of_a_practice_copy_opens(practice_a, coop):
    """The copy is never billed, so it has no subscription page: its menu offered
    "Langganan" all the same, a 404 in the middle of the practice month."""
    client = Client(HTTP_HOST=_host(practice_a.slug))
    assert (
        client.post("/masuk/", {"username": ADMIN, "password": ADMIN_PASSWORD}).status_code == 302
    )
    home = client.get("/").content.decode()
    menu = home.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'href="(/[^"]*)"', menu)
    assert "/anggota/" in links and "/langganan/" not in links
    for link in links:
        assert client.get(link, follow=True).status_code == 200, link
    # the real cooperative's admin still has it
    real = _login(coop, ADMIN).get("/").content.decode()
    assert 'href="/langganan/"' in real.split('class="sidenav"', 1)[1].split("</nav>", 1)[0]
