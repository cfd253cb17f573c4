"""Money review of the loans area (top-up, early payoff, rescheduling, grades and PPAP,
rounding): what the treasurer and the auditor read — the journal's amounts per account,
the schedule, the loan's history and its grade — to the rupiah."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.loans import schedules as S
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, Repayment
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_payoff_quote,
    loan_repay,
    loan_reschedule,
    loan_settings_update,
    loan_verify,
)
from tests.loans.conftest import assert_reconciled, docs
from tests.loans.test_restructuring import _bad_loan


def _role_total(entry, role):
    """Credit less debit of an entry on the account of ``role``."""
    acc = account_for_role(role)
    return sum(
        (ln.credit - ln.debit for ln in JournalLine.objects.filter(entry=entry, account=acc)), D(0)
    )


def _topup(staff, member, product, old, principal, on):
    new = loan_apply(
        member=member,
        product=product,
        principal=principal,
        tenor=10,
        by=staff["petugas"],
        on=on,
        documents=docs(),
        topup_of=old,
    )
    loan_verify(loan=new, by=staff["bendahara"], on=on)
    loan_approve(loan=new, by=staff["ketua"], on=on)
    return new


def _expected_penalty(rows, on, *, rate=D("0.02"), grace=5):
    """2 % of the unpaid instalment per started 30-day month beyond 5 grace days."""
    total = D(0)
    for r in rows:
        late = (on - r.due_date).days
        if late > grace:
            periods = -(-(late - grace) // 30)
            total += S.rupiah((r.principal + r.jasa) * rate * periods)
    return total


def test_topup_of_a_loan_in_arrears_defers_its_overdue_jasa_and_penalty(
    make_loan, staff, member, product, today
):
    """The new loan's principal pays the old loan's overdue jasa and penalty: no cash
    comes in, so they are capitalised, not income: *pendapatan jasa ditangguhkan*,
    carried by the new loan (recognised as it is repaid), as a reschedule does."""
    old = make_loan(principal=D(10_000_000), tenor=10, days_ago=75)
    overdue = list(old.instalments.filter(due_date__lt=today).order_by("number"))
    assert len(overdue) == 2  # two instalments of 1,100,000 unpaid
    penalty = _expected_penalty(overdue, today)
    assert penalty > 0
    new = _topup(staff, member, product, old, D(20_000_000), today)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    new.refresh_from_db()
    old.refresh_from_db()
    # the old loan is settled first: its penalty, its two months' jasa, all its principal
    settlement = penalty + D(200_000) + D(10_000_000)
    assert new.topup_settlement == settlement
    assert _role_total(entry, "penalty_income") == 0
    assert _role_total(entry, "loan_interest_income") == 0
    assert _role_total(entry, "deferred_jasa_income") == penalty + D(200_000)
    assert new.deferred_jasa == penalty + D(200_000)
    assert new.restructured_grade == "lancar" and new.restructured_on == today
    assert _role_total(entry, "loan_receivable") == D(10_000_000) - D(20_000_000)
    fees = new.admin_fee + new.provisi + new.insurance + new.wajib_pinjam + new.risk_fund
    assert fees == D(200_000) + D(100_000) + D(50_000) + D(200_000) + D(100_000)
    assert _role_total(entry, "cash") == D(20_000_000) - fees - settlement == new.net_disbursed
    # the old loan's statement: closed by the top-up, one repayment of the settlement
    assert old.status == Loan.Status.CLOSED and old.principal_outstanding == 0
    rep = old.repayments.get(channel=Repayment.Channel.TOPUP)
    assert (rep.penalty, rep.jasa, rep.principal) == (penalty, D(200_000), D(10_000_000))
    assert not old.instalments.filter(is_current=True, settled=False).exists()
    # jasa of the months not yet due is not charged (waived on the old schedule)
    waived = sum(r.jasa_waived for r in old.instalments.filter(is_current=True))
    assert waived == D(800_000)
    assert_reconciled()


def test_topup_of_a_restructured_loan_on_probation_carries_its_deferred_jasa(
    staff, member, product, today
):
    """Rescheduled 20 days ago, nothing paid since nor due: still on probation, so the
    top-up is a restructuring (test_topup_probation): the deferred jasa is carried."""
    on = today - timedelta(days=20)
    old = _bad_loan(staff, member, product, on)
    loan_reschedule(loan=old, by=staff["ketua"], tenor=12, reason="Gaji turun", on=on)
    old.refresh_from_db()
    assert old.deferred_jasa == D(800_000)
    deferred_acc = account_for_role("deferred_jasa_income")
    assert account_balance(account=deferred_acc) == D(800_000)  # a liability
    quote = loan_payoff_quote(loan=old, on=today)
    assert quote["principal"] == D(10_800_000) and quote["jasa"] == 0
    new = _topup(staff, member, product, old, D(15_000_000), today)
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    # paid by the new loan's principal, not cash: not earned, the liability carried on
    assert _role_total(entry, "deferred_jasa_income") == 0
    assert _role_total(entry, "loan_interest_income") == 0
    assert _role_total(entry, "loan_receivable") == D(10_800_000) - D(15_000_000)
    assert account_balance(account=deferred_acc) == D(800_000)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.deferred_jasa == 0 and old.status == Loan.Status.CLOSED
    assert new.deferred_jasa == D(800_000)
    assert (new.restructured_grade, new.restructured_on) == ("diragukan", today)
    assert_reconciled()


def test_second_reschedule_history_shows_the_terms_it_replaced(staff, member, product, today):
    """The history of terms an auditor reads: the second reschedule's "before" is the
    first reschedule's "after" (tenor and rate), not the original loan's."""
    first_on = today - timedelta(days=60)
    loan = _bad_loan(staff, member, product, first_on)
    rs1 = loan_reschedule(
        loan=loan, by=staff["ketua"], tenor=12, rate="0,9", reason="Gaji turun", on=first_on
    )
    assert (rs1.old_tenor, rs1.new_tenor) == (10, 12)
    loan.refresh_from_db()
    rs2 = loan_reschedule(
        loan=loan, by=staff["ketua"], tenor=18, rate="0,8", reason="Sakit", on=today
    )
    assert (rs2.old_rate, rs2.new_rate) == (D("0.9"), D("0.8"))
    assert (rs2.old_tenor, rs2.new_tenor) == (12, 18)


def test_rescheduled_schedule_repays_exactly_the_new_principal(staff, member, product, today):
    """An odd new principal over an annuity at an odd rate: whole rupiah rows, the last
    absorbing rounding, the principal rows summing to the outstanding to the rupiah."""
    on = today - timedelta(days=10)
    loan = _bad_loan(staff, member, product, on)
    loan_repay(loan=loan, amount=D(1_234_567), by=staff["petugas"], on=on)
    loan.refresh_from_db()
    outstanding_before = loan.principal_outstanding
    rs = loan_reschedule(loan=loan, by=staff["ketua"], tenor=7, rate="1,37", reason="x", on=on)
    loan.refresh_from_db()
    rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    assert len(rows) == 7
    assert loan.principal_outstanding == outstanding_before + rs.capitalised_jasa
    assert sum(r.principal for r in rows) == loan.principal_outstanding
    assert all(r.principal == r.principal.to_integral_value() for r in rows)
    assert all(r.jasa == r.jasa.to_integral_value() for r in rows)
    flat = S.rupiah(loan.principal_outstanding * D("0.0137"))
    assert all(r.jasa == flat for r in rows)  # the loan's method (flat) is kept
    assert_reconciled()


def test_restructured_loan_in_the_five_grade_scheme_improves_one_grade_after_probation(
    staff, member, product, today
):
    """Five grades: restructured at Macet (over 180 days); two on-time instalments keep
    Macet and its 100 % PPAP; the third improves it one grade (Diragukan, 50 %), not to
    Lancar although nothing is overdue."""
    loan_settings_update(by=staff["admin"], kolek_scheme="five")
    on = today - timedelta(days=100)
    loan = _bad_loan_five(staff, member, product, on)
    rs = loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="x", on=on)
    assert rs.grade_before == "macet"
    loan.refresh_from_db()
    rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    net = loan.principal_outstanding - loan.deferred_jasa
    for i, row in enumerate(rows[:3], start=1):
        loan_repay(loan=loan, amount=row.principal + row.jasa, by=staff["petugas"], on=row.due_date)
        loans_arrears_update(on=row.due_date)
        loan.refresh_from_db()
        net = loan.principal_outstanding - loan.deferred_jasa
        if i < 3:
            assert loan.kolektibilitas == "macet", i
            assert loan.ppap_amount == net, i
        else:
            assert loan.kolektibilitas == "diragukan"
            assert loan.ppap_amount == S.rupiah(net * D("0.5"))
    assert_reconciled()


def _bad_loan_five(staff, member, product, restructure_on):
    """As ``_bad_loan`` (8 instalments unpaid, about 214 days) in the five-grade scheme:
    Macet (over 180 days), PPAP 100 %."""
    from core.ledger.services import fiscal_year_ensure

    first_due = S.add_months(restructure_on, -7)
    start = first_due - timedelta(days=30)
    fiscal_year_ensure(year=start.year)
    loan = loan_apply(
        member=member,
        product=product,
        principal=D(10_000_000),
        tenor=10,
        by=staff["petugas"],
        on=start,
        documents=docs(),
    )
    loan_verify(loan=loan, by=staff["bendahara"], on=start)
    loan_approve(loan=loan, by=staff["ketua"], on=start)
    loan_disburse(loan=loan, by=staff["bendahara"], on=start, first_due_date=first_due)
    loans_arrears_update(on=restructure_on)
    loan.refresh_from_db()
    assert (loan.kolektibilitas, loan.ppap_amount) == ("macet", D(10_000_000))
    return loan


def test_topup_dated_before_the_old_loan_was_paid_out_is_refused(
    make_loan, staff, member, product, today
):
    """A top-up settles the old loan on its disbursement date: that date cannot precede
    the old loan's own disbursement (a repayment before the money went out, the
    receivable negative in between)."""
    from core.common.errors import ApplicationError
    from core.ledger.models import JournalEntry

    old = make_loan(principal=D(5_000_000), tenor=10, days_ago=5)
    early = today - timedelta(days=10)
    try:
        new = _topup(staff, member, product, old, D(10_000_000), early)
    except ApplicationError as e:  # refused at the application: as good
        assert e.code == "loan_date_invalid"
        return
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=new, by=staff["bendahara"], on=today - timedelta(days=8))
    assert e.value.code == "loan_date_invalid" and "on" in e.value.fields
    assert old.number in str(e.value.message)
    assert JournalEntry.objects.count() == entries
    old.refresh_from_db()
    assert old.status == Loan.Status.DISBURSED and not old.repayments.exists()


def test_topup_dated_before_the_old_loans_last_payment_is_refused(
    make_loan, staff, member, product, today
):
    from core.common.errors import ApplicationError

    old = make_loan(principal=D(5_000_000), tenor=10, days_ago=40)
    row = old.instalments.get(number=1)
    loan_repay(loan=old, amount=row.principal + row.jasa, by=staff["petugas"], on=today)
    new = _topup(staff, member, product, old, D(10_000_000), today - timedelta(days=3))
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=new, by=staff["bendahara"], on=today - timedelta(days=2))
    assert e.value.code == "loan_date_invalid"
    assert "pembayaran terakhir" in str(e.value.message)
    loan_disburse(loan=new, by=staff["bendahara"], on=today)  # on/after it: settled
    old.refresh_from_db()
    assert old.status == Loan.Status.CLOSED and old.closed_on == today
    assert_reconciled()


def test_early_payoff_dated_before_the_loans_last_payment_is_refused(make_loan, staff, today):
    """The payoff closes the loan on its date: a receipt already on the statement after
    that date would be a payment to a closed loan. Refused with the date named; nothing
    is written; on or after the last payment it is taken."""
    from core.common.errors import ApplicationError
    from core.ledger.models import JournalEntry

    loan = make_loan(days_ago=40)
    row = loan.instalments.get(number=1)
    loan_repay(loan=loan, amount=row.principal + row.jasa, by=staff["petugas"], on=today)
    entries = JournalEntry.objects.count()
    from core.loans.services import loan_payoff

    with pytest.raises(ApplicationError) as e:
        loan_payoff(loan=loan, by=staff["petugas"], on=today - timedelta(days=2))
    assert e.value.code == "loan_date_invalid" and "on" in e.value.fields
    assert "pembayaran terakhir" in str(e.value.message)
    assert JournalEntry.objects.count() == entries
    loan.refresh_from_db()
    assert loan.status == Loan.Status.DISBURSED
    outstanding = loan.principal_outstanding  # 1,100,000 paid 22,000 penalty first
    assert outstanding == D(9_022_000)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and rep.principal == outstanding


def test_early_payoff_counts_jasa_paid_ahead_on_a_row_not_yet_due(make_loan, staff, today):
    """Two members with the same loan pay it off on the same day; one had paid 50,000
    ahead (it went to the next instalment's jasa). Both should have paid the same in all."""
    from core.loans.services import loan_payoff

    a = make_loan(days_ago=5)
    b = make_loan(days_ago=5)
    loan_repay(loan=a, amount=D(50_000), by=staff["petugas"], on=today)
    pay_a = loan_payoff(loan=a, by=staff["petugas"], on=today)
    pay_b = loan_payoff(loan=b, by=staff["petugas"], on=today)
    assert D(50_000) + pay_a.amount == pay_b.amount
