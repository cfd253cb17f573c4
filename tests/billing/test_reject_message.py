"""The operator who rejects a transfer proof is told what the cooperative's credit did
to the invoice in the same step (bank_transfer_reject applies it at once): how much was
taken and what is left to transfer, or that the invoice is now paid by credit."""

from decimal import Decimal

from billing import services
from billing.models import Invoice
from tests.billing.test_credit import (
    _give_credit,
    _paid_sedang_yearly,
    _png,
    _renewal_issued,
)
from tests.console.conftest import verified_client


def _reject(operator, inv) -> str:
    response = verified_client(operator).post(
        f"/billing/operator/transfer/{inv.pk}/tolak/", {"reason": "tidak ada"}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


def _awaiting_renewal(tenant_a, operator, clock, credit: int):
    sub, _first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    if credit:
        _give_credit(sub, credit)
    return renewal


def test_reject_message_says_the_credit_taken_and_what_is_left_to_transfer(
    tenant_a, operator, clock
):
    renewal = _awaiting_renewal(tenant_a, operator, clock, credit=500_000)
    page = _reject(operator, renewal)
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.OPEN
    assert renewal.credit_applied == Decimal(500_000)
    assert (
        f"Bukti transfer {renewal.number} ditolak. Kredit koperasi Rp 500.000 dipakai "
        "untuk tagihan ini; sisa yang perlu ditransfer Rp 3.000.000."
    ) in page


def test_reject_message_says_the_invoice_is_paid_by_credit(tenant_a, operator, clock):
    renewal = _awaiting_renewal(tenant_a, operator, clock, credit=4_000_000)
    page = _reject(operator, renewal)
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.PAID
    assert (
        f"Bukti transfer {renewal.number} ditolak. Kredit koperasi Rp 3.500.000 melunasi "
        "tagihan ini; tidak ada yang perlu ditransfer."
    ) in page


def test_reject_message_without_credit_says_only_rejected(tenant_a, operator, clock):
    renewal = _awaiting_renewal(tenant_a, operator, clock, credit=0)
    page = _reject(operator, renewal)
    assert f"Bukti transfer {renewal.number} ditolak." in page
    assert "Kredit koperasi" not in page
