"""The loan's schedule version after a payment whose excess went to principal is reversed:
``Loan.schedule_version`` names the rows that are current again (the version before the
payment), and the next schedule written (a re-amortisation, a reschedule, a
disbursement after the disbursement is reversed) takes a number no row of the loan has
used, so the re-amortised rows kept as history stay as they were."""

import importlib
from decimal import Decimal as D

from django.apps import apps
from django.db.models import Max

from core.loans.models import Instalment, Loan, Reschedule
from core.loans.services import (
    loan_disburse,
    loan_disbursement_reverse,
    loan_repay,
    loan_repayment_reverse,
    loan_reschedule,
)
from core.loans.services.reversal import repayment_reversal_refusal
from tests.members import factories as f


def _current_versions(loan):
    return set(
        Instalment.objects.filter(loan=loan, is_current=True).values_list("version", flat=True)
    )


def _excess_paid_and_reversed(loan, staff):
    on = loan.instalments.get(number=1).due_date
    rep = loan_repay(
        loan=loan, amount=D(5_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    loan.refresh_from_db()
    assert loan.schedule_version == 2 and _current_versions(loan) == {1, 2}
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah ketik")
    loan.refresh_from_db()
    return on


def test_reversal_puts_the_schedule_version_back_to_the_rows_current_again(make_loan, staff):
    loan = make_loan(days_ago=31)
    _excess_paid_and_reversed(loan, staff)
    assert _current_versions(loan) == {1}
    assert loan.schedule_version == 1


def test_a_new_excess_after_the_reversal_writes_a_version_never_used(make_loan, staff):
    loan = make_loan(days_ago=31)
    on = _excess_paid_and_reversed(loan, staff)
    history = list(Instalment.objects.filter(loan=loan, version=2).values())
    rep = loan_repay(
        loan=loan, amount=D(3_000_000), by=staff["petugas"], on=on, excess_to="principal"
    )
    loan.refresh_from_db()
    assert loan.schedule_version == 3
    assert _current_versions(loan) == {1, 3}
    # the first reversal's history rows untouched
    assert list(Instalment.objects.filter(loan=loan, version=2).values()) == history
    # and this one reverses to version 1 again
    assert repayment_reversal_refusal(rep) is None
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah lagi")
    loan.refresh_from_db()
    assert loan.schedule_version == 1 and _current_versions(loan) == {1}


def test_a_reschedule_after_the_reversal_replaces_the_restored_version(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    _excess_paid_and_reversed(loan, staff)
    rs = loan_reschedule(loan=loan, by=staff["ketua"], tenor=12, reason="gaji turun", on=today)
    loan.refresh_from_db()
    # the rows it replaced were version 1's; its own a number no row had
    assert (rs.version_from, rs.version_to) == (1, 3)
    assert loan.schedule_version == 3
    assert Reschedule.objects.get(loan=loan).version_from == 1


def test_disbursed_again_after_both_reversals_writes_a_new_version(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    _excess_paid_and_reversed(loan, staff)
    loan = loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah pinjaman")
    assert loan.status == Loan.Status.APPROVED
    used = Instalment.objects.filter(loan=loan).aggregate(v=Max("version"))["v"]
    loan_disburse(loan=loan, by=staff["bendahara"], on=today)
    loan.refresh_from_db()
    assert _current_versions(loan) == {loan.schedule_version}
    assert loan.schedule_version > used
    assert Instalment.objects.filter(loan=loan, is_current=True).count() == 10


migration = importlib.import_module(
    "core.loans.migrations.0030_schedule_version_after_excess_reversal"
)


def test_migration_puts_back_the_version_left_by_an_earlier_reversal(make_loan, staff):
    loan = make_loan(days_ago=31)
    _excess_paid_and_reversed(loan, staff)
    other = make_loan(days_ago=31, who=f.member(take_home_pay=D("15000000")))
    on = other.instalments.get(number=1).due_date
    loan_repay(loan=other, amount=D(5_000_000), by=staff["petugas"], on=on, excess_to="principal")
    # as a reversal before the fix left it: the re-amortised version's number
    Loan.objects.filter(pk=loan.pk).update(schedule_version=2)

    migration.schedule_version_from_current_rows(apps, None)

    assert Loan.objects.get(pk=loan.pk).schedule_version == 1
    # a payment still in force keeps its re-amortised version
    assert Loan.objects.get(pk=other.pk).schedule_version == 2
