"""The cash flow (direct method) of a payoff or top-up that counts jasa paid ahead
toward the principal. The jasa a member paid ahead on instalments not yet due is taken
back from jasa income and pays that much of the principal (Dr jasa income / Cr loan
receivable, inside the payoff's own cash entry): no cash moves for that pair, so it is
no payment of jasa, and the principal received is the cash received for it.

The loan (tests/loans/test_payoff_jasa_ahead.py): 10,000,000 flat at 1 % a month over
10 months, disbursed 5 days ago; 50,000 paid 3 days ago goes to instalment 1's jasa
(ahead: not yet due). The payoff: 10,000,000 principal, of which 50,000 by the jasa paid
ahead, + 100,000 early-payoff fee = 10,050,000 received."""

from datetime import timedelta
from decimal import Decimal as D

from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import balances_check
from core.loans.models import Repayment
from core.loans.services import loan_disburse, loan_payoff, loan_repay, loan_repayment_reverse
from tests.loans.conftest import assert_reconciled
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines, _code, _rows
from tests.loans.test_money_review import _role_total, _topup


def _paid_ahead(make_loan, staff, today):
    loan = make_loan(days_ago=5)
    loan_repay(loan=loan, amount=D(50_000), by=staff["petugas"], on=today - timedelta(days=3))
    return loan


def _marked(entry):
    return sorted(
        (ln.account.code, ln.debit, ln.credit)
        for ln in JournalLine.objects.filter(entry=entry, non_cash=True).select_related("account")
    )


def test_payoff_with_jasa_paid_ahead_shows_only_the_cash_received(make_loan, staff, today):
    loan = _paid_ahead(make_loan, staff, today)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.amount == D(10_050_000) and rep.jasa_ahead_credited == D(50_000)
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    assert _rows(cf) == {
        ("in", _code("loan_receivable")): D(9_950_000),  # the cash received for principal
        ("in", _code("penalty_income")): D(100_000),  # the early-payoff fee
    }
    assert ("out", _code("loan_interest_income")) not in _rows(cf)
    assert cf["net_change"] == D(10_050_000) == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    # the books are as before: the whole principal off the receivable, the jasa paid
    # ahead taken back from income; the pair is the marked lines
    assert _role_total(rep.entry, "loan_receivable") == D(10_000_000)
    assert _role_total(rep.entry, "loan_interest_income") == D(-50_000)
    assert _marked(rep.entry) == sorted(
        [
            (_code("loan_interest_income"), D(50_000), D(0)),
            (_code("loan_receivable"), D(0), D(50_000)),
        ]
    )
    assert all(
        ln.member_id == loan.member_id and ln.memo == loan.number
        for ln in JournalLine.objects.filter(entry=rep.entry).exclude(account__is_cash=True)
    )
    assert balances_check() == []
    _assert_days_match_lines(today - timedelta(days=5), today)
    # the period from the disbursement: the jasa received 3 days ago stays a receipt
    f = today - timedelta(days=5)
    got = _rows(reports.cash_flow(date_from=f, date_to=today, compare=False))
    assert got[("in", _code("loan_interest_income"))] == D(50_000)
    assert got[("in", _code("loan_receivable"))] == D(9_950_000)
    # the disbursement: the cash paid out, the 350,000 of fees cut no payment
    assert got[("out", _code("loan_receivable"))] == D(9_650_000)
    assert_reconciled()


def test_payoff_with_jasa_paid_ahead_reversed_nets_out(make_loan, staff, today):
    loan = _paid_ahead(make_loan, staff, today)
    day = today - timedelta(days=2)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=day)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah catat", on=today)
    cf = reports.cash_flow(date_from=day, date_to=today, compare=False)
    assert _rows(cf) == {} and cf["net_change"] == 0 and cf["reconciles"]
    # the reversal alone, in its own period: the cash taken back, nothing else
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    assert _rows(cf) == {
        ("in", _code("loan_receivable")): D(-9_950_000),
        ("in", _code("penalty_income")): D(-100_000),
    }
    assert cf["net_change"] == D(-10_050_000) and cf["reconciles"]
    assert balances_check() == []
    _assert_days_match_lines(day, today)
    assert_reconciled()


def test_payoff_where_jasa_paid_ahead_covers_the_principal_left(make_loan, staff, product, today):
    """Nine instalments of 1,200,000 and row 10's jasa paid ahead (2 % a month): the
    payoff counts 1,000,000 of jasa ahead for the 1,000,000 left and receives the fee,
    10,000: the cash flow shows only that fee, no principal received."""
    from tests.loans.test_payoff_jasa_ahead import _dear_product

    loan = make_loan(days_ago=5, prod=_dear_product(product))
    day = today - timedelta(days=3)
    for _i in range(9):
        loan_repay(loan=loan, amount=D(1_200_000), by=staff["petugas"], on=day)
    loan_repay(loan=loan, amount=D(200_000), by=staff["petugas"], on=day)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.amount == D(10_000) and rep.jasa_ahead_credited == D(1_000_000)
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    assert _rows(cf) == {("in", _code("penalty_income")): D(10_000)}
    assert cf["net_change"] == D(10_000) and cf["reconciles"]
    assert _role_total(rep.entry, "loan_receivable") == D(1_000_000)
    _assert_days_match_lines(day, today)
    assert_reconciled()


def test_topup_with_jasa_paid_ahead_shows_no_payment_of_jasa(
    make_loan, staff, member, product, today
):
    """The new loan 20,000,000 settles the old one: 10,000,000 principal less 50,000 jasa
    paid ahead = 9,950,000 paid by the new principal (a marked non-cash pair: no receipt
    on the old loan), 650,000 of fees cut, the rest 9,400,000 paid out in cash."""
    old = _paid_ahead(make_loan, staff, today)
    new = _topup(staff, member, product, old, D(20_000_000), today)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    new.refresh_from_db()
    assert new.topup_settlement == D(9_950_000)
    cash = sum((ln.credit - ln.debit for ln in entry.lines.all() if ln.account.is_cash), D(0))
    assert cash == new.net_disbursed
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    got = _rows(cf)
    assert ("out", _code("loan_interest_income")) not in got
    # before: in receivable 9,950,000 and out 19,350,000 (the settlement, gross)
    assert got == {("out", _code("loan_receivable")): D(9_400_000)}
    assert new.net_disbursed == D(9_400_000)
    assert cf["net_change"] == -cash and cf["reconciles"]
    assert _role_total(entry, "loan_interest_income") == D(-50_000)
    assert _role_total(entry, "loan_receivable") == D(10_000_000) - D(20_000_000)
    rep = old.repayments.get(channel=Repayment.Channel.TOPUP)
    assert rep.jasa_ahead_credited == D(50_000)
    assert balances_check() == []
    _assert_days_match_lines(today - timedelta(days=5), today)
    assert_reconciled()
