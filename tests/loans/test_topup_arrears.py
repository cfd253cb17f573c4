"""A top-up of a loan in arrears is a restructuring (domain: Loans, Restructuring): the
old loan's overdue jasa and penalty, paid by the new loan's principal and not in cash,
are not income but *pendapatan jasa ditangguhkan* carried by the new loan (recognised as
it is repaid, the reschedule's mechanism); the new loan keeps the old loan's grade until
it has paid the set number of instalments on time. A top-up of a loan with nothing
overdue books as before."""

from datetime import timedelta
from decimal import Decimal as D

from core.ledger.selectors import account_balance, account_for_role
from core.loans import schedules as S
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, Repayment
from core.loans.services import (
    loan_disburse,
    loan_payoff_quote,
    loan_repay,
    loan_reschedule,
)
from tests.loans.conftest import assert_reconciled
from tests.loans.test_money_review import _role_total, _topup
from tests.loans.test_restructuring import _bad_loan


def test_new_loan_repayment_recognises_its_share_of_the_carried_jasa(
    make_loan, staff, member, product, today
):
    on = today - timedelta(days=40)  # two instalments of the old loan unpaid
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=115)
    q = loan_payoff_quote(loan=old, on=on)
    carried = q["penalty"] + q["jasa"]
    assert q["jasa"] == D(200_000) and q["penalty"] > 0
    new = _topup(staff, member, product, old, D(20_000_000), on)
    loan_disburse(loan=new, by=staff["bendahara"], on=on)
    new.refresh_from_db()
    assert new.deferred_jasa == carried
    row1 = new.instalments.get(number=1, is_current=True)
    assert (row1.principal, row1.jasa) == (D(2_000_000), D(200_000))
    rep = loan_repay(loan=new, amount=D(2_200_000), by=staff["petugas"], on=row1.due_date)
    # a tenth of the principal repaid earns a tenth of the carried jasa
    share = S.rupiah(carried * D(2_000_000) / D(20_000_000))
    assert rep.deferred_jasa_recognised == share
    assert _role_total(rep.entry, "deferred_jasa_income") == -share
    # the carried penalty is earned first, as penalty income (test_deferred_penalty)
    assert share < q["penalty"]
    assert _role_total(rep.entry, "penalty_income") == share
    assert _role_total(rep.entry, "loan_interest_income") == D(200_000)
    new.refresh_from_db()
    assert new.deferred_jasa == carried - share
    assert new.deferred_penalty == q["penalty"] - share
    assert_reconciled()


def test_topup_of_a_bad_loan_keeps_its_grade_until_the_new_loan_pays_on_time(
    staff, member, product, today
):
    """The old loan: eight instalments unpaid, about 214 days, Diragukan (PPAP 50 %). The
    new loan has nothing past due, yet it is Diragukan with PPAP 50 % of its principal net
    of the carried jasa; three instalments paid on time improve it one grade."""
    on = today - timedelta(days=100)
    old = _bad_loan(staff, member, product, on)
    q = loan_payoff_quote(loan=old, on=on)
    new = _topup(staff, member, product, old, D(15_000_000), on)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=on)
    assert _role_total(entry, "loan_interest_income") == 0
    assert _role_total(entry, "penalty_income") == 0
    assert _role_total(entry, "deferred_jasa_income") == q["jasa"] + q["penalty"] > D(800_000)
    new.refresh_from_db()
    assert (new.restructured_grade, new.kolektibilitas) == ("diragukan", "diragukan")
    assert new.deferred_jasa == q["jasa"] + q["penalty"]
    loans_arrears_update(on=on)
    new.refresh_from_db()
    net = new.principal_outstanding - new.deferred_jasa
    assert new.days_past_due == 0
    assert (new.kolektibilitas, new.ppap_amount) == ("diragukan", S.rupiah(net * D("0.5")))
    rows = list(new.instalments.filter(is_current=True).order_by("number"))
    for i, row in enumerate(rows[:3], start=1):
        loan_repay(loan=new, amount=row.principal + row.jasa, by=staff["petugas"], on=row.due_date)
        loans_arrears_update(on=row.due_date)
        new.refresh_from_db()
        expected = "diragukan" if i < 3 else "kurang_lancar"
        assert new.kolektibilitas == expected, i
    assert_reconciled()


def test_topup_of_a_restructured_loan_in_arrears_carries_its_deferred_jasa(
    staff, member, product, today
):
    """Rescheduled 100 days ago (800,000 deferred), then three new instalments unpaid:
    the top-up does not earn the 800,000 (no cash came in): the new loan carries it with
    the new overdue jasa and penalty; jasa income is untouched."""
    on = today - timedelta(days=100)
    old = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=old, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    old.refresh_from_db()
    assert old.deferred_jasa == D(800_000)
    q = loan_payoff_quote(loan=old, on=today)
    assert q["jasa"] > 0
    income_before = account_balance(account=account_for_role("loan_interest_income"))
    new = _topup(staff, member, product, old, D(20_000_000), today)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    assert _role_total(entry, "loan_interest_income") == 0
    assert _role_total(entry, "deferred_jasa_income") == q["jasa"] + q["penalty"]
    assert account_balance(account=account_for_role("loan_interest_income")) == income_before
    new.refresh_from_db()
    old.refresh_from_db()
    assert new.deferred_jasa == D(800_000) + q["jasa"] + q["penalty"]
    assert old.deferred_jasa == 0 and old.status == Loan.Status.CLOSED
    rep = old.repayments.get(channel=Repayment.Channel.TOPUP)
    assert rep.deferred_jasa_recognised == 0
    assert account_balance(account=account_for_role("deferred_jasa_income")) == new.deferred_jasa
    assert_reconciled()


def test_topup_of_a_loan_with_nothing_overdue_books_as_before(
    make_loan, staff, member, product, today
):
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=40)
    r1 = old.instalments.get(number=1)
    loan_repay(loan=old, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    new = _topup(staff, member, product, old, D(20_000_000), today)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    new.refresh_from_db()
    assert new.topup_settlement == D(9_000_000)
    assert _role_total(entry, "deferred_jasa_income") == 0
    assert new.deferred_jasa == 0 and new.restructured_grade == "" and new.restructured_on is None
    assert not new.is_restructured
    assert_reconciled()
