"""Manual bank transfer: invoice with reference -> proof -> operator confirms."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import timezone

from billing import services
from billing.models import Invoice, Plan, Subscription
from billing.pdf import invoice_pdf
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from tenants.models import Cooperative
from tests.billing.cleanup import billing_rows_drop
from tests.billing.conftest import confirm_transfer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _issue(admin_client_a, plan_code="sedang", interval="year") -> Invoice:
    plan = Plan.objects.get(code=plan_code)
    response = admin_client_a.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": plan.pk, "interval": interval}
    )
    assert response.status_code == 302
    return Invoice.objects.get(subscription__cooperative__slug="alpha", status=Invoice.Status.OPEN)


def test_invoice_has_unique_reference_and_a_pdf_with_the_bank_account(admin_client_a, settings):
    inv = _issue(admin_client_a)
    assert inv.reference.startswith("LMB") and len(inv.reference) == 11
    assert inv.amount == Plan.objects.get(code="sedang").price_yearly
    assert inv.period_end == services.add_months(inv.period_start, 12) - timedelta(days=1)
    again = _issue(admin_client_a)  # asking twice does not issue a second invoice
    assert again.pk == inv.pk
    pdf = admin_client_a.get(f"/langganan/tagihan/{inv.number}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    # What the PDF is made from carries the reference and the platform's account.
    html = render_to_string(
        "billing/invoice_pdf.html",
        {
            "invoice": inv,
            "cooperative": inv.subscription.cooperative,
            "bank_name": settings.BILLING_BANK_NAME,
            "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
            "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
        },
    )
    assert inv.reference in html and settings.BILLING_BANK_ACCOUNT_NUMBER in html
    assert invoice_pdf(invoice=inv)[:4] == b"%PDF"


def test_references_are_unique_across_cooperatives(tenant_a, tenant_b):
    plan = Plan.objects.get(code="kecil")
    refs = set()
    for tenant in (tenant_a, tenant_b):
        sub = Subscription.objects.get(cooperative=tenant)
        for interval in ("month", "year"):
            refs.add(
                services.bank_invoice_issue(
                    subscription=sub, plan=plan, interval=interval, by="test"
                ).reference
            )
    assert len(refs) == 4


def test_proof_upload_then_operator_confirms_and_access_is_restored(
    admin_client_a, operator, tenant_a, django_capture_on_commit_callbacks
):
    Subscription.objects.filter(cooperative=tenant_a).update(
        status="suspended", past_due_since=timezone.now(), suspended_since=timezone.now()
    )
    Cooperative.objects.filter(pk=tenant_a.pk).update(status="suspended")
    inv = _issue(admin_client_a)
    response = admin_client_a.post(
        f"/langganan/transfer/{inv.number}/bukti/",
        {"file": SimpleUploadedFile("bukti.png", PNG, "image/png"), "amount": str(inv.amount)},
    )
    assert response.status_code == 302
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING and inv.proofs.count() == 1

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.bank_transfer_confirm(invoice=inv, operator=operator, note="BRI mutasi 12/11")
    inv.refresh_from_db()
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert inv.status == Invoice.Status.PAID and inv.confirmed_by == operator and inv.paid_at
    assert sub.status == "active" == Cooperative.objects.get(pk=tenant_a.pk).status
    assert sub.provider == "bank_transfer" and sub.plan.code == "sedang" and sub.interval == "year"
    assert timezone.localdate(sub.current_period_end) == inv.period_end
    assert AuditEvent.objects.filter(
        action="billing.bank_transfer_confirmed", actor=operator
    ).exists()
    assert [m for m in mail.outbox if "dipulihkan" in m.subject]
    # writes work again at once
    assert (
        admin_client_a.post(
            "/langganan/paket/", {"plan": sub.plan_id, "interval": "month"}
        ).status_code
        == 302
    )
    # confirming twice is refused
    with pytest.raises(ApplicationError) as err:
        services.bank_transfer_confirm(invoice=inv, operator=operator)
    assert err.value.code == "invoice_not_payable"


def test_only_billing_operators_confirm(admin_client_a, db, admin_a):
    from core.users.models import User

    inv = _issue(admin_client_a)
    support = User.objects.create_user(
        username="cs@lumbung.test", password="x-Sandi-123", operator_role="support"
    )
    for who in (admin_a, support, None):
        with pytest.raises(ApplicationError) as err:
            services.bank_transfer_confirm(invoice=inv, operator=who)
        assert err.value.code == "not_billing_operator"
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN


def test_proof_must_be_pdf_or_image(admin_client_a):
    inv = _issue(admin_client_a)
    with pytest.raises(ApplicationError) as err:
        services.bank_proof_upload(
            invoice=inv,
            upload=SimpleUploadedFile("x.exe", b"MZ\x90\x00" * 10),
            by="t",
            amount_claimed=inv.amount_due,
        )
    assert err.value.code == "proof_invalid"
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN and not inv.proofs.exists()


def test_operator_screen_confirms_a_transfer(admin_client_a, operator):
    from tests.console.conftest import verified_client

    client_public = verified_client(operator)
    inv = _issue(admin_client_a)
    listing = client_public.get("/billing/operator/transfer/")
    assert listing.status_code == 200 and inv.reference in listing.content.decode()
    response = confirm_transfer(client_public, inv, follow=False)
    assert response.status_code == 302
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID


def test_operator_screen_needs_two_factor(client_public, operator):
    client_public.force_login(operator)  # password only, no TOTP step
    response = client_public.get("/billing/operator/transfer/")
    assert response.status_code == 302
    assert "/konsol/" in response["Location"]


def test_operator_screen_refuses_non_operators(client_public, db):
    from core.users.models import User

    someone = User.objects.create_user(username="biasa@lumbung.test", password="x-Sandi-123")
    client_public.force_login(someone)
    assert client_public.get("/billing/operator/transfer/").status_code == 403


def test_reminders_before_due_are_sent_once_a_day(
    admin_client_a, django_capture_on_commit_callbacks, settings
):
    inv = _issue(admin_client_a)
    days = settings.BILLING_REMINDER_DAYS[0]
    today = inv.due_on - timedelta(days=days)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.bank_reminders_send(today=today) == 1
        assert services.bank_reminders_send(today=today) == 0
        assert (
            services.bank_reminders_send(today=today + timedelta(days=1)) == 0
        )  # not a reminder day
    assert len(mail.outbox) == 1
    assert (
        inv.reference in mail.outbox[0].body
        and settings.BILLING_BANK_ACCOUNT_NUMBER in mail.outbox[0].body
    )


def test_bank_period_end_goes_past_due_and_renewal_invoice_is_issued(
    admin_client_a, operator, tenant_a
):
    inv = _issue(admin_client_a, interval="month")
    services.bank_transfer_confirm(invoice=inv, operator=operator)
    sub = Subscription.objects.get(cooperative=tenant_a)
    near_end = sub.current_period_end - timedelta(days=5)
    counts = services.billing_sweep(now=near_end)
    assert counts["renewal_invoices"] >= 1
    renewal = Invoice.objects.get(subscription=sub, status=Invoice.Status.OPEN)
    assert renewal.period_start == inv.period_end + timedelta(days=1)
    services.billing_sweep(now=sub.current_period_end + timedelta(days=1))
    sub.refresh_from_db()
    assert sub.status == "past_due"
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    sub.refresh_from_db()
    assert (
        sub.status == "active" and timezone.localdate(sub.current_period_end) == renewal.period_end
    )


@pytest.mark.parametrize(
    "name, content",
    [
        ("bukti.html", b"%PDF-1.4 disguised"),  # right magic, wrong extension
        ("bukti.pdf", b"<html><script>alert(1)</script>"),  # right extension, wrong content
        ("bukti.png", b"%PDF-1.4"),  # extension and content disagree
    ],
)
def test_proof_type_by_extension_and_content(admin_client_a, name, content):
    inv = _issue(admin_client_a)
    with pytest.raises(ApplicationError) as err:
        services.bank_proof_upload(
            invoice=inv,
            upload=SimpleUploadedFile(name, content),
            by="t",
            amount_claimed=inv.amount_due,
        )
    assert err.value.code == "proof_invalid" and "file" in err.value.fields


def test_proof_is_stored_under_the_cooperatives_directory(
    admin_client_a, tenant_a, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    inv = _issue(admin_client_a)
    proof = services.bank_proof_upload(
        invoice=inv,
        upload=SimpleUploadedFile("Bukti Saya.png", PNG),
        by="t",
        amount_claimed=inv.amount_due,
    )
    assert proof.file.name.startswith(f"{tenant_a.schema_name}/billing/proofs/")
    assert "Bukti" not in proof.file.name  # never the client's file name


def test_operator_confirm_and_a_new_bank_invoice_at_once_do_not_deadlock(scratch_tenant):
    """bank_transfer_confirm locks in the order of bank_invoice_issue and plan_change
    (subscription, then invoices). The confirming transaction is held just after its
    first row lock while the cooperative asks for another invoice: with invoice-first
    locking the two wait on each other and PostgreSQL kills one (a deadlock)."""
    import threading
    import time
    import uuid

    from django.db import connection, transaction

    from core.users.models import User

    sub = Subscription.objects.get(cooperative=scratch_tenant)
    op = User.objects.create_user(
        username=f"race-{uuid.uuid4().hex[:8]}@lumbung.test",
        password="Operator-Sandi-9",
        operator_role=User.OperatorRole.BILLING,
    )
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    errors: dict[str, Exception] = {}
    first_lock_held = threading.Event()

    def pause_after_first_row_lock(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and not first_lock_held.is_set():
            first_lock_held.set()
            time.sleep(0.5)  # the cooperative's request runs meanwhile
        return result

    def operator_confirms():
        try:
            with connection.execute_wrapper(pause_after_first_row_lock), transaction.atomic():
                services.bank_transfer_confirm(invoice=inv, operator=op)
        except Exception as exc:  # reported by the assertion below
            errors["confirm"] = exc
        finally:
            connection.close()

    def cooperative_pays_other_plan():
        try:
            assert first_lock_held.wait(5)
            services.bank_invoice_issue(
                subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
            )
        except Exception as exc:  # reported by the assertion below
            errors["issue"] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=operator_confirms),
        threading.Thread(target=cooperative_pays_other_plan),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == {}
        inv.refresh_from_db()
        assert inv.status == Invoice.Status.PAID
        assert sub.invoices.filter(plan__code="sedang", status=Invoice.Status.OPEN).exists()
    finally:
        connection.set_schema_to_public()
        billing_rows_drop(cooperative=scratch_tenant)


def test_proof_note_with_a_nul_character_is_refused_with_a_field_error(admin_client_a):
    inv = _issue(admin_client_a)
    response = admin_client_a.post(
        f"/langganan/transfer/{inv.number}/bukti/",
        {
            "file": SimpleUploadedFile("bukti.png", PNG, "image/png"),
            "note": "BRI\x00",
            "amount": "1",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert "Catatan: Karakter null tidak diizinkan." in response.content.decode()
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.OPEN and not inv.proofs.exists()


def test_rejection_reason_with_a_nul_character_is_refused_with_a_field_error(
    admin_client_a, operator
):
    from tests.console.conftest import verified_client

    inv = _issue(admin_client_a)
    services.bank_proof_upload(
        invoice=inv,
        upload=SimpleUploadedFile("bukti.png", PNG, "image/png"),
        by="t",
        amount_claimed=inv.amount_due,
    )
    ops = verified_client(operator)
    response = ops.post(
        f"/billing/operator/transfer/{inv.pk}/tolak/", {"reason": "Nominal\x00 kurang"}, follow=True
    )
    assert response.status_code == 200
    assert "Alasan: Karakter null tidak diizinkan." in response.content.decode()
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.AWAITING
    assert not inv.proofs.filter(rejected_at__isnull=False).exists()


def test_confirming_a_transfer_voids_the_other_open_invoice_for_the_same_period(tenant_a, operator):
    """Proof sent for one invoice, then another plan asked for the same period: once the
    first is confirmed the period is paid, so the second is not owed (no reminders, not
    paid twice) and the renewal is invoiced when it is due."""
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    kecil, sedang = Plan.objects.get(code="kecil"), Plan.objects.get(code="sedang")
    sent = services.bank_invoice_issue(subscription=sub, plan=kecil, interval="month", by="t")
    Invoice.objects.filter(pk=sent.pk).update(status=Invoice.Status.AWAITING)  # proof sent
    other = services.bank_invoice_issue(subscription=sub, plan=sedang, interval="month", by="t")
    assert other.period_start == sent.period_start

    services.bank_transfer_confirm(invoice=sent, operator=operator)

    other.refresh_from_db()
    assert other.status == Invoice.Status.VOID
    sub.refresh_from_db()
    services.billing_sweep(now=sub.current_period_end - timedelta(days=5))
    renewal = Invoice.objects.get(subscription=sub, status="open")
    assert renewal.period_start == sent.period_end + timedelta(days=1)
