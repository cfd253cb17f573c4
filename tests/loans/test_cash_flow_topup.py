"""The cash flow (direct method) of a top-up: the new loan's principal settles the old
loan, and only the rest (less the fees cut) is paid to the member in cash. The settlement
(the old loan's principal, the jasa and early-payoff fee it earns) and the part of the
new receivable that pays it are a marked non-cash pair (``JournalLine.non_cash``): the
statement shows the cash paid to the member, no principal or jasa received.

The old loan (``make_loan``): 10,000,000 flat at 1 % a month over 10 months, disbursed
40 days ago; topped up on its first instalment's due date (nothing overdue): the
settlement is its 10,000,000 principal and that instalment's 100,000 jasa, earned. The
new loan: 20,000,000 over 10 months, 650,000 of fees cut (admin 200,000, provisi
100,000, insurance 50,000, risk fund 100,000, wajib pinjam 200,000): 9,250,000 paid to
the member."""

from decimal import Decimal as D

import pytest
from django.db import transaction

from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import balances_check
from core.ledger.services import journal_reverse
from core.loans.services import loan_disburse, loan_payoff_quote
from tests.loans.conftest import assert_reconciled
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines, _code, _rows
from tests.loans.test_money_review import _role_total, _topup


@pytest.fixture
def topped_up(make_loan, staff, member, product, today):
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=40)
    on = old.instalments.get(number=1, is_current=True).due_date
    q = loan_payoff_quote(loan=old, on=on)
    new = _topup(staff, member, product, old, D(20_000_000), on)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=on)
    new.refresh_from_db()
    return on, new, entry, q


def test_topup_shows_only_the_cash_paid_to_the_member(topped_up, today):
    on, new, entry, q = topped_up
    assert (q["principal"], q["jasa"], q["penalty"]) == (D(10_000_000), D(100_000), 0)
    settled = D(10_100_000)
    assert new.topup_settlement == settled
    assert new.net_disbursed == D(9_250_000)
    paid = sum((ln.credit - ln.debit for ln in entry.lines.all() if ln.account.is_cash), D(0))
    assert paid == new.net_disbursed
    cf = reports.cash_flow(date_from=on, date_to=on, compare=False)
    # before: out receivable 19,350,000 (20,000,000 less the fees cut); in receivable
    # 10,000,000 and jasa income 100,000 (the settlement, gross)
    assert _rows(cf) == {("out", _code("loan_receivable")): D(9_250_000)}
    assert cf["net_change"] == -paid == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    # the books are as before: the new principal receivable less the old one settled,
    # the jasa earned
    assert _role_total(entry, "loan_receivable") == D(10_000_000) - D(20_000_000)
    assert _role_total(entry, "loan_interest_income") == D(100_000)
    marked = JournalLine.objects.filter(entry=entry, non_cash=True)
    assert sum((ln.debit - ln.credit for ln in marked), D(0)) == 0
    assert sum((ln.debit for ln in marked), D(0)) == D(650_000) + settled
    assert not marked.filter(account__is_cash=True).exists()
    assert balances_check() == []
    _assert_days_match_lines(on, today)
    assert_reconciled()


def test_topup_entry_reversed_nets_out(topped_up, staff, today):
    """The reversal copies the marks: the top-up's entry and its mirror leave no row.
    (``loan_disbursement_reverse`` refuses a top-up — the old loan is closed — so this is
    the ledger's mirror of the entry, as the loans module would post it.)"""
    on, new, entry, _q = topped_up
    with transaction.atomic():
        rev = journal_reverse(
            entry=entry, on=on, reason="uji pembalik", by=staff["bendahara"], module=entry.source
        )
        assert rev.lines.filter(non_cash=True).count() == entry.lines.filter(non_cash=True).count()
        cf = reports.cash_flow(date_from=on, date_to=on, compare=False)
        assert all(v == 0 for v in _rows(cf).values()), _rows(cf)
        assert cf["net_change"] == 0 and cf["reconciles"]
        _assert_days_match_lines(on, today)
        transaction.set_rollback(True)
