"""The cash flow (direct method) shows only real cash for a restructured loan's
repayment. The deferred jasa its principal earns (Dr pendapatan jasa ditangguhkan / Cr
jasa income, lines inside the repayment's own cash entry) moved no cash: it is neither a
payment on the deferred-jasa account nor more jasa received. Rescheduled loan of
test_restructuring: 10,800,000 over 12 months, 800,000 deferred; the first instalment
1,008,000 (900,000 principal + 108,000 jasa) earns 66,667 of the deferred jasa."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction

from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role
from core.ledger.services import journal_reverse
from core.loans.batch import loan_repayments_prepare_bulk
from core.loans.services import (
    loan_disburse,
    loan_payoff,
    loan_payoff_quote,
    loan_repay,
    loan_repayment_reverse,
    loan_repayment_reverse_apply,
    loan_repayments_attach_entry,
    loan_reschedule,
)
from tests.ledger.helpers import post_bank_batch
from tests.loans.test_money_review import _role_total, _topup
from tests.loans.test_restructuring import _bad_loan


def _rows(cf: dict) -> dict:
    """{('in'|'out', role-less account code): amount} of the statement."""
    out = {}
    for s in cf["sections"]:
        for x in s["inflows"]:
            out[("in", x["code"])] = x["amount"]
        for x in s["outflows"]:
            out[("out", x["code"])] = x["amount"]
    return out


def _code(role: str) -> str:
    return account_for_role(role).code


def _assert_days_match_lines(f, t):
    ids = reports.cash_account_ids()
    assert reports._flows_from_days(f, t) == reports._flows_from_lines(ids, f, t)
    assert all(r.difference == 0 for r in reports.cash_flow_days_check())


@pytest.fixture
def rescheduled(staff, member, product, today):
    on = today - timedelta(days=100)
    loan = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    loan.refresh_from_db()
    assert loan.deferred_jasa == D(800_000)
    rows = list(loan.instalments.filter(is_current=True, version=2).order_by("number"))
    return loan, rows


def test_repayment_recognising_deferred_jasa_shows_only_the_cash_received(rescheduled, staff):
    loan, rows = rescheduled
    day = rows[0].due_date
    rep = loan_repay(loan=loan, amount=D(1_008_000), by=staff["petugas"], on=day)
    assert rep.deferred_jasa_recognised == D(66_667)
    cf = reports.cash_flow(date_from=day, date_to=day, compare=False)
    assert _rows(cf) == {
        ("in", _code("loan_receivable")): D(900_000),
        ("in", _code("loan_interest_income")): D(108_000),  # the jasa paid in cash
    }
    assert ("out", _code("deferred_jasa_income")) not in _rows(cf)
    assert cf["net_change"] == D(1_008_000) == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    # the recognition is in the ledger all the same (income earned, liability lowered)
    lines = JournalLine.objects.filter(entry=rep.entry)
    assert sum(
        ln.debit for ln in lines if ln.account_id == account_for_role("deferred_jasa_income").pk
    ) == D(66_667)
    _assert_days_match_lines(day, day)
    # a closed month's stored figures are computed by the same rule
    month = day.replace(day=1)
    stored = reports.cash_flow_month_store(month=month)
    real = reports._flows_from_lines(reports.cash_account_ids(), month, reports._month_end(month))
    assert {int(k): [D(i), D(o)] for k, (i, o) in stored.flows.items()} == real
    assert account_for_role("deferred_jasa_income").pk not in real


def test_repayment_reversed_nets_out_of_the_cash_flow(rescheduled, staff, today):
    loan, rows = rescheduled
    day = rows[0].due_date
    rep = loan_repay(loan=loan, amount=D(1_008_000), by=staff["petugas"], on=day)
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah catat", on=today)
    cf = reports.cash_flow(date_from=day, date_to=today, compare=False)
    assert _rows(cf) == {}
    assert cf["net_change"] == 0 and cf["reconciles"]
    # the reversal alone, in its own period: the cash taken back, nothing else
    if today > day:
        cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
        assert _rows(cf) == {
            ("in", _code("loan_receivable")): D(-900_000),
            ("in", _code("loan_interest_income")): D(-108_000),
        }
    _assert_days_match_lines(day, today)


def test_payroll_batch_and_payoff_show_only_the_cash(rescheduled, staff, today):
    """The same rule in a payroll batch's entry (many members' lines against one bank
    debit) and in a payoff, which recognises all the deferred jasa left."""
    loan, rows = rescheduled
    day = rows[0].due_date
    with transaction.atomic():
        drafts = loan_repayments_prepare_bulk(
            items=[(loan.pk, D(1_008_000))], on=day, channel="payroll", by=staff["bendahara"]
        )
        entry = post_bank_batch(
            lines=[x for d in drafts for x in d.lines], on=day, by=staff["bendahara"], ref="cf-dj"
        )
        loan_repayments_attach_entry(drafts=drafts, entry=entry)
    cf = reports.cash_flow(date_from=day, date_to=day, compare=False)
    assert _rows(cf) == {
        ("in", _code("loan_receivable")): D(900_000),
        ("in", _code("loan_interest_income")): D(108_000),
    }
    pay = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert pay.deferred_jasa_recognised == D(800_000) - D(66_667)
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    got = _rows(cf)
    assert ("out", _code("deferred_jasa_income")) not in got
    assert got[("in", _code("loan_interest_income"))] == pay.jasa
    assert cf["net_change"] == pay.amount and cf["reconciles"]
    # the payoff reversed, then the batch (as the payroll module reverses it): each
    # nets out of the cash flow
    loan_repayment_reverse(repayment=pay, by=staff["bendahara"], reason="batal", on=today)
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    assert _rows(cf) == {} and cf["net_change"] == 0
    rep = drafts[0].repayment
    with transaction.atomic():
        loan_repayment_reverse_apply(repayment=rep, on=today, by=staff["bendahara"])
        journal_reverse(
            entry=entry, on=today, reason="file salah", by=staff["bendahara"], module=entry.source
        )
    cf = reports.cash_flow(date_from=day, date_to=today, compare=False)
    assert _rows(cf) == {} and cf["net_change"] == 0
    _assert_days_match_lines(day, today)


def test_topup_in_arrears_shows_no_receipt_of_the_capitalised_jasa(
    make_loan, staff, member, product, today
):
    """A top-up of a loan in arrears pays its overdue jasa and penalty with new credit
    (capitalised into pendapatan jasa ditangguhkan): no cash is received for them and
    that part of the new principal is not paid out. The old loan 10,000,000 (200,000
    jasa and some penalty overdue), the new 20,000,000."""
    on = today - timedelta(days=40)
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=115)
    q = loan_payoff_quote(loan=old, on=on)
    capitalised = q["jasa"] + q["penalty"]
    assert q["jasa"] == D(200_000) and q["penalty"] > 0
    new = _topup(staff, member, product, old, D(20_000_000), on)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=on)
    cash = -sum((ln.debit - ln.credit for ln in entry.lines.all() if ln.account.is_cash), D(0))
    cf = reports.cash_flow(date_from=on, date_to=on, compare=False)
    got = _rows(cf)
    assert ("in", _code("deferred_jasa_income")) not in got
    # the fees cut (650,000: admin 200,000, provisi 100,000, insurance 50,000, risk fund
    # 100,000, wajib pinjam 200,000) are no payment either, nor is the old loan's
    # principal settled by the new one a receipt (before: in receivable q["principal"],
    # out 20,000,000 - capitalised - 650,000): only the cash paid to the member
    new.refresh_from_db()
    assert new.net_disbursed == D(20_000_000) - capitalised - D(650_000) - q["principal"]
    assert got == {("out", _code("loan_receivable")): new.net_disbursed}
    assert cf["net_change"] == -cash and cf["reconciles"]
    # the books are as before: the whole new principal receivable, the jasa deferred
    assert _role_total(entry, "loan_receivable") == q["principal"] - D(20_000_000)
    assert _role_total(entry, "deferred_jasa_income") == capitalised
    _assert_days_match_lines(on, on)
    # the new loan's first instalment earns part of it (penalty first): no cash row
    new.refresh_from_db()
    row1 = new.instalments.get(number=1, is_current=True)
    rep = loan_repay(loan=new, amount=D(2_200_000), by=staff["petugas"], on=row1.due_date)
    assert rep.deferred_penalty_recognised > 0
    day = row1.due_date
    cf = reports.cash_flow(date_from=day, date_to=day, compare=False)
    assert _rows(cf) == {
        ("in", _code("loan_receivable")): D(2_000_000),
        ("in", _code("loan_interest_income")): D(200_000),
    }
    _assert_days_match_lines(on, today)
