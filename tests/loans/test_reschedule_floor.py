"""A loan's events are not dated before its last reschedule (its effective date): a
payment, an early payoff, a top-up, another reschedule, at the counter and in the payroll
batch alike. Before, a payment dated the 1st after the chair rescheduled on the 3rd was
applied to the rescheduled rows, and the books showed a payment on the 1st against a
schedule that did not exist then. A reversed repayment no longer holds a reschedule back."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.db import transaction

from core.audit.models import AuditEvent
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.loans.batch import loan_repayments_prepare_bulk
from core.loans.models import Instalment, Loan, Repayment, Reschedule
from core.loans.services import (
    loan_disburse,
    loan_payoff,
    loan_repay,
    loan_repayment_prepare,
    loan_repayment_reverse,
    loan_reschedule,
)
from tests.loans.test_money_review import _topup
from tests.members import factories as f


def _state(loan):
    return (
        Repayment.objects.filter(loan=loan).count(),
        Reschedule.objects.filter(loan=loan).count(),
        JournalEntry.objects.count(),
        list(
            Instalment.objects.filter(loan=loan)
            .order_by("pk")
            .values_list("principal_paid", "jasa_paid", "penalty_paid", "settled")
        ),
        Loan.objects.filter(pk=loan.pk)
        .values_list("status", "principal_outstanding", "schedule_version")
        .get(),
    )


@pytest.fixture
def rescheduled(make_loan, staff, today):
    """Disbursed 75 days ago (two instalments overdue), rescheduled 2 days ago."""
    loan = make_loan(days_ago=75)
    rs = loan_reschedule(
        loan=loan, by=staff["ketua"], tenor=12, reason="gaji turun", on=today - timedelta(days=2)
    )
    loan.refresh_from_db()
    return loan, rs.on


def _assert_names_reschedule(err: ApplicationError, resched_on) -> None:
    assert err.code == "loan_date_invalid", err.message
    msg = str(err.message)
    assert "penjadwalan ulang" in msg and format_tanggal(resched_on) in msg, msg


def test_counter_payment_dated_before_the_last_reschedule_is_refused(rescheduled, staff, today):
    loan, resched_on = rescheduled
    before = _state(loan)
    for channel in ("counter", "bank"):
        with pytest.raises(ApplicationError) as e:
            loan_repay(
                loan=loan,
                amount=D(500_000),
                by=staff["petugas"],
                on=resched_on - timedelta(days=1),
                channel=channel,
            )
        _assert_names_reschedule(e.value, resched_on)
        assert "on" in e.value.fields
    assert _state(loan) == before
    # on the day of the reschedule (after it) it is taken, on the new schedule
    rep = loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=resched_on)
    assert rep.paid_on == resched_on
    row = Instalment.objects.filter(loan=loan, is_current=True).order_by("number").first()
    assert row.version == loan.schedule_version and row.jasa_paid + row.principal_paid > 0


def test_payoff_and_another_reschedule_before_the_last_reschedule_are_refused(
    rescheduled, staff, today
):
    loan, resched_on = rescheduled
    before = _state(loan)
    with pytest.raises(ApplicationError) as e:
        loan_payoff(loan=loan, by=staff["petugas"], on=resched_on - timedelta(days=1))
    _assert_names_reschedule(e.value, resched_on)
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(
            loan=loan,
            by=staff["ketua"],
            tenor=10,
            reason="lagi",
            on=resched_on - timedelta(days=1),
        )
    _assert_names_reschedule(e.value, resched_on)
    assert _state(loan) == before


def test_topup_dated_before_the_old_loans_reschedule_is_refused(
    rescheduled, staff, member, product, today
):
    old, resched_on = rescheduled
    new = _topup(staff, member, product, old, D(20_000_000), resched_on - timedelta(days=1))
    before = _state(old)
    with pytest.raises(ApplicationError) as e:
        loan_disburse(loan=new, by=staff["bendahara"], on=resched_on - timedelta(days=1))
    _assert_names_reschedule(e.value, resched_on)
    assert old.number in str(e.value.message)
    assert _state(old) == before
    new.refresh_from_db()
    assert new.status == Loan.Status.APPROVED


def test_payroll_batch_dated_before_a_loans_reschedule_is_refused_like_single(
    rescheduled, make_loan, staff, today
):
    """The batch refuses the loan (named, with its reschedule date) as the single service
    does; nothing of the batch is written, not even the other loans' repayments."""
    loan, resched_on = rescheduled
    other = make_loan(days_ago=40, who=f.member(take_home_pay=D(20_000_000)))
    on = resched_on - timedelta(days=1)
    by = staff["bendahara"]
    before = (_state(loan), _state(other), AuditEvent.objects.count())
    with pytest.raises(ApplicationError) as single, transaction.atomic():
        loan_repayment_prepare(loan=loan, amount=D(500_000), on=on, channel="payroll", by=by)
    with pytest.raises(ApplicationError) as bulk, transaction.atomic():
        loan_repayments_prepare_bulk(
            items=sorted([(loan.pk, D(500_000)), (other.pk, D(500_000))]),
            on=on,
            channel="payroll",
            by=by,
            excess_to="sukarela",
        )
    _assert_names_reschedule(single.value, resched_on)
    _assert_names_reschedule(bulk.value, resched_on)
    assert loan.number in str(bulk.value.message)
    assert (_state(loan), _state(other), AuditEvent.objects.count()) == before
    # the same batch on the reschedule's date is taken (not posted: rolled back)
    sid = transaction.savepoint()
    try:
        drafts = loan_repayments_prepare_bulk(
            items=sorted([(loan.pk, D(500_000)), (other.pk, D(500_000))]),
            on=resched_on,
            channel="payroll",
            by=by,
            excess_to="sukarela",
        )
        assert [d.repayment.paid_on for d in drafts] == [resched_on] * 2
    finally:
        transaction.savepoint_rollback(sid)


def test_reschedule_dated_before_the_last_payment_is_refused_naming_it(make_loan, staff, today):
    loan = make_loan(days_ago=75)
    paid_on = today - timedelta(days=3)
    loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=paid_on)
    loan.refresh_from_db()
    before = _state(loan)
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(
            loan=loan, by=staff["ketua"], tenor=12, reason="x", on=paid_on - timedelta(days=1)
        )
    assert e.value.code == "loan_date_invalid" and "on" in e.value.fields
    msg = str(e.value.message)
    assert "pembayaran terakhir" in msg and format_tanggal(paid_on) in msg, msg
    assert _state(loan) == before


def test_a_reversed_repayment_no_longer_holds_a_reschedule_back(make_loan, staff, today):
    """After a repayment is reversed, the floor goes back: a reschedule may be dated
    before it (as a payoff and a top-up may: ``loan_event_floor`` skips reversed ones).
    Before, the reversed payment still refused it."""
    loan = make_loan(days_ago=75)
    rep = loan_repay(loan=loan, amount=D(500_000), by=staff["petugas"], on=today - timedelta(1))
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="salah catat")
    rs = loan_reschedule(
        loan=loan, by=staff["ketua"], tenor=12, reason="x", on=today - timedelta(days=3)
    )
    assert rs.on == today - timedelta(days=3)
    loan.refresh_from_db()
    assert loan.schedule_version == rs.version_to
