"""The statements of a year with a move-in (Pindah ke Lumbung): the balances it brings
in are opening balances, not the year's flows — also when a move-in was undone (its
opening entry reversed) and done again."""

from calendar import monthrange
from datetime import date
from decimal import Decimal
from importlib import import_module

import pytest
from django.db import connection
from django.utils import timezone

from core.ledger import reports
from core.ledger.models import Account, CashFlowMonth, JournalEntry, Period
from core.ledger.selectors import account_balances, account_for_role
from core.ledger.services import period_close
from core.onboarding.models import MoveIn
from core.onboarding.services import move_in_start, move_in_undo, trial_balance_post
from tests.onboarding.helpers import tb_rows

D = Decimal


@pytest.fixture
def cutover():
    t = timezone.localdate()
    y, m = t.year, t.month - 2
    if m < 1:
        y, m = y - 1, m + 12
    return date(y, m, monthrange(y, m)[1])


@pytest.fixture
def redone(in_tenant_a, bendahara, admin_user, cutover):
    """A move-in posted and undone (its opening entry reversed on the cut-over), then
    posted again: 50,000,000 of cash brought in, once."""
    mi = move_in_start(cutover_date=cutover, by=bendahara)
    trial_balance_post(move_in=mi, rows=tb_rows(), by=bendahara)
    move_in_undo(move_in=mi, reason="salah angka", by=admin_user)
    mi = move_in_start(cutover_date=cutover, by=bendahara)
    trial_balance_post(move_in=mi, rows=tb_rows(), by=bendahara)
    assert JournalEntry.objects.filter(source="reversal", reverses__source="opening").exists()
    return mi


def _flows(cf: dict) -> list:
    return [
        (s["key"], r["code"], r["amount"])
        for s in cf["sections"]
        for r in s["inflows"] + s["outflows"]
    ]


def test_cash_flow_after_a_move_in_undone_and_done_again_starts_from_the_cash_once(redone, cutover):
    t = timezone.localdate()
    cash = account_for_role("cash")
    assert account_balances(accounts=[cash], as_of=t)[cash.pk] == D("50000000")
    cf = reports.cash_flow(date_from=date(cutover.year, 1, 1), date_to=t, compare=False)
    assert (cf["opening_cash"], cf["net_change"], cf["closing_cash"]) == (
        D("50000000"),
        D("0"),
        D("50000000"),
    )
    assert _flows(cf) == [] and cf["reconciles"]
    after = reports.cash_flow(date_from=cutover.replace(day=1), date_to=cutover, compare=False)
    assert after["opening_cash"] == D("50000000") and _flows(after) == []


def test_cash_flow_days_after_a_move_in_undone_and_done_again_agree_with_the_lines(redone, cutover):
    """The trigger-kept per-day figures leave the reversal out as the statement does,
    and the daily check finds nothing."""
    f, t = date(cutover.year, 1, 1), timezone.localdate()
    assert reports._flows_from_days(f, t) == {}
    assert {
        k: v
        for k, v in reports._flows_from_lines(reports.cash_account_ids(), f, t).items()
        if v != [0, 0]
    } == {}
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())


def test_cash_flow_figures_stored_when_the_cut_over_month_closes(redone, bendahara, cutover):
    """Closing the cut-over's month (as the go-live does) stores its cash-flow figures:
    the reversal and the opening entry bring no flow."""
    # live first, as the go-live marks it before closing its months (a draft's cut-over
    # month cannot be closed); its reconciliation is not what this test is about
    MoveIn.objects.filter(pk=redone.pk).update(status=MoveIn.Status.LIVE)
    for period in Period.objects.filter(end_date__lte=cutover, status="open").order_by(
        "start_date"
    ):
        period_close(period=period, by=bendahara)
    stored = CashFlowMonth.objects.get(month=cutover.replace(day=1))
    assert {k: v for k, v in stored.flows.items() if any(D(x) for x in v)} == {}
    assert all(r.difference == 0 for r in reports.cash_flow_months_check())


MIGRATION = "core.ledger.migrations.0019_cash_flow_opening_reversal"


def test_the_migration_rebuilds_the_days_a_cooperative_already_has(redone, cutover):
    """A cooperative whose move-in was redone before this fix has the reversal counted
    in its per-day figures (and in a closed month's stored figures): the migration's
    rebuild puts them right."""
    month = cutover.replace(day=1)
    acc = account_for_role("cash")
    with connection.cursor() as cur:  # the old figures: the reversal's lines as flows
        cur.execute("ALTER TABLE ledger_cashflowday DISABLE TRIGGER ledger_cashflowday_guard")
        cur.execute(
            "INSERT INTO ledger_cashflowday (day, account_id, inflow, outflow)"
            " VALUES (%s, %s, 0, 50000000)",
            [cutover, Account.objects.get(code="3103").pk],
        )
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE ledger_cashflowday ENABLE TRIGGER ledger_cashflowday_guard")
    CashFlowMonth.objects.create(
        month=month,
        computed_at=timezone.now(),
        cash_account_ids=reports.cash_account_ids(),
        flows={str(acc.pk): ["0", "50000000"]},
    )
    assert any(r.difference for r in reports.cash_flow_days_check())
    migration = import_module(MIGRATION)
    with connection.cursor() as cur:
        cur.execute(migration.REBUILD)
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())
    assert reports._flows_from_days(date(cutover.year, 1, 1), cutover) == {}
    assert not CashFlowMonth.objects.filter(month=month).exists()
    with connection.cursor() as cur:  # back to 0017's rule: the reversal counted again
        cur.execute(migration.REVERSE_SQL + migration.REVERSE_DAYS)
    assert reports._flows_from_days(date(cutover.year, 1, 1), cutover) != {}
    with connection.cursor() as cur:
        cur.execute(migration.SQL + migration.REBUILD)
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())


@pytest.fixture
def moved(in_tenant_a, bendahara, cutover):
    mi = move_in_start(cutover_date=cutover, by=bendahara)
    trial_balance_post(move_in=mi, rows=tb_rows(), by=bendahara)
    return mi


def _equity(cutover) -> dict:
    return reports.equity_changes(date_from=date(cutover.year, 1, 1), date_to=timezone.localdate())


def test_equity_changes_take_a_move_ins_balances_as_opening_like_the_cash_flow(
    moved, bendahara, cutover
):
    """Cut-over inside the year: the cadangan brought in (58,980,000) is the statement's
    opening balance, not an increase of the year; a real posting after it still is."""
    from core.ledger.services import LineSpec, journal_post

    journal_post(
        on=timezone.localdate(),
        description="Penyisihan cadangan",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("20000")), LineSpec("3103", credit=D("20000"))],
    )
    ec = _equity(cutover)
    cadangan = {r["code"]: r for r in ec["rows"]}["3103"]
    assert (cadangan["opening"], cadangan["increase"], cadangan["decrease"]) == (
        D("58980000"),
        D("20000"),
        D("0"),
    )
    assert cadangan["closing"] == D("59000000")
    bs = reports.balance_sheet(as_of=timezone.localdate())
    assert ec["totals"]["closing"] == bs["total_equity"]
    assert (
        ec["totals"]["opening"] + ec["totals"]["increase"] - ec["totals"]["decrease"]
        == (ec["totals"]["closing"])
    )


def test_equity_changes_after_a_move_in_undone_and_done_again(redone, cutover):
    rows = {r["code"]: r for r in _equity(cutover)["rows"]}
    assert [rows["3103"][k] for k in ("opening", "increase", "decrease", "closing")] == [
        D("58980000"),
        D("0"),
        D("0"),
        D("58980000"),
    ]
    for row in rows.values():  # nothing but the move-in: no change of the year at all
        assert row["increase"] == row["decrease"] == 0, row
