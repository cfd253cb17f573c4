"""A cancelled entry in the cash flow: its reversal takes back what the entry showed
(a receipt cancelled lowers the receipts), instead of showing the same money again as
a payment. An entry cancelled within the period leaves no row; cancelled in a later
period, that period's receipts are the lower by it. Per-day figures (the trigger), a
rebuild, a closed month's stored figures and the lines agree."""

from datetime import date
from decimal import Decimal

import pytest

from core.ledger import reports
from core.ledger.models import Account, Period
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, journal_reverse

D = Decimal


@pytest.fixture
def year(in_tenant_a, today):
    fiscal_year_ensure(year=today.year - 1)
    return today.year - 1


def _rows(cf: dict) -> dict:
    """{(section, 'in'|'out', code): amount} of the statement."""
    out = {}
    for s in cf["sections"]:
        for x in s["inflows"]:
            out[(s["key"], "in", x["code"])] = x["amount"]
        for x in s["outflows"]:
            out[(s["key"], "out", x["code"])] = x["amount"]
    return out


def _income(on: date, by, amount: str):
    return journal_post(
        on=on,
        description="jasa giro diterima",
        by=by,
        lines=[LineSpec("1101", debit=D(amount)), LineSpec("4102", credit=D(amount))],
    )


def test_entry_cancelled_in_the_same_month_shows_no_receipt_and_no_payment(year, bendahara):
    _income(date(year, 3, 5), bendahara, "400000")
    wrong = _income(date(year, 3, 6), bendahara, "250000")
    journal_reverse(entry=wrong, on=date(year, 3, 6), reason="salah ketik", by=bendahara)
    cf = reports.cash_flow(date_from=date(year, 3, 1), date_to=date(year, 3, 31))
    rows = _rows(cf)
    assert [v for k, v in rows.items() if k[2] == "4102"] == [D("400000")], rows
    assert not any(k[1] == "out" for k in rows), rows
    assert cf["net_change"] == D("400000") and cf["reconciles"]
    assert reports._flows_from_days(date(year, 3, 1), date(year, 3, 31)) == (
        reports._flows_from_lines(reports.cash_account_ids(), date(year, 3, 1), date(year, 3, 31))
    )


def test_entry_cancelled_in_a_later_month_lowers_that_months_receipts(year, bendahara):
    wrong = _income(date(year, 3, 6), bendahara, "250000")
    _income(date(year, 4, 2), bendahara, "100000")
    journal_reverse(entry=wrong, on=date(year, 4, 9), reason="salah ketik", by=bendahara)
    march = reports.cash_flow(date_from=date(year, 3, 1), date_to=date(year, 3, 31))
    april = reports.cash_flow(date_from=date(year, 4, 1), date_to=date(year, 4, 30))
    assert _rows(march) == {("operating", "in", "4102"): D("250000")}
    assert _rows(april) == {("operating", "in", "4102"): D("-150000")}
    assert april["net_change"] == D("-150000") and april["reconciles"]
    both = reports.cash_flow(date_from=date(year, 3, 1), date_to=date(year, 4, 30))
    assert _rows(both) == {("operating", "in", "4102"): D("100000")}


def test_closed_months_stored_figures_and_a_rebuild_agree(year, bendahara):
    from core.ledger.services import period_close

    wrong = _income(date(year, 1, 6), bendahara, "250000")
    journal_reverse(entry=wrong, on=date(year, 1, 7), reason="salah ketik", by=bendahara)
    period_close(period=Period.objects.get(start_date=date(year, 1, 1)), by=bendahara)
    cf = reports.cash_flow(date_from=date(year, 1, 1), date_to=date(year, 1, 31))
    assert _rows(cf) == {}
    # a cash flag changed after postings rebuilds the per-day figures from the lines
    acc = Account.objects.get(code="1105")
    Account.objects.filter(pk=acc.pk).update(is_cash=True)
    Account.objects.filter(pk=acc.pk).update(is_cash=False)
    days = reports._flows_from_days(date(year, 1, 1), date(year, 1, 31))
    assert all(v == [D(0), D(0)] for v in days.values()), days
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())
    assert all(r.difference == 0 for r in reports.cash_flow_months_check())


def test_the_migration_puts_a_cooperatives_figures_right_and_back(year, bendahara):
    """A cooperative with a cancelled entry counted under the old rule (a receipt and a
    payment) and a closed month's stored figures: migration 0022 rebuilds the per-day
    figures and drops the stored month; its reverse restores the old rule."""
    from importlib import import_module

    from django.db import connection

    from core.ledger.models import CashFlowMonth
    from core.ledger.services import period_close

    migration = import_module("core.ledger.migrations.0022_cash_flow_reversal_nets")
    with connection.cursor() as cur:  # the rule before 0022
        cur.execute(migration.REVERSE_SQL + migration.REVERSE_DAYS)
        cur.execute("SET CONSTRAINTS ALL DEFERRED")  # the rebuild made them immediate
    wrong = _income(date(year, 2, 6), bendahara, "250000")
    journal_reverse(entry=wrong, on=date(year, 2, 6), reason="salah ketik", by=bendahara)
    jasa = Account.objects.get(code="4102").pk
    feb = (date(year, 2, 1), date(year, 2, 28))
    assert reports._flows_from_days(*feb) == {jasa: [D("250000"), D("250000")]}
    month = Period.objects.get(start_date=feb[0])
    period_close(period=Period.objects.get(start_date=date(year, 1, 1)), by=bendahara)
    period_close(period=month, by=bendahara)
    assert CashFlowMonth.objects.filter(month=feb[0]).exists()
    with connection.cursor() as cur:  # as a migration runs: no check left pending
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(migration.SQL + migration.DAYS + migration.DROP_MONTHS)
    assert reports._flows_from_days(*feb) == {jasa: [D(0), D(0)]}
    assert not CashFlowMonth.objects.filter(month=feb[0]).exists()
    assert _rows(reports.cash_flow(date_from=feb[0], date_to=feb[1])) == {}
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())
