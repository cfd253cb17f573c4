"""A transfer recorded for another amount than due (billing.bank_transfer_receive) is
told to the cooperative: an e-mail to its billing address, after commit, and the same
notice on its billing page. Less: what came, what is left and how to pay it (the
account, the same reference); more: the invoice is paid and the excess is credit taken
off the next invoice. A refusal sends nothing."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice, Notice, Plan, Subscription
from core.common.errors import ApplicationError
from core.common.money import format_rupiah

pytestmark = pytest.mark.django_db


def _invoice(coop) -> Invoice:
    Subscription.objects.filter(cooperative=coop).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=coop)
    return billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="t"
    )


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_partial_transfer_is_told_with_what_is_left_and_how_to_pay_it(
    tenant_a, operator, admin_client_a, settings, django_capture_on_commit_callbacks
):
    inv = _invoice(tenant_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal(100_000))
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    inv.refresh_from_db()
    rest = format_rupiah(inv.amount_due)
    [message] = [m for m in mail.outbox if inv.number in m.subject]
    assert message.to == [tenant_a.email]
    assert "diterima sebagian" in message.subject
    body = " ".join(message.body.split())
    assert f"Transfer Rp 100.000 untuk tagihan {inv.number} telah kami terima" in body
    assert f"Sisa yang perlu ditransfer: {rest}" in body
    assert settings.BILLING_BANK_ACCOUNT_NUMBER in body
    assert f"Berita transfer: {inv.reference}" in body
    notice = Notice.objects.get(subscription=inv.subscription, kind="transfer_partial")
    assert inv.number in notice.message and rest in notice.message
    page = _text(admin_client_a.get("/langganan/").content.decode())
    assert notice.message in page


def test_an_overpayment_is_told_with_the_credit(
    tenant_a, operator, django_capture_on_commit_callbacks
):
    inv = _invoice(tenant_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        billing.bank_transfer_receive(
            invoice=inv, operator=operator, amount=inv.amount_due + Decimal(25_000)
        )
    [message] = [m for m in mail.outbox if "kelebihan" in m.subject.lower()]
    body = " ".join(message.body.split())
    assert f"tagihan {inv.number} lunas" in body
    assert "Kelebihan Rp 25.000 menjadi kredit koperasi" in body
    assert "mengurangi tagihan transfer bank berikutnya" in body
    notice = Notice.objects.get(subscription=inv.subscription, kind="transfer_overpaid")
    assert "Rp 25.000" in notice.message


def test_a_refused_amount_sends_nothing(tenant_a, operator, django_capture_on_commit_callbacks):
    inv = _invoice(tenant_a)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError):
        billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal("10.5"))
    assert mail.outbox == []
    assert not Notice.objects.filter(subscription=inv.subscription).exists()
