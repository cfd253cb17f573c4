# ruff: noqa: F811, F401
"""The cash flow (direct method) of an exit whose savings pay off the member's loans:
the loans are set off against the savings, not paid in cash. The loans' credits and that
much of the savings debits (taken in the entry's order: pokok, wajib, sukarela) are a
marked non-cash pair (``JournalLine.non_cash``): the statement shows only the net paid
out, no principal received and no savings paid beyond it.

The member (test_settlement_loans' ``funded``): pokok 100,000, wajib 2,500,000 (with the
100,000 wajib pinjam cut from the loan), sukarela 9,000,000; a loan of 10,000,000 paid
out 5 days ago, settled on the exit date: 1,600,000 paid out."""

from decimal import Decimal

from core.exits.services import (
    exit_settlement_confirm,
    exit_settlement_preview,
    exit_settlement_reverse,
)
from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role, balances_check
from tests.exits.test_settlement_loans import _loans_reconciled, funded
from tests.loans.conftest import _media, make_loan, member, product, staff
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines, _rows
from tests.savings.conftest import assert_reconciled

D = Decimal


def _code(role: str) -> str:
    return account_for_role(role).code


def _exit(funded, make_loan, staff, today):
    make_loan(principal=D("10000000"), days_ago=5)
    p = exit_settlement_preview(member=funded, on=today)
    s = exit_settlement_confirm(
        member=funded, reason="retired", on=today, by=staff["bendahara"], expected_net=p.net_payable
    )
    return p, s


def _today_rows(today) -> dict:
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    return cf, {k: v for k, v in _rows(cf).items() if v}


def test_exit_shows_only_the_net_paid_out(funded, make_loan, staff, today):
    p, s = _exit(funded, make_loan, staff, today)
    assert p.loans_outstanding == D("10000000")
    assert p.savings_total == D("11600000") and p.interest_total == 0
    entry = s.journal_entry
    paid = sum((ln.credit - ln.debit for ln in entry.lines.all() if ln.account.is_cash), D(0))
    assert paid == s.net_payable
    cf, rows = _today_rows(today)
    # before: out pokok 100,000, wajib 2,500,000 and sukarela 9,000,000 (all the
    # savings), in receivable 10,000,000 (the set-off, gross). Now: the loan is set off
    # against pokok, wajib and 7,400,000 of sukarela; the rest is what was paid.
    assert s.net_payable == D("1600000")
    assert rows == {("out", _code("savings_sukarela")): D("1600000")}
    assert cf["net_change"] == -paid == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    # the books are as before: every savings balance paid out, the loan settled
    marked = JournalLine.objects.filter(entry=entry, non_cash=True)
    assert sum((ln.debit - ln.credit for ln in marked), D(0)) == 0
    assert sum((ln.credit for ln in marked), D(0)) == D("10000000")
    assert not marked.filter(account__is_cash=True).exists()
    wajib = JournalLine.objects.filter(entry=entry, account=account_for_role("savings_wajib"))
    assert sum((ln.debit for ln in wajib), D(0)) == D("2500000")
    assert balances_check() == []
    _assert_days_match_lines(today, today)
    assert_reconciled()
    _loans_reconciled()


def test_exit_reversed_nets_out(funded, make_loan, staff, today):
    _p, s = _exit(funded, make_loan, staff, today)
    exit_settlement_reverse(settlement=s, by=staff["bendahara"], reason="salah anggota", on=today)
    cf, rows = _today_rows(today)
    # the loan was paid out 5 days ago, outside the range: nothing is left
    assert rows == {}, rows
    assert cf["net_change"] == 0 and cf["reconciles"]
    _assert_days_match_lines(today, today)
    assert_reconciled()
    _loans_reconciled()
