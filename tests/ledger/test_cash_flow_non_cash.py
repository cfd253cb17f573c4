"""Lines marked ``non_cash`` (a non-cash pair inside an entry that touches cash: the
deferred jasa a restructured loan's repayment earns) are no receipt and no payment in the
cash flow; a reversal copies the mark, so it nets out; the database refuses marked lines
that do not balance or sit on a cash account. Migration 0025 marks the recognitions
posted before the mark existed and puts the per-day and stored monthly figures right."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.ledger import reports
from core.ledger.models import CashFlowMonth, JournalLine, Period
from core.ledger.selectors import account_for_role
from core.ledger.services import (
    COPY_THRESHOLD,
    LineSpec,
    fiscal_year_ensure,
    journal_post,
    journal_reverse,
)

D = Decimal
migration = importlib.import_module("core.ledger.migrations.0025_cash_flow_non_cash_backfill")


@pytest.fixture
def year(in_tenant_a, today):
    fiscal_year_ensure(year=today.year - 1)
    return today.year - 1


def _rows(cf: dict) -> dict:
    out = {}
    for s in cf["sections"]:
        for x in s["inflows"]:
            out[("in", x["code"])] = x["amount"]
        for x in s["outflows"]:
            out[("out", x["code"])] = x["amount"]
    return out


def _acc(role):
    return account_for_role(role)


def _repayment(on: date, by, *, marked: bool, member_id: int = 7, ref: str = "r1"):
    """A restructured loan's instalment as the repayment service posts it: 1,008,000 in
    cash (900,000 principal + 108,000 jasa) and 66,667 of deferred jasa earned (of it
    20,000 capitalised penalty). ``marked=False``: as posted before migration 0024."""
    m = member_id
    return journal_post(
        on=on,
        description="Angsuran pinjaman (uji)",
        source="loan",
        source_ref=ref,
        by=by,
        lines=[
            LineSpec(_acc("cash"), debit=D(1_008_000)),
            LineSpec(_acc("deferred_jasa_income"), debit=D(66_667), member_id=m, non_cash=marked),
            LineSpec(_acc("penalty_income"), credit=D(20_000), member_id=m, non_cash=marked),
            LineSpec(_acc("loan_interest_income"), credit=D(46_667), member_id=m, non_cash=marked),
            LineSpec(_acc("loan_interest_income"), credit=D(108_000), member_id=m),
            LineSpec(_acc("loan_receivable"), credit=D(900_000), member_id=m),
        ],
    )


def _cash_only() -> dict:
    return {
        ("in", _acc("loan_receivable").code): D(900_000),
        ("in", _acc("loan_interest_income").code): D(108_000),
    }


def test_marked_pair_is_no_flow_and_its_reversal_nets_out(year, bendahara):
    day = date(year, 3, 5)
    entry = _repayment(day, bendahara, marked=True)
    cf = reports.cash_flow(date_from=day, date_to=day, compare=False)
    assert _rows(cf) == _cash_only()
    assert cf["net_change"] == D(1_008_000) and cf["reconciles"]
    rev = journal_reverse(
        entry=entry, on=date(year, 4, 2), reason="salah", by=bendahara, module="loan"
    )
    assert sorted(ln.non_cash for ln in rev.lines.all()) == [False] * 3 + [True] * 3
    cf = reports.cash_flow(date_from=date(year, 3, 1), date_to=date(year, 4, 30), compare=False)
    assert _rows(cf) == {} and cf["net_change"] == 0 and cf["reconciles"]
    f, t = date(year, 3, 1), date(year, 4, 30)
    assert reports._flows_from_days(f, t) == reports._flows_from_lines(
        reports.cash_account_ids(), f, t
    )
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())


@pytest.mark.parametrize(
    "lines",
    [
        # marked lines that do not balance: the statement would not tie to the cash
        [("deferred_jasa_income", "66667", "", True), ("loan_interest_income", "", "66667", False)],
        # a marked line on a cash account: real cash hidden from the statement
        [("cash", "66667", "", True), ("loan_interest_income", "", "66667", True)],
    ],
)
def test_database_refuses_marked_lines_that_do_not_balance_or_touch_cash(year, lines):
    accounts = {role: _acc(role).pk for role, *_ in lines} | {"bank": _acc("bank").pk}
    with (
        pytest.raises(DatabaseError, match="non-kas"),
        transaction.atomic(),
        connection.cursor() as cur,
    ):
        cur.execute(
            "INSERT INTO ledger_journalentry (fiscal_year, number, date, description, source,"
            " source_ref, status) VALUES (%s, 9001, %s, 'uji', 'loan', '', 'posted')"
            " RETURNING id",
            [year, date(year, 3, 5)],
        )
        (eid,) = cur.fetchone()
        rows = [(accounts[r], d or "0", c or "0", nc) for r, d, c, nc in lines]
        rows.append((accounts["bank"], "100", "0", False))
        rows.append((accounts["bank"], "0", "100", False))
        for acc, d, c, nc in rows:
            cur.execute(
                "INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit,"
                " memo, non_cash) VALUES (%s, %s, %s, %s, %s, '', %s)",
                [eid, acc, date(year, 3, 5), d, c, nc],
            )
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_migration_marks_recognitions_posted_before_and_puts_figures_right(year, bendahara):
    """An instalment posted the old way in March (month closed, its figures stored), its
    reversal in April, another member's in April; a top-up's capitalised jasa (Cr
    deferred followed by the receivable: no recognition) left alone."""
    march = date(year, 3, 5)
    old = _repayment(march, bendahara, marked=False)
    rev = journal_reverse(
        entry=old, on=date(year, 4, 2), reason="salah", by=bendahara, module="loan"
    )
    other = _repayment(date(year, 4, 9), bendahara, marked=False, member_id=8, ref="r2")
    topup = journal_post(
        on=date(year, 4, 9),
        description="Top-up (uji)",
        source="loan",
        source_ref="t1",
        by=bendahara,
        lines=[
            LineSpec(_acc("loan_receivable"), debit=D(5_000_000), member_id=9),
            LineSpec(_acc("deferred_jasa_income"), credit=D(200_000), member_id=9),
            LineSpec(_acc("loan_receivable"), credit=D(1_800_000), member_id=9),
            LineSpec(_acc("cash"), credit=D(3_000_000)),
        ],
    )
    cf = reports.cash_flow(date_from=march, date_to=march, compare=False)
    assert ("out", _acc("deferred_jasa_income").code) in _rows(cf)  # the old, wrong figures
    Period.objects.filter(start_date=date(year, 3, 1)).update(
        status=Period.Status.CLOSED, closed_at=timezone.now()
    )
    reports.cash_flow_month_store(month=date(year, 3, 1))
    stored_before = CashFlowMonth.objects.get(month=date(year, 3, 1))
    assert str(_acc("deferred_jasa_income").pk) in stored_before.flows

    ids = migration.mark_non_cash(connection)

    marked = set(JournalLine.objects.filter(non_cash=True).values_list("id", flat=True))
    assert marked == set(ids)
    for e in (old, rev, other):
        lines = list(e.lines.order_by("id"))
        assert [ln.non_cash for ln in lines] == [False, True, True, True, False, False], e
    assert not topup.lines.filter(non_cash=True).exists()
    # March from its stored figures (closed), April from the per-day figures
    cf = reports.cash_flow(date_from=march.replace(day=1), date_to=date(year, 3, 31), compare=False)
    assert _rows(cf) == _cash_only() and cf["reconciles"]
    stored = CashFlowMonth.objects.get(month=date(year, 3, 1))
    assert stored.computed_at == stored_before.computed_at
    assert str(_acc("deferred_jasa_income").pk) not in stored.flows
    cf = reports.cash_flow(date_from=date(year, 4, 1), date_to=date(year, 4, 30), compare=False)
    # the reversal takes back March's 900,000 + 108,000, the other member brings the
    # same: no jasa, penalty or deferred-jasa row; the top-up's capitalised jasa is not a
    # recognition and is left as it was
    assert _rows(cf) == {
        ("in", _acc("deferred_jasa_income").code): D(200_000),
        ("in", _acc("loan_receivable").code): D(1_800_000),
        ("out", _acc("loan_receivable").code): D(5_000_000),
    }
    assert cf["reconciles"]
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())
    assert migration.mark_non_cash(connection) == []  # idempotent


def test_migration_marks_loans_written_off_at_an_exit(year, bendahara):
    """An exit settlement posted before: savings 600,000 paid against a loan paid off
    (400,000 principal + 100,000 jasa) and a waived loan of 10,000,000 written off (its
    allowance 7,500,000, expense 2,500,000); 100,000 paid out in cash. Only the write-off
    is marked; the cash flow then shows the savings paid out and the loan paid off."""
    day = date(year, 5, 20)
    entry = journal_post(
        on=day,
        description="Penyelesaian keluar (uji)",
        source="member",
        source_ref="exit:7",
        by=bendahara,
        lines=[
            LineSpec(_acc("savings_pokok"), debit=D(100_000), member_id=7),
            LineSpec(_acc("savings_wajib"), debit=D(500_000), member_id=7),
            LineSpec(_acc("loan_receivable"), credit=D(400_000), member_id=7, memo="PJ-2"),
            LineSpec(_acc("loan_interest_income"), credit=D(100_000), member_id=7, memo="PJ-2"),
            LineSpec(_acc("ppap_allowance"), debit=D(7_500_000), member_id=7, memo="PJ-1"),
            LineSpec(_acc("ppap_expense"), debit=D(2_500_000), member_id=7, memo="PJ-1"),
            LineSpec(_acc("loan_receivable"), credit=D(10_000_000), member_id=7, memo="PJ-1"),
            LineSpec(_acc("cash"), credit=D(100_000)),
        ],
    )
    cf = reports.cash_flow(date_from=day, date_to=day, compare=False)
    assert _rows(cf)[("in", _acc("loan_receivable").code)] == D(10_400_000)  # wrong before

    migration.mark_non_cash(connection)

    assert [ln.non_cash for ln in entry.lines.order_by("id")] == [False] * 4 + [True] * 3 + [False]
    cf = reports.cash_flow(date_from=day, date_to=day, compare=False)
    assert _rows(cf) == {
        ("out", _acc("savings_pokok").code): D(100_000),
        ("out", _acc("savings_wajib").code): D(500_000),
        ("in", _acc("loan_receivable").code): D(400_000),
        ("in", _acc("loan_interest_income").code): D(100_000),
    }
    assert cf["net_change"] == D(-100_000) and cf["reconciles"]
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())


def test_marked_lines_keep_their_mark_when_written_by_copy(year, bendahara):
    """An entry of more lines than ``COPY_THRESHOLD`` (a payroll batch) goes in by COPY:
    the mark goes with each line."""
    day = date(year, 6, 3)
    n = COPY_THRESHOLD + 10
    lines = [LineSpec(_acc("bank"), debit=D(1_000) * n)]
    for m in range(n):
        lines.append(LineSpec(_acc("loan_interest_income"), credit=D(1_000), member_id=m))
        lines.append(
            LineSpec(_acc("deferred_jasa_income"), debit=D(50), member_id=m, non_cash=True)
        )
        lines.append(
            LineSpec(_acc("loan_interest_income"), credit=D(50), member_id=m, non_cash=True)
        )
    entry = journal_post(
        on=day,
        description="batch (uji)",
        source="deduction",
        source_ref="b1",
        by=bendahara,
        lines=lines,
    )
    assert entry.lines.filter(non_cash=True).count() == 2 * n
    cf = reports.cash_flow(date_from=day, date_to=day, compare=False)
    assert _rows(cf) == {("in", _acc("loan_interest_income").code): D(1_000) * n}
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())
