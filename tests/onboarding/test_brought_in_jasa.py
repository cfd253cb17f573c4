"""Jasa arrears brought in at the cut-over sit on the jasa receivable (1105): they were
income of the old books. Every repayment path settles that receivable first and credits
jasa income only for the jasa earned after it; a reversed repayment owes it again; the
sum per loan reconciles with 1105."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction
from django.utils import timezone

from core.ledger.selectors import account_balance, account_for_role, balances_check
from core.loans.models import Loan, Repayment
from core.loans.selectors import loans_reconciliation
from core.loans.services import loan_payoff, loan_repay, loan_reschedule
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post

from .helpers import arrears_row

ARREARS_JASA = D("240000")
TB = [
    {"row": 2, "account": "1101", "debit": "50000000", "credit": ""},
    {"row": 3, "account": "1103", "debit": "7000000", "credit": ""},
    {"row": 4, "account": "1105", "debit": "240000", "credit": ""},
    {"row": 5, "account": "1104", "debit": "", "credit": "35000"},
    {"row": 6, "account": "3103", "debit": "", "credit": "57205000"},
]


@pytest.fixture
def loan(move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=TB, by=by)
    (ln,) = loans_import(move_in=move_in, rows=[arrears_row(members[1], cutover)], by=by)
    ln.refresh_from_db()
    assert ln.jasa_receivable == ARREARS_JASA
    return ln


def _income() -> D:
    return account_balance(account=account_for_role("loan_interest_income"))


def _receivable() -> D:
    return account_balance(account=account_for_role("loan_interest_receivable"))


def _books_hold():
    assert balances_check() == []
    rec = loans_reconciliation()
    for item in ("principal", "jasa_receivable", "deferred_jasa"):
        assert rec[f"{item}_subledger"] == rec[f"{item}_ledger"], (item, rec)


def test_counter_repayments_settle_the_receivable_before_income(loan, by):
    assert _receivable() == ARREARS_JASA
    income = _income()
    on = timezone.localdate()
    rep = loan_repay(loan=loan, amount=D("100000"), by=by, on=on)
    assert rep.jasa == D("100000") and rep.jasa_receivable_settled == D("100000")
    assert _income() == income  # no income: it was the old books' income
    assert _receivable() == D("140000")
    loan.refresh_from_db()
    assert loan.jasa_receivable == D("140000")
    _books_hold()

    rep = loan_repay(loan=loan, amount=D("1000000"), by=by, on=on, channel="bank")
    assert rep.jasa_receivable_settled == D("140000")
    assert _income() - income == rep.jasa - D("140000")  # only the new jasa
    assert rep.jasa > D("140000")  # the instalment due after the cut-over
    assert _receivable() == 0
    loan.refresh_from_db()
    assert loan.jasa_receivable == 0
    _books_hold()


def test_payoff_settles_the_receivable_and_credits_only_new_jasa(loan, by):
    income = _income()
    rep = loan_payoff(loan=loan, by=by, on=timezone.localdate())
    assert rep.jasa_receivable_settled == ARREARS_JASA
    assert _income() - income == rep.jasa - ARREARS_JASA
    assert _receivable() == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.jasa_receivable == 0
    _books_hold()


def test_payroll_batch_settles_the_receivable_and_its_reversal_restores_it(
    loan, by, members, cutover
):
    from core.deductions import services as dsvc
    from core.deductions.models import DeductionLine
    from tests.deductions.conftest import csv_bytes, make_run

    member = members[1]
    run = make_run(on=cutover + timedelta(days=1), by=by)
    line = DeductionLine.objects.get(run=run, member=member)
    imp = dsvc.deduction_import_upload(
        run=run,
        agency=member.agency,
        content=csv_bytes([(member.nip, int(line.total))]),
        file_name="gaji.csv",
        by=by,
    )
    income = _income()
    imp = dsvc.deduction_import_post(imp=imp, by=by)
    rep = Repayment.objects.get(loan=loan)
    assert rep.channel == "payroll" and rep.jasa_receivable_settled == ARREARS_JASA
    assert _income() - income == rep.jasa - ARREARS_JASA
    assert _receivable() == 0
    loan.refresh_from_db()
    assert loan.jasa_receivable == 0
    _books_hold()

    dsvc.deduction_import_reverse(imp=imp, reason="file salah", by=by)
    loan.refresh_from_db()
    assert loan.jasa_receivable == ARREARS_JASA
    assert _receivable() == ARREARS_JASA
    assert _income() == income
    _books_hold()


def test_rescheduling_capitalises_brought_in_jasa_out_of_the_receivable(loan):
    from tests.members import factories as f

    loan_reschedule(loan=loan, by=f.user("ketua"), tenor=12, reason="keputusan ketua")
    loan.refresh_from_db()
    assert loan.jasa_receivable == 0
    assert _receivable() == 0
    # only the jasa earned after the cut-over (and unpaid) is deferred
    assert loan.deferred_jasa == loan.principal_outstanding - D("7000000") - ARREARS_JASA
    _books_hold()


def test_the_receivable_can_never_go_negative(loan):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Loan.objects.filter(pk=loan.pk).update(jasa_receivable=D("-1"))


def _member_income(loan) -> D:
    from core.ledger.models import JournalLine

    acc = account_for_role("loan_interest_income")
    return sum(
        (
            ln.credit - ln.debit
            for ln in JournalLine.objects.filter(account=acc, member_id=loan.member_id)
        ),
        D(0),
    )


def test_payoff_takes_jasa_paid_ahead_back_from_income_where_it_was_credited(loan, by, cutover):
    """The day after the cut-over the member pays the two instalments in arrears (jasa
    240,000: the brought-in receivable) and 50,000 more, which goes to the next
    instalment's jasa, not yet due: that 50,000 is jasa income (the receivable was
    settled by the arrears first). An early payoff the same day counts it toward the
    principal and debits it from jasa income: where it was credited. Nothing is left on
    the receivable; the reversal restores both."""
    from core.loans.services import loan_repayment_reverse
    from tests.loans.test_money_review import _role_total

    on = cutover + timedelta(days=1)
    income = _member_income(loan)
    rep = loan_repay(loan=loan, amount=D("2290000"), by=by, on=on)
    assert (rep.jasa, rep.jasa_receivable_settled, rep.principal) == (
        D("290000"),
        ARREARS_JASA,
        D("2000000"),
    )
    assert _role_total(rep.entry, "loan_interest_receivable") == ARREARS_JASA
    assert _role_total(rep.entry, "loan_interest_income") == D("50000")
    assert _receivable() == 0
    payoff = loan_payoff(loan=loan, by=by, on=on)
    assert payoff.jasa_ahead_credited == D("50000") and payoff.jasa_receivable_settled == 0
    assert _role_total(payoff.entry, "loan_interest_income") == D("-50000")
    assert _role_total(payoff.entry, "loan_interest_receivable") == 0
    assert payoff.amount == D("5000000") - D("50000")  # no early-payoff fee on the product
    assert _member_income(loan) == income  # all jasa after the cut-over waived
    assert _receivable() == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.jasa_receivable == 0
    _books_hold()
    loan_repayment_reverse(repayment=payoff, by=by, reason="pelunasan batal")
    assert _member_income(loan) - income == D("50000")
    loan_repayment_reverse(repayment=rep, by=by, reason="salah catat")
    loan.refresh_from_db()
    assert loan.jasa_receivable == ARREARS_JASA and _receivable() == ARREARS_JASA
    assert _member_income(loan) == income
    _books_hold()


@pytest.mark.parametrize("days", [0, 20])
def test_loan_events_dated_on_or_before_the_cutover_are_refused(loan, by, cutover, days):
    """The opening balances are as at the end of the cut-over day: a payment dated on or
    before it is in them already. Before, one dated 20 days earlier was taken: it paid the
    row due before it and 50,000 of the next one's jasa (brought-in arrears, credited to
    the receivable as paid ahead), and a payoff the same day debited that 50,000 from jasa
    income and closed the loan with 70,000 left on the receivable. Now the counter, the
    payroll batch, the payoff and a reschedule all refuse the date; nothing is written."""
    from core.common.errors import ApplicationError
    from core.loans.batch import loan_repayments_prepare_bulk
    from tests.members import factories as f

    on = cutover - timedelta(days=days)
    calls = [
        lambda: loan_repay(loan=loan, amount=D("1170000"), by=by, on=on),
        lambda: loan_payoff(loan=loan, by=by, on=on),
        lambda: loan_repayments_prepare_bulk(
            items=[(loan.pk, D("1170000"))], on=on, channel="payroll", by=by
        ),
        lambda: loan_reschedule(
            loan=loan, by=f.user("ketua"), tenor=12, reason="keputusan ketua", on=on
        ),
    ]
    for call in calls:
        with pytest.raises(ApplicationError) as e, transaction.atomic():
            call()
        assert e.value.code == "loan_date_invalid", e.value.message
    assert not Repayment.objects.filter(loan=loan).exists()
    loan.refresh_from_db()
    assert loan.jasa_receivable == ARREARS_JASA and loan.status == Loan.Status.DISBURSED
    assert _receivable() == ARREARS_JASA
    _books_hold()
