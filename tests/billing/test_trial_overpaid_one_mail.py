"""A transfer bringing more than due during the trial: the cooperative gets one e-mail
(and one notice), saying the invoice is paid, when the paid period runs (the trial's
remaining days kept), the excess and that it became credit taken off the next transfer
invoice. Before, it got two: the trial's *Pembayaran diterima* and the overpayment's."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import formats, timezone, translation

from billing import services as billing
from billing.models import Notice, Plan, Subscription
from core.common.money import format_rupiah

pytestmark = pytest.mark.django_db


def _day(d) -> str:
    with translation.override("id"):
        return formats.date_format(d, "j F Y")


def test_an_overpaid_transfer_in_the_trial_sends_one_mail_with_the_excess(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    Subscription.objects.filter(cooperative=tenant_a).update(
        trial_ends_at=timezone.now() + timedelta(days=10)
    )
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        billing.bank_transfer_receive(
            invoice=inv, operator=operator, amount=inv.amount_due + Decimal(50_000)
        )
    inv.refresh_from_db()
    assert len(mail.outbox) == 1, [m.subject for m in mail.outbox]
    [message] = mail.outbox
    assert message.to == [tenant_a.email]
    assert message.subject == (
        f"[Lumbung] Tagihan {inv.number} lunas, kelebihan transfer Rp 50.000 menjadi kredit"
    )
    body = " ".join(message.body.split())
    got = format_rupiah(inv.amount_due + 50_000)
    assert f"Transfer {got} untuk tagihan {inv.number} telah kami terima" in body
    assert "Kelebihan Rp 50.000 menjadi kredit koperasi" in body
    assert "Saldo kredit sekarang: Rp 50.000" in body
    assert (
        f"Sisa masa uji coba tetap berlaku; langganan berbayar berjalan "
        f"{_day(inv.period_start)} sampai {_day(inv.period_end)}."
    ) in body
    assert "Paket: Sedang" in body
    kinds = list(Notice.objects.filter(subscription=sub).values_list("kind", flat=True))
    assert kinds == ["transfer_overpaid"]


def test_a_transfer_of_what_is_due_in_the_trial_still_sends_its_one_mail(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    Subscription.objects.filter(cooperative=tenant_a).update(
        trial_ends_at=timezone.now() + timedelta(days=10)
    )
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        billing.bank_transfer_receive(invoice=inv, operator=operator, amount=inv.amount_due)
    assert [m.subject for m in mail.outbox] == [f"[Lumbung] Pembayaran {tenant_a.name} diterima"]
