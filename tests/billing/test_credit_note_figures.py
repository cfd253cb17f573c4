"""An invoice that had the cooperative's credit taken off it and was later credited
back with a credit note: the figures a cooperative admin (and an operator on the
console) sees for it add up: invoice total - credit applied = what was transferred, and
the credit note takes back what the invoice was paid with (transfer and credit)."""

import re
from decimal import Decimal

from billing import services
from billing.models import CreditEntry, CreditNote, Invoice, Plan
from core.common.money import parse_rupiah
from tests.billing.test_credit import _give_credit, _paid_sedang_yearly, _png
from tests.billing.test_upgrade_awaiting_renewal import _page

RP = r"(-?Rp [\d.]+)"


def _rp(text: str) -> Decimal:
    return parse_rupiah(text.replace("Rp ", ""), allow_negative=True)


def paid_with_credit_then_paid_twice(tenant, operator):
    """Sedang yearly paid; Rp 500.000 credit is taken off the renewal when it is issued
    (Rp 3.000.000 to transfer); the same year is also transferred as Besar and both are
    confirmed: the renewal (transfer and credit, Rp 3.500.000) is credited back with a
    credit note."""
    sub, first = _paid_sedang_yearly(tenant, operator)
    _give_credit(sub, 500_000)
    renewal = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    assert renewal.credit_applied == Decimal(500_000)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    other = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    services.bank_proof_upload(
        invoice=other, upload=_png(), by="bendahara", amount_claimed=other.amount_due
    )
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    services.bank_transfer_confirm(invoice=other, operator=operator)
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.PAID
    note = CreditNote.objects.get(subscription=sub)
    return sub, first, renewal, note


def assert_invoice_figures_add_up(row: str, renewal: Invoice, note: CreditNote) -> None:
    """``row`` is the page from the renewal's number to the next invoice's: its own row
    and its credit note's."""
    at_note = row.index(note.number)
    invoice_row, note_row = row[:at_note], row[at_note:]
    total = re.search(r'<td class="num">' + RP, invoice_row)
    credit = re.search(r"dikurangi kredit " + RP, invoice_row)
    transfer = re.search(r"jumlah transfer " + RP, invoice_row)
    assert total and credit and transfer, invoice_row
    total, credit, transfer = (_rp(m.group(1)) for m in (total, credit, transfer))
    assert (total, credit, transfer) == (Decimal(3_500_000), Decimal(500_000), Decimal(3_000_000))
    assert total - credit == transfer == renewal.amount_due
    noted = re.search(r'<td class="num">' + RP, note_row)
    assert noted and _rp(noted.group(1)) == -Decimal(3_500_000) == -note.amount
    # what was credited back is what the invoice was paid with: transfer and credit
    assert -_rp(noted.group(1)) == transfer + credit


def test_an_invoice_with_credit_applied_and_a_credit_note_adds_up_on_the_billing_page(
    tenant_a, operator, client_a, admin_a
):
    sub, first, renewal, note = paid_with_credit_then_paid_twice(tenant_a, operator)
    page = _page(client_a, tenant_a, admin_a)
    table = page[page.index("Tagihan dan kuitansi") :]
    row = table[table.index(renewal.number) : table.index(first.number)]
    assert_invoice_figures_add_up(row, renewal, note)
    dup = CreditEntry.objects.get(subscription=sub, reason="duplicate_payment")
    assert dup.amount == note.amount
