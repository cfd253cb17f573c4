"""A paid invoice's price that is credited back (an upgrade's difference for a period
that does not run on that plan, a period paid twice) is reduced by a credit note (nota
retur / pengurangan) with its own DPP and PPN, in the e-Faktur data of its month: the
PPN of the credited amount is then reported once, on the invoice the credit pays."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings

from billing import services
from billing.efaktur import COLUMNS, efaktur_rows
from billing.models import CreditEntry, Invoice, Plan
from billing.tax import tax_split
from tests.billing.test_credit import (
    BESAR_YEAR,
    SEDANG_YEAR,
    _balance,
    _paid_sedang_yearly,
    _png,
    _renewal_issued,
    _upgrade,
)

DPP, PPN, REF, STATUS, ORIGINAL = 8, 9, 11, 13, COLUMNS.index("FAKTUR_ASAL")


def _all_rows(*invoices_and_notes) -> list[list]:
    """The e-Faktur rows of every month the given documents were issued in."""
    months = sorted({(d.issued_on.year, d.issued_on.month) for d in invoices_and_notes})
    return [row for y, m in months for row in efaktur_rows(year=y, month=m)]


def test_a_credited_upgrade_difference_reused_on_the_next_invoice_is_taxed_once(
    tenant_a, operator, clock
):
    """The upgrade's invoice carried Rp 4.000.000 for the next period (PPN in it); the
    renewal it topped up is rejected and the plan changed back, so those Rp 4.000.000
    are credited and pay the reissued renewal (PPN in it again). A credit note takes
    the Rp 4.000.000 off the upgrade's invoice, with its own PPN: in the e-Faktur data
    the net PPN is that of what the cooperative bought."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada")
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    services.billing_sweep(now=clock.now + timedelta(days=1))
    again = Invoice.objects.filter(subscription=sub, kind="subscription").latest("pk")
    assert again.status == Invoice.Status.PAID and again.credit_applied == SEDANG_YEAR

    difference = BESAR_YEAR - SEDANG_YEAR
    entry = CreditEntry.objects.get(subscription=sub, reason="upgrade_difference")
    note = entry.credit_note
    rate = Decimal(settings.BILLING_PPN_RATE)
    assert note.invoice == upgrade and note.amount == difference
    assert (note.dpp, note.ppn) == tax_split(price=difference, rate=rate, includes_ppn=True)
    assert note.number == f"{upgrade.number}-R1"
    assert note.buyer_name == upgrade.buyer_name

    rows = _all_rows(first, upgrade, again, note)
    [note_row] = [r for r in rows if r[REF] == note.number]
    assert note_row[DPP] == -int(note.dpp) and note_row[PPN] == -int(note.ppn)
    assert note_row[ORIGINAL] == upgrade.number and note_row[STATUS] == "nota_retur"
    # Net PPN reported: the first year, the upgrade for what is left of it, the next
    # year on Sedang, each once (the credited difference's PPN is netted out).
    bought = [first.amount, upgrade.amount - difference, again.amount]
    expected = sum(tax_split(price=a, rate=rate, includes_ppn=True)[1] for a in bought)
    reported = sum(r[PPN] for r in rows)
    assert abs(reported - expected) <= 1  # whole-rupiah rounding of two splits
    assert reported == first.ppn + upgrade.ppn - note.ppn + again.ppn
    assert _balance(sub) == difference - SEDANG_YEAR


def test_a_period_paid_twice_gets_a_credit_note_for_the_payment_credited(tenant_a, operator, clock):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
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

    entry = CreditEntry.objects.get(subscription=sub, reason="duplicate_payment")
    note = entry.credit_note
    assert note.invoice == renewal and (note.amount, note.dpp, note.ppn) == (
        renewal.amount,
        renewal.dpp,
        renewal.ppn,
    )
    rows = _all_rows(renewal, other, note)
    # The period's PPN is reported once: the credited renewal's is netted out.
    assert sum(r[PPN] for r in rows if r[REF] in (renewal.number, note.number)) == 0
    assert [r[PPN] for r in rows if r[REF] == other.number] == [int(other.ppn)]


def test_a_refund_or_a_voided_invoice_makes_no_credit_note(tenant_a, operator, clock):
    """Credit given back from a voided invoice was never taxed twice (a void invoice is
    not in the e-Faktur data), nor is a refund paid out: no note."""
    from tests.billing.test_credit import _give_credit

    sub, first = _paid_sedang_yearly(tenant_a, operator)
    _give_credit(sub, 1_000_000)  # no invoice behind it: no note
    renewal = _renewal_issued(sub, clock)
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="year", by="admin"
    )
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.VOID
    assert not CreditEntry.objects.filter(subscription=sub, credit_note__isnull=False).exists()
