"""bench/statements_bench.py with a few hundred lines, so the harness never rots; and the
closed months' stored cash-flow figures (``CashFlowMonth``) proven equal to the lines."""

import sys
from datetime import date
from pathlib import Path

import pytest
from django.utils import timezone

from core.ledger import reports
from core.ledger.models import CashFlowMonth, Period
from core.ledger.selectors import balances_check
from core.ledger.services import period_close, period_reopen

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import statements_bench as sb

# This year and last, whatever day the suite runs on: the test cooperatives' books start on
# 1 January of this year; the harness opens last year and loads from its 1 January on.
THIS = timezone.localdate().year
LAST = THIS - 1
TODAY = date(THIS, 3, 20)


@pytest.fixture
def loaded(in_tenant_a, bendahara):
    info = sb.load(total_lines=600, today=TODAY, members=20, atomic_months=False)
    assert info["lines"] >= 500 and info["months"] == 15
    return info


def _without_stored(rng):
    """The statement computed from the lines only (no stored month)."""
    cash = reports.cash_account_ids()
    return reports._flows_from_lines(cash, rng.date_from, rng.date_to)


def test_bench_harness_loads_and_times_every_statement(loaded, login):
    from core.ledger.models import Account

    assert balances_check() == []
    assert reports.trial_balance(as_of=TODAY)["balanced"]
    assert reports.balance_sheet(as_of=TODAY)["balanced"]
    cash = Account.objects.get(code="1101")
    gl = reports.general_ledger(account=cash, date_from=date(THIS, 1, 1), date_to=TODAY)
    urls = sb.statement_urls(today=TODAY, cash_id=cash.pk, pages=gl["pages"])
    assert len(urls) == 15
    results = sb.measure(login("bendahara"), urls, samples=1)
    assert set(results) == set(urls)
    assert all(p50 > 0 and mx >= p50 for p50, mx in results.values())
    text = sb.docs_text(
        results,
        info=loaded,
        balances=1,
        check_ms=1.0,
        args=type("A", (), {"samples": 1, "label": "", "close_months": True})(),
    )
    assert text.startswith(sb.SECTION) and "arus kas (cash flow) API" in text


def test_closed_months_cash_flow_is_stored_and_equals_the_lines(loaded, bendahara):
    rng = reports.Range(date(LAST, 1, 1), date(LAST, 12, 31))
    before = reports.cash_flow(date_from=rng.date_from, date_to=rng.date_to)
    for p in Period.objects.filter(start_date__lte=date(LAST, 12, 1)).order_by("start_date"):
        period_close(period=p, by=bendahara)
    assert CashFlowMonth.objects.count() == 12
    # every stored month equals the lines (as the daily reconciliation checks)
    rows = reports.cash_flow_months_check()
    assert len(rows) == 12 and all(r.difference == 0 for r in rows)
    stored = reports._period_flows(rng, reports.cash_account_ids())
    assert stored == _without_stored(rng)
    after = reports.cash_flow(date_from=rng.date_from, date_to=rng.date_to)
    assert after["sections"] == before["sections"]
    assert after["reconciles"] and after["closing_cash"] == before["closing_cash"]
    # a range cutting months: stored whole months + lines for the partial ends
    part = reports.Range(date(LAST, 2, 10), date(LAST, 11, 5))
    assert reports._period_flows(part, reports.cash_account_ids()) == _without_stored(part)


def test_reopened_month_is_read_from_the_lines_until_closed_again(loaded, bendahara, make_user):
    from decimal import Decimal

    from core.ledger.services import LineSpec, journal_post

    march = Period.objects.get(start_date=date(LAST, 3, 1))
    period_close(period=march, by=bendahara)
    admin = make_user("admin")
    period_reopen(period=march, reason="koreksi", by=admin)
    journal_post(
        on=date(LAST, 3, 15),
        description="Koreksi",
        by=bendahara,
        lines=[
            LineSpec("1101", debit=Decimal("777000")),
            LineSpec("4101", credit=Decimal("777000")),
        ],
    )
    rng = reports.Range(date(LAST, 3, 1), date(LAST, 3, 31))
    flows = reports._period_flows(rng, reports.cash_account_ids())
    assert flows == _without_stored(rng)
    march.refresh_from_db()
    period_close(period=march, by=bendahara)
    assert reports._cash_flow_months([date(LAST, 3, 1)], reports.cash_account_ids())
    assert reports._period_flows(rng, reports.cash_account_ids()) == _without_stored(rng)
    assert all(r.difference == 0 for r in reports.cash_flow_months_check())


def test_a_changed_cash_account_set_ignores_stored_months(loaded, bendahara):
    from core.ledger.models import Account

    jan = Period.objects.get(start_date=date(LAST, 1, 1))
    period_close(period=jan, by=bendahara)
    Account.objects.filter(code="1102").update(is_cash=False)
    assert reports._cash_flow_months([date(LAST, 1, 1)], reports.cash_account_ids()) == {}


def test_table_body_built_in_python_matches_the_template_loop(loaded):
    from django.template.loader import render_to_string

    from core.ledger import tables
    from core.ledger.models import Account

    cash = Account.objects.get(code="1101")
    data = reports.general_ledger(account=cash, date_from=date(THIS, 1, 1), date_to=TODAY)
    for table in (
        tables.general_ledger_table(data),
        tables.balance_sheet_table(reports.balance_sheet(as_of=TODAY)),
        tables.cash_flow_table(reports.cash_flow(date_from=date(THIS, 1, 1), date_to=TODAY)),
    ):
        table["rows"].append({"kind": "total", "cells": ["<b>&", None, 3, date(THIS, 1, 2)]})
        fast = tables.with_cell_kinds(table)
        slow = fast | {"body_html": ""}
        assert fast["body_html"]
        assert render_to_string("ledger/_table.html", {"table": fast}) == render_to_string(
            "ledger/_table.html", {"table": slow}
        )
