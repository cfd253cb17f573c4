"""Payments are applied in payment-date order: a payment dated before a later payment
already posted that settled an instalment would find that row paid and pay the rows after
it (with the penalty and the paid-on date of the posting order, not the payment date). It
is refused, naming the later payment's date and the way out (date it on or after it, or
reverse the later one first and post them in date order), at the counter and in the
payroll batch; nothing changes. A later payment that settled no row (part of the penalty
or of the oldest row) does not refuse it (the backdated one pays the penalty owed as of
its date: ``test_penalty``'s backdated cases)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.loans.batch import loan_repayments_prepare_bulk
from core.loans.models import Instalment, Repayment
from core.loans.services import (
    loan_repay,
    loan_repayment_reverse,
    loans_payment_date_refusals,
)
from core.savings.models import SavingsTransaction
from tests.loans.conftest import assert_reconciled


def _counts():
    return (
        Repayment.objects.count(),
        JournalEntry.objects.count(),
        AuditEvent.objects.count(),
        SavingsTransaction.objects.count(),
    )


def _rows(loan):
    return list(Instalment.objects.filter(loan=loan).order_by("pk").values())


def _paid_late(make_loan, staff):
    """Row 1 (1,100,000 a month; 2% penalty a started month after 5 grace days) paid at
    the counter 20 days after it fell due (one started month late: 22,000 penalty). The
    member says they paid on day 4, within the grace days."""
    loan = make_loan(days_ago=75)
    r1 = loan.instalments.get(number=1)
    day20 = r1.due_date + timedelta(days=20)
    later = loan_repay(loan=loan, amount=D(1_122_000), by=staff["petugas"], on=day20)
    assert (later.penalty, later.jasa, later.principal) == (D(22_000), D(100_000), D(1_000_000))
    loan.refresh_from_db()
    return loan, r1, later, r1.due_date + timedelta(days=4)


def test_counter_payment_dated_before_a_later_instalment_payment_is_refused(make_loan, staff):
    loan, r1, later, day4 = _paid_late(make_loan, staff)
    before, rows, outstanding = _counts(), _rows(loan), loan.principal_outstanding
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=day4)
    assert e.value.code == "loan_date_invalid"
    msg = str(e.value.message)
    assert loan.number in msg
    # the later payment's date, and what to do: date it on or after, or reverse the later
    # one first and post in date order
    from core.common.dates import format_tanggal

    assert format_tanggal(later.paid_on) in msg and format_tanggal(day4) in msg
    assert "batalkan" in msg.lower() and "urut tanggal" in msg.lower()
    assert e.value.fields["on"]
    assert _counts() == before
    assert _rows(loan) == rows
    loan.refresh_from_db()
    assert loan.principal_outstanding == outstanding


def test_after_the_later_one_is_reversed_they_post_in_date_order(make_loan, staff):
    """The way out the refusal names: the later payment reversed, the day-4 payment posted
    (row 1 paid within the grace days: no penalty, settled on day 4), then the later one
    again (row 2, ahead)."""
    loan, r1, later, day4 = _paid_late(make_loan, staff)
    loan_repayment_reverse(repayment=later, by=staff["bendahara"], reason="urut tanggal")
    first = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=day4)
    assert (first.penalty, first.jasa, first.principal) == (0, D(100_000), D(1_000_000))
    r1.refresh_from_db()
    assert r1.settled and r1.settled_on == day4 and r1.penalty_charged == 0
    again = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=later.paid_on)
    assert again.penalty == 0
    r2 = loan.instalments.get(number=2, is_current=True)
    assert r2.jasa_paid + r2.principal_paid > 0
    assert_reconciled()


def test_same_day_and_later_payments_are_taken(make_loan, staff):
    loan, r1, later, _day4 = _paid_late(make_loan, staff)
    loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"], on=later.paid_on)
    loan_repay(
        loan=loan, amount=D(100_000), by=staff["petugas"], on=later.paid_on + timedelta(days=1)
    )
    assert_reconciled()


def test_a_reversed_later_payment_does_not_hold_the_date_back(make_loan, staff):
    loan, r1, later, day4 = _paid_late(make_loan, staff)
    loan_repayment_reverse(repayment=later, by=staff["bendahara"], reason="keliru")
    assert loans_payment_date_refusals(loan_ids=[loan.pk], on=day4) == {}


def test_payroll_batch_dated_before_a_later_instalment_payment_is_refused(make_loan, staff):
    """The payroll batch applies the same rule (the whole batch refused, naming the loan;
    nothing written), and the deductions preview flags the row before it is posted
    (``loans_payment_date_refusals``: the earliest date is the later payment's)."""
    loan, r1, later, day4 = _paid_late(make_loan, staff)
    flagged = loans_payment_date_refusals(loan_ids=[loan.pk], on=day4)
    assert set(flagged) == {loan.pk}
    assert flagged[loan.pk].floor == later.paid_on
    assert flagged[loan.pk].error.code == "loan_date_invalid"
    assert loans_payment_date_refusals(loan_ids=[loan.pk], on=later.paid_on) == {}
    before, rows = _counts(), _rows(loan)
    with pytest.raises(ApplicationError) as e, transaction.atomic():
        loan_repayments_prepare_bulk(
            items=[(loan.pk, D(1_100_000))],
            on=day4,
            channel=Repayment.Channel.PAYROLL,
            by=staff["bendahara"],
            excess_to="sukarela",
        )
    assert e.value.code == "loan_date_invalid" and loan.number in str(e.value.message)
    assert _counts() == before
    assert _rows(loan) == rows


def test_a_later_part_payment_that_settled_no_row_lets_the_backdated_one_in(make_loan, staff):
    """A later payment of part of row 1 (its penalty, jasa and some principal) settled no
    row: the rows are filled oldest first whatever the order, so the day-4 money is taken
    and pays the rest of row 1 (settled on day 4), the penalty owed as of its date only."""
    loan = make_loan(days_ago=75)
    r1 = loan.instalments.get(number=1)
    day20, day4 = r1.due_date + timedelta(days=20), r1.due_date + timedelta(days=4)
    loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=day20)
    r1.refresh_from_db()
    assert not r1.settled
    assert loans_payment_date_refusals(loan_ids=[loan.pk], on=day4) == {}
    rep = loan_repay(loan=loan, amount=D(622_000), by=staff["petugas"], on=day4)
    assert rep.penalty == 0  # within the grace days as of day 4
    r1.refresh_from_db()
    assert r1.settled and r1.settled_on == day4
    assert_reconciled()
