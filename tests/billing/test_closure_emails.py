"""The e-mails of a cooperative the daily sweep suspends, then archives, for an unpaid
bill say which bill (number, amount to transfer, due date), since when it is unpaid,
how to pay it and reopen access, and what happens to the data; an operator's archive
keeps the operator's reason and says paying does not reopen it."""

from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.utils import dateformat, timezone, translation

from billing import services
from billing.models import Plan, Subscription
from core.common.money import format_rupiah


def _day(d) -> str:
    """A date as the e-mails write it (Indonesian month names)."""
    with translation.override("id"):
        return dateformat.format(d, "j F Y")


def _mails(word: str) -> list:
    return [m for m in mail.outbox if word in m.subject and "alpha.test" in m.to[0]]


def _sweep_to_archive(sub, capture):
    """Trial over, unpaid: past due, suspended after the grace, archived after the
    archive days (the sweep's own steps)."""
    start = sub.trial_ends_at + timedelta(days=1)
    with capture(execute=True):
        services.billing_sweep(now=start)
        services.billing_sweep(now=start + timedelta(days=15))
        services.billing_sweep(now=start + timedelta(days=15 + 181))
    sub.refresh_from_db()
    assert sub.status == "archived" and not sub.archived_by_operator
    return sub


def test_the_sweeps_archive_e_mail_names_the_unpaid_bill_and_how_to_reopen(
    tenant_a, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    invoice = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    mail.outbox.clear()

    sub = _sweep_to_archive(sub, django_capture_on_commit_callbacks)

    (sent,) = _mails("diarsipkan")
    body = " ".join(sent.body.split())
    assert "belum dibayar" in sent.subject
    assert invoice.number in body
    assert format_rupiah(invoice.amount_due) in body
    assert f"jatuh tempo {_day(invoice.due_on)}" in body
    assert f"belum dibayar sejak {_day(timezone.localdate(sub.past_due_since))}" in body
    assert f"ditangguhkan sejak {_day(timezone.localdate(sub.suspended_since))}" in body
    # how to pay and reopen: the bank account, the transfer's reference, the proof by reply
    assert settings.BILLING_BANK_ACCOUNT_NUMBER in body and invoice.reference in body
    assert "balas e-mail ini" in body
    assert "akses pulih setelah pembayaran dikonfirmasi" in body
    # what happens to the data
    assert "Data koperasi tidak dihapus" in body
    assert "oleh tim Lumbung" not in body  # not an operator's decision


def test_the_sweeps_archive_e_mail_without_an_invoice_says_how_to_get_one(
    tenant_a, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    mail.outbox.clear()

    sub = _sweep_to_archive(sub, django_capture_on_commit_callbacks)

    (sent,) = _mails("diarsipkan")
    body = " ".join(sent.body.split())
    assert "Belum ada tagihan yang diterbitkan" in body
    assert f"belum dibayar sejak {_day(timezone.localdate(sub.past_due_since))}" in body
    assert "balas e-mail ini" in body and "Data koperasi tidak dihapus" in body


def test_the_sweeps_suspension_e_mail_names_the_bill_and_the_day_it_is_archived(
    tenant_a, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    invoice = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    start = sub.trial_ends_at + timedelta(days=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.billing_sweep(now=start)
        services.billing_sweep(now=start + timedelta(days=15))
    sub.refresh_from_db()
    assert sub.status == "suspended"

    (sent,) = _mails("ditangguhkan")
    body = " ".join(sent.body.split())
    assert invoice.number in body and format_rupiah(invoice.amount_due) in body
    assert f"jatuh tempo {_day(invoice.due_on)}" in body
    assert f"belum dibayar sejak {_day(timezone.localdate(sub.past_due_since))}" in body
    archive_on = timezone.localdate(sub.suspended_since) + timedelta(
        days=settings.BILLING_ARCHIVE_AFTER_DAYS
    )
    assert f"diarsipkan pada {_day(archive_on)}" in body
    assert "Data koperasi tidak dihapus" in body


def test_an_operators_archive_e_mail_gives_the_reason_and_says_paying_does_not_reopen(
    tenant_a, django_capture_on_commit_callbacks
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.subscription_status_override(
            subscription=sub, status="archived", operator="ops", reason="Koperasi dibubarkan"
        )

    (sent,) = _mails("diarsipkan")
    body = " ".join(sent.body.split())
    assert "oleh tim Lumbung" in body and "Alasan: Koperasi dibubarkan" in body
    assert "Membayar tagihan tidak membukanya kembali" in body
    assert "belum dibayar" not in sent.subject
