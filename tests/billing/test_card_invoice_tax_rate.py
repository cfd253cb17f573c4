"""A card invoice's PPN is figured once, at the rate of the day it was copied: Stripe
reporting the same invoice again (paid after a failed attempt, say) after the PPN rate
changed (11% to 12% on 1 January 2025) keeps its DPP, PPN and rate as issued, so the
e-Faktur row of its month does not change."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.efaktur import efaktur_rows
from billing.webhooks import _invoice_mirror

from .test_invoices_tax import _stripe_invoice


def test_a_card_invoice_reported_again_after_a_rate_change_keeps_its_ppn(subscription_a, settings):
    settings.BILLING_PPN_RATE = Decimal("0.11")
    now = timezone.now()
    stripe_inv = _stripe_invoice(
        subscription_a,
        total=111_000_00,
        created=now,
        line_start=now,
        line_end=now + timedelta(days=30),
        status="open",
    )
    with transaction.atomic():
        first = _invoice_mirror(subscription_a, stripe_inv)
    assert (first.dpp, first.ppn, first.ppn_rate) == (
        Decimal(100_000),
        Decimal(11_000),
        Decimal("0.11"),
    )
    today = timezone.localdate()
    before = efaktur_rows(year=today.year, month=today.month)

    settings.BILLING_PPN_RATE = Decimal("0.12")
    paid = dict(stripe_inv, status="paid", amount_paid=111_000_00)
    paid["status_transitions"] = {"paid_at": int(now.timestamp())}
    with transaction.atomic():
        again = _invoice_mirror(subscription_a, paid)

    again.refresh_from_db()
    assert again.pk == first.pk and again.status == "paid"
    assert (again.amount, again.dpp, again.ppn, again.ppn_rate) == (
        Decimal(111_000),
        Decimal(100_000),
        Decimal(11_000),
        Decimal("0.11"),
    )
    assert efaktur_rows(year=today.year, month=today.month) == before
