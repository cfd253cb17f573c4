"""Jasa arrears brought in at the cut-over sit on the jasa receivable (1105): they were
income of the old books. Every repayment path settles that receivable first and credits
jasa income only for the jasa earned after it; a reversed repayment owes it again; the
sum per loan reconciles with 1105."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
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
