"""Notices by e-mail and in the app: trial ended, bank period ended, proof rejected (with
the reason on the page), archived, a trial cooperative's payment confirmed; paying
during a trial keeps the remaining trial days."""

from datetime import timedelta

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import services
from billing.models import Invoice, Notice, Plan, Subscription
from core.common.money import format_rupiah

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _subjects():
    return [m.subject for m in mail.outbox]


def test_trial_end_and_archive_send_an_email_and_an_in_app_notice(
    tenant_a, admin_client_a, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.billing_sweep(now=sub.trial_ends_at + timedelta(hours=1))
    sub.refresh_from_db()
    assert sub.status == "past_due"
    assert any("uji coba" in s and "berakhir" in s for s in _subjects()), _subjects()
    assert Notice.objects.filter(subscription=sub, kind="trial_ended").exists()
    page = admin_client_a.get("/langganan/").content.decode()
    assert "Masa uji coba" in page and "Pemberitahuan" in page

    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_status_override(
            subscription=sub, status="archived", operator="ops", reason="Tidak membayar 6 bulan"
        )
    assert any("diarsipkan" in s for s in _subjects())
    [archived] = [m for m in mail.outbox if "diarsipkan" in m.subject]
    assert "Tidak membayar 6 bulan" in archived.body
    assert Notice.objects.filter(subscription=sub, kind="archived").exists()


def test_rejected_proof_sends_the_reason_and_shows_it_on_the_page(
    admin_client_a, tenant_a, operator, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    services.bank_proof_upload(
        invoice=inv,
        upload=SimpleUploadedFile("b.png", PNG, "image/png"),
        by="bendahara",
        amount_claimed=inv.amount_due,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.bank_transfer_reject(
            invoice=inv, operator=operator, reason="Nominal Rp 100.000 tidak sesuai tagihan"
        )
    [m] = [m for m in mail.outbox if "ditolak" in m.subject]
    assert "Nominal Rp 100.000 tidak sesuai tagihan" in m.body
    page = admin_client_a.get("/langganan/").content.decode()
    assert "Nominal Rp 100.000 tidak sesuai tagihan" in page


def test_paying_during_a_trial_keeps_the_remaining_trial_days_and_says_so(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    trial_end = timezone.localdate(sub.trial_ends_at)
    assert trial_end > timezone.localdate() + timedelta(days=20)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    assert inv.period_start == trial_end + timedelta(days=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.bank_transfer_confirm(invoice=inv, operator=operator)
    sub.refresh_from_db()
    inv.refresh_from_db()
    assert inv.period_start == trial_end + timedelta(days=1)
    assert timezone.localdate(sub.current_period_end) == inv.period_end
    assert sub.status == "active"
    [m] = [m for m in mail.outbox if "diterima" in m.subject]
    assert "uji coba" in m.body
    # the amount received, written for people (Rp 150.000, not 150000)
    assert f"pembayaran tagihan {inv.number} ({format_rupiah(inv.amount_due)})" in m.body
    assert Notice.objects.filter(subscription=sub, kind="payment_confirmed").exists()
    assert Invoice.objects.get(pk=inv.pk).status == "paid"


def test_bank_period_end_sends_an_email(tenant_a, operator, django_capture_on_commit_callbacks):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    services.bank_transfer_confirm(invoice=inv, operator=operator)
    sub.refresh_from_db()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.billing_sweep(now=sub.current_period_end + timedelta(hours=2))
    sub.refresh_from_db()
    assert sub.status == "past_due"
    assert any("Masa langganan" in s for s in _subjects()), _subjects()
    assert Notice.objects.filter(subscription=sub, kind="period_ended").exists()
