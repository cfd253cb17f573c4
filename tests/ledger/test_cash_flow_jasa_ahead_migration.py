"""Migration 0027 marks the jasa-ahead pairs posted before ``jasa_ahead_lines`` marked
them, where they can be told apart: the jasa paid ahead covered all the principal left,
so the receivable's credit was a line of its own equal to the jasa income debit. A payoff
whose receivable credit was the whole principal (one line) is left as it was."""

import importlib
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from core.ledger import reports
from core.ledger.models import CashFlowMonth, JournalLine, Period
from core.ledger.services import LineSpec, journal_post, journal_reverse
from tests.ledger.test_cash_flow_non_cash import _acc, _rows, year  # noqa: F401

D = Decimal
migration = importlib.import_module("core.ledger.migrations.0027_cash_flow_jasa_ahead_backfill")


def _payoff(on, by, *, principal, ahead, fee, ref, member_id=7, memo="PJ-1"):
    """A payoff as posted before 0027: Dr cash / Cr fee (penalty income), Dr jasa income
    (the jasa paid ahead), Cr the receivable with the whole principal."""
    m = member_id
    return journal_post(
        on=on,
        description="Pelunasan pinjaman (uji)",
        source="loan",
        source_ref=ref,
        by=by,
        lines=[
            LineSpec(_acc("cash"), debit=principal + fee - ahead, member_id=m, memo=memo),
            LineSpec(_acc("penalty_income"), credit=fee, member_id=m, memo=memo),
            LineSpec(_acc("loan_interest_income"), debit=ahead, member_id=m, memo=memo),
            LineSpec(_acc("loan_receivable"), credit=principal, member_id=m, memo=memo),
        ],
    )


def test_migration_marks_the_separable_jasa_ahead_pairs(year, bendahara):  # noqa: F811
    march = date(year, 3, 5)
    covered = _payoff(
        march, bendahara, principal=D(1_000_000), ahead=D(1_000_000), fee=D(10_000), ref="p1"
    )
    rev = journal_reverse(
        entry=covered, on=date(year, 4, 2), reason="salah", by=bendahara, module="loan"
    )
    whole = _payoff(
        date(year, 4, 9),
        bendahara,
        principal=D(10_000_000),
        ahead=D(50_000),
        fee=D(100_000),
        ref="p2",
        member_id=8,
        memo="PJ-2",
    )
    # a pair of two members (or memos) is no jasa-ahead pair (manual journals never touch
    # the receivable: a control account)
    other = journal_post(
        on=date(year, 4, 9),
        description="Lain (uji)",
        source="loan",
        source_ref="m1",
        by=bendahara,
        lines=[
            LineSpec(_acc("cash"), debit=D(5_000)),
            LineSpec(_acc("loan_interest_income"), debit=D(30_000), member_id=5, memo="A"),
            LineSpec(_acc("loan_receivable"), credit=D(30_000), member_id=6, memo="A"),
            LineSpec(_acc("penalty_income"), credit=D(5_000)),
        ],
    )
    cf = reports.cash_flow(date_from=march, date_to=march, compare=False)
    assert ("out", _acc("loan_interest_income").code) in _rows(cf)  # the old figures
    Period.objects.filter(start_date=date(year, 3, 1)).update(
        status=Period.Status.CLOSED, closed_at=timezone.now()
    )
    reports.cash_flow_month_store(month=date(year, 3, 1))
    stored_before = CashFlowMonth.objects.get(month=date(year, 3, 1))

    ids = migration.mark_jasa_ahead(connection)

    assert set(JournalLine.objects.filter(non_cash=True).values_list("id", flat=True)) == set(ids)
    for e in (covered, rev):
        assert [ln.non_cash for ln in e.lines.order_by("id")] == [False, False, True, True], e
    assert not whole.lines.filter(non_cash=True).exists()
    assert not other.lines.filter(non_cash=True).exists()
    # March from its stored figures (closed): only the fee received
    cf = reports.cash_flow(date_from=date(year, 3, 1), date_to=date(year, 3, 31), compare=False)
    assert _rows(cf) == {("in", _acc("penalty_income").code): D(10_000)} and cf["reconciles"]
    stored = CashFlowMonth.objects.get(month=date(year, 3, 1))
    assert stored.computed_at == stored_before.computed_at
    assert str(_acc("loan_interest_income").pk) not in stored.flows
    # April from the per-day figures: the reversal takes back the fee only; the payoff of
    # the whole principal keeps its old figures
    cf = reports.cash_flow(date_from=date(year, 4, 1), date_to=date(year, 4, 30), compare=False)
    assert _rows(cf) == {
        ("in", _acc("penalty_income").code): D(-10_000) + D(100_000) + D(5_000),
        ("out", _acc("loan_interest_income").code): D(50_000) + D(30_000),
        ("in", _acc("loan_receivable").code): D(10_000_000) + D(30_000),
    }
    assert cf["reconciles"]
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())
    assert migration.mark_jasa_ahead(connection) == []  # idempotent
