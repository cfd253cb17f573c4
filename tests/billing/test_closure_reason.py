"""An archived or suspended cooperative's staff are told the true reason: the daily
sweep for an unpaid bill (pay to reopen), or an operator's decision (the reason the
operator typed, and to contact the Lumbung team: paying does not reopen it)."""

from datetime import timedelta

from billing import services
from billing.models import Invoice, Plan, Subscription
from lumbung.console import services as console
from tenants.models import Cooperative
from tests.console.conftest import make_operator

NON_PAYMENT = ("tidak dibayar", "belum dibayar")


def _closed(client) -> tuple[str, dict]:
    """The archived page's text (whitespace folded) and the API's error."""
    page = client.get("/")
    assert page.status_code == 403
    api = client.get("/api/v1/me/", HTTP_ACCEPT="application/json")
    assert api.status_code == 403
    error = api.json()["error"]
    assert error["code"] == "tenant_archived"
    return " ".join(page.content.decode().split()), error


def _archived_by_the_sweep(tenant) -> Subscription:
    sub = Subscription.objects.get(cooperative=tenant)
    start = sub.trial_ends_at + timedelta(days=1)
    services.billing_sweep(now=start)  # past due
    services.billing_sweep(now=start + timedelta(days=15))  # suspended
    services.billing_sweep(now=start + timedelta(days=15 + 181))  # archived
    sub.refresh_from_db()
    assert sub.status == "archived"
    return sub


def test_an_archive_by_an_operator_shows_the_operators_reason_not_an_unpaid_bill(
    client_a, tenant_a
):
    console.tenant_archive(
        operator=make_operator("admin", "admin-cr1@ops.lumbung.test"),
        cooperative=tenant_a,
        reason="Koperasi dibubarkan oleh RAT luar biasa",
    )

    body, error = _closed(client_a)

    for text in (body, error["message"]):
        assert "diarsipkan oleh tim Lumbung" in text
        assert "Koperasi dibubarkan oleh RAT luar biasa" in text
        assert "hubungi tim Lumbung" in text
        assert not any(words in text for words in NON_PAYMENT), text
    assert error["pay_url"] is None


def test_an_archive_by_the_sweep_says_the_bill_was_not_paid_and_that_paying_reopens_it(
    client_a, tenant_a
):
    _archived_by_the_sweep(tenant_a)

    body, error = _closed(client_a)

    for text in (body, error["message"]):
        assert "tagihan langganan tidak dibayar" in text
        assert "akses pulih setelah pembayaran dikonfirmasi" in text
        assert "oleh tim Lumbung" not in text
    # the subscription page is closed too: no link to it
    assert error["pay_url"] is None


def test_an_operators_suspension_archived_by_the_sweep_shows_the_suspension_reason(
    client_a, tenant_a, clock
):
    console.tenant_suspend(
        operator=make_operator("admin", "admin-cr2@ops.lumbung.test"),
        cooperative=tenant_a,
        reason="Sengketa kepengurusan",
    )
    clock.advance(days=200)
    services.billing_sweep(now=clock.now)
    assert Cooperative.objects.get(pk=tenant_a.pk).status == "archived"

    body, error = _closed(client_a)

    for text in (body, error["message"]):
        assert "ditangguhkan oleh tim Lumbung" in text
        assert "Sengketa kepengurusan" in text
        assert not any(words in text for words in NON_PAYMENT), text


def test_an_operator_archiving_a_cooperative_the_sweep_suspended_shows_the_operators_reason(
    client_a, tenant_a
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    start = sub.trial_ends_at + timedelta(days=1)
    services.billing_sweep(now=start)
    services.billing_sweep(now=start + timedelta(days=15))
    assert Cooperative.objects.get(pk=tenant_a.pk).status == "suspended"
    console.tenant_archive(
        operator=make_operator("admin", "admin-cr3@ops.lumbung.test"),
        cooperative=tenant_a,
        reason="Pengurus meminta penutupan",
    )

    body, error = _closed(client_a)

    assert "diarsipkan oleh tim Lumbung" in error["message"]
    assert "Pengurus meminta penutupan" in body


def test_a_transfer_confirmed_for_a_cooperative_an_operator_archived_keeps_it_archived(
    tenant_a, operator
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    console.tenant_archive(
        operator=make_operator("admin", "admin-cr4@ops.lumbung.test"),
        cooperative=tenant_a,
        reason="Koperasi bergabung dengan koperasi lain",
    )
    sub.refresh_from_db()
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )

    services.bank_transfer_confirm(invoice=inv, operator=operator)

    sub.refresh_from_db()
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID  # the payment is recorded
    assert sub.status == "archived" == Cooperative.objects.get(pk=tenant_a.pk).status
    assert sub.archived_by_operator


def test_a_transfer_confirmed_for_a_cooperative_the_sweep_archived_reopens_it(tenant_a, operator):
    sub = _archived_by_the_sweep(tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )

    services.bank_transfer_confirm(invoice=inv, operator=operator)

    assert Cooperative.objects.get(pk=tenant_a.pk).status == "active"


def test_reactivating_clears_the_operators_mark_and_reason(tenant_a):
    admin = make_operator("admin", "admin-cr5@ops.lumbung.test")
    console.tenant_archive(operator=admin, cooperative=tenant_a, reason="Audit data")
    console.tenant_reactivate(operator=admin, cooperative=tenant_a, reason="Audit selesai")

    sub = Subscription.objects.get(cooperative=tenant_a)
    assert not sub.archived_by_operator and not sub.suspended_by_operator
    assert sub.operator_reason == ""


# -- suspended: the read-only refusal and banner ----------------------------------------


def test_an_operators_suspension_says_the_reason_the_operator_typed(
    admin_client_a, tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        console.tenant_suspend(
            operator=make_operator("admin", "admin-cr6@ops.lumbung.test"),
            cooperative=tenant_a,
            reason="Pemeriksaan laporan keuangan",
        )

    page = " ".join(admin_client_a.post("/anggota/", {"full_name": "X"}).content.decode().split())
    api = admin_client_a.post("/api/v1/me/", data={}, content_type="application/json").json()
    banner = " ".join(admin_client_a.get("/langganan/").content.decode().split())

    for text in (page, api["error"]["message"], banner):
        assert "Pemeriksaan laporan keuangan" in text


def test_an_operator_suspending_a_cooperative_the_sweep_suspended_shows_the_operators_reason(
    admin_client_a, tenant_a
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    start = sub.trial_ends_at + timedelta(days=1)
    services.billing_sweep(now=start)
    services.billing_sweep(now=start + timedelta(days=15))
    console.tenant_suspend(
        operator=make_operator("admin", "admin-cr7@ops.lumbung.test"),
        cooperative=tenant_a,
        reason="Dugaan penyalahgunaan akun",
    )

    api = admin_client_a.post("/api/v1/me/", data={}, content_type="application/json").json()

    message = api["error"]["message"]
    assert "ditangguhkan oleh tim Lumbung" in message
    assert "Dugaan penyalahgunaan akun" in message
    assert not any(words in message for words in NON_PAYMENT), message


def test_the_backfill_marks_archives_operators_made_and_keeps_the_reasons_typed(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    from importlib import import_module

    from django.apps import apps as django_apps

    from billing.services.common import _status_set

    admin = make_operator("admin", "admin-cr8@ops.lumbung.test")
    console.tenant_archive(operator=admin, cooperative=tenant_a, reason="Koperasi dibubarkan")
    swept = Subscription.objects.get(cooperative=tenant_b)
    _status_set(sub=swept, status="suspended", reason="Tagihan belum dibayar", actor="system")
    console.tenant_suspend(operator=admin, cooperative=tenant_b, reason="Sengketa pengurus")
    # as the rows were before 0025
    Subscription.objects.filter(cooperative__in=[tenant_a, tenant_b]).update(
        archived_by_operator=False, operator_reason=""
    )

    migration = import_module("billing.migrations.0026_operator_closure_backfill")
    migration.forwards(django_apps, None)

    archived = Subscription.objects.get(cooperative=tenant_a)
    held = Subscription.objects.get(cooperative=tenant_b)
    assert archived.archived_by_operator and archived.operator_reason == "Koperasi dibubarkan"
    assert not held.archived_by_operator and held.operator_reason == "Sengketa pengurus"


def test_the_backfill_leaves_an_archive_by_the_sweep_unmarked(tenant_a):
    from importlib import import_module

    from django.apps import apps as django_apps

    sub = _archived_by_the_sweep(tenant_a)

    import_module("billing.migrations.0026_operator_closure_backfill").forwards(django_apps, None)

    sub.refresh_from_db()
    assert not sub.archived_by_operator and sub.operator_reason == ""


def test_the_confirm_screen_says_a_cooperative_an_operator_archived_stays_archived(
    client_public, tenant_a, operator
):
    from tests.billing.conftest import confirm_transfer, login_operator

    console.tenant_archive(
        operator=make_operator("admin", "admin-cr9@ops.lumbung.test"),
        cooperative=tenant_a,
        reason="Koperasi bergabung",
    )
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    login_operator(client_public, operator)

    text = confirm_transfer(client_public, inv).content.decode()

    assert "dikonfirmasi" in text
    assert "Koperasi tetap diarsipkan: diarsipkan oleh operator" in text


def test_the_e_mail_of_an_operators_suspension_gives_the_reason_typed(
    tenant_a, django_capture_on_commit_callbacks
):
    from django.core import mail

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        console.tenant_suspend(
            operator=make_operator("admin", "admin-cr10@ops.lumbung.test"),
            cooperative=tenant_a,
            reason="Pemeriksaan laporan keuangan",
        )

    (sent,) = [m for m in mail.outbox if "ditangguhkan" in m.subject]
    assert "Alasan: Pemeriksaan laporan keuangan" in sent.body
