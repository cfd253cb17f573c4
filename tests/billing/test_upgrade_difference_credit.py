"""An upgrade's difference for a later period, credited back when that period does not
run on the upgrade's plan, is credited as the rupiah figure billed for it: its own line
of the upgrade's invoice (amount, DPP, PPN), never the price difference figured again
(rounded again, or at a price an operator changed since)."""

from decimal import Decimal

from django.utils import timezone

from billing import selectors, services
from billing.models import CreditEntry, Invoice, Plan, Subscription
from billing.pdf import invoice_html
from billing.tax import tax_split
from core.common.money import format_rupiah
from tests.billing.test_credit import (
    _balance,
    _paid_sedang_yearly,
    _period_begins,
    _renewal_issued,
    _upgrade,
)

RATE = Decimal("0.11")


def _taxed(price: Decimal) -> Decimal:
    dpp, ppn = tax_split(price=price, rate=RATE, includes_ppn=False)
    return dpp + ppn


def _renewal_paid_early(tenant_a, operator, clock):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    return sub, first, renewal


def _besar_price_showing_the_rounding(first, sedang_year: Decimal) -> tuple[Decimal, Decimal]:
    """A yearly Besar price (PPN on top) for which the PPN of the rest of this year and
    of the next year's difference, each rounded, differ by Rp 1 from the PPN of their
    sum rounded once; and the rest of this year at that price."""
    for price in range(7_500_001, 7_500_200):
        rest = services.proration_amount(
            old_price=sedang_year,
            new_price=Decimal(price),
            period_start=first.period_start,
            period_end=first.period_end,
            today=timezone.localdate(),
        )
        difference = Decimal(price) - sedang_year
        if _taxed(rest + difference) != _taxed(rest) + _taxed(difference):
            return Decimal(price), rest
    raise AssertionError("no price in range shows the rounding")


def test_the_credited_difference_is_the_line_billed_to_the_rupiah(tenant_a, operator, clock):
    Plan.objects.filter(code__in=["sedang", "besar"]).update(prices_include_ppn=False)
    sub, first, renewal = _renewal_paid_early(tenant_a, operator, clock)
    sedang_year = Plan.objects.get(code="sedang").price_yearly
    price, rest = _besar_price_showing_the_rounding(first, sedang_year)
    Plan.objects.filter(code="besar").update(price_yearly=price)
    difference = price - sedang_year

    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    [line] = upgrade.differences.all()
    # The invoice is its lines: the rest of this year and next year's difference, each
    # with its own PPN.
    assert line.amount == _taxed(difference) and line.dpp == difference
    assert upgrade.amount == _taxed(rest) + line.amount
    assert (upgrade.dpp, upgrade.ppn) == (rest + line.dpp, upgrade.amount - rest - line.dpp)
    html = invoice_html(invoice=upgrade)  # the PDF lists both lines
    assert f"untuk periode tagihan {renewal.number}" in html
    assert format_rupiah(rest) in html and format_rupiah(line.dpp) in html

    # Back to Sedang: next year runs on it, its difference comes back.
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    _period_begins(clock, renewal)
    entry = CreditEntry.objects.get(subscription=sub, reason="upgrade_difference")
    assert entry.amount == line.amount == _balance(sub)
    # What the cooperative keeps paying is exactly the rest of the year on Besar, PPN
    # included: not a rupiah more or less.
    assert upgrade.amount - entry.amount == _taxed(rest)
    note = entry.credit_note
    assert (note.amount, note.dpp, note.ppn) == (line.amount, line.dpp, line.ppn)


def test_a_price_changed_after_the_upgrade_does_not_change_what_is_credited(
    tenant_a, operator, clock
):
    sub, first, renewal = _renewal_paid_early(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    [line] = upgrade.differences.all()
    assert line.amount == Decimal(7_500_000 - 3_500_000)

    besar = Plan.objects.get(code="besar")
    services.plan_save(operator=operator, plan=besar, price_yearly="9000000")
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    _period_begins(clock, renewal)

    assert _balance(sub) == line.amount == Decimal(4_000_000)
    upgrade.refresh_from_db()
    assert upgrade.status == Invoice.Status.PAID


def test_migration_0016_records_the_lines_of_upgrades_invoiced_before_them(
    tenant_a, operator, clock
):
    """An upgrade invoiced before its lines were recorded (none): the backfill records
    its difference for the renewal it topped up, the figure the credit was figured from
    until then, and nothing twice when run again."""
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    backfill = importlib.import_module("billing.migrations.0016_upgrade_difference_backfill")
    sub, first, renewal = _renewal_paid_early(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    [line] = upgrade.differences.all()
    recorded = (line.renewal_id, line.period_start, line.amount, line.dpp, line.ppn)
    upgrade.differences.all().delete()

    editor = SimpleNamespace(connection=connection)
    backfill.forwards(apps, editor)
    backfill.forwards(apps, editor)

    [line] = upgrade.differences.all()
    assert (line.renewal_id, line.period_start, line.amount, line.dpp, line.ppn) == recorded
    assert selectors.invoice_upgrade_covering(invoice=renewal) == upgrade


def test_purging_a_cooperative_with_an_upgrade_keeps_its_lines_with_the_invoice(
    tenant_a, operator, clock
):
    """The console's "delete an archived tenant" keeps the invoices (tax records) with
    their lines (which point at the upgrade's invoice and the renewal)."""
    sub, first, renewal = _renewal_paid_early(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    lines = list(upgrade.differences.values_list("pk", "renewal_id", "amount"))
    assert lines

    kept = services.billing_records_purge(cooperative=tenant_a)

    assert upgrade.number in [i["number"] for i in kept["invoices"]]
    assert not Invoice.objects.filter(subscription_id=sub.pk).exists()
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    upgrade.refresh_from_db()
    assert upgrade.subscription_id is None
    assert list(upgrade.differences.values_list("pk", "renewal_id", "amount")) == lines
