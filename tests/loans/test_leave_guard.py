"""A member leaves only through the exit settlement, which offsets their running loans
against their savings (or writes them off on death) before it sets the status. Setting
a leaving status any other way while a loan of theirs is still running is refused by the
database (loans migration 0021, a trigger on ``members_member``), naming the loan and
its principal outstanding and pointing to the exit screen (*Keluar*); nothing changes.
Before, the member was marked as left with the loan running and the exit settlement
refused them as no longer active: nothing could settle it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core.common.db_refusals import db_refusal_error
from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.members.models import Member
from core.members.services import member_status_set

D = Decimal


def test_leaving_status_refused_while_a_loan_is_running(make_loan, member, today):
    loan = make_loan(principal=D("10000000"))
    with pytest.raises(ApplicationError) as e:
        member_status_set(member=member, status="retired", on=today, reason="x", by="tests")
    assert e.value.code == "member_leave_loans_running"
    assert e.value.status_code == 409
    msg = str(e.value.message)
    assert member.number in msg and loan.number in msg and "Rp 10.000.000" in msg
    assert "penyelesaian keluar" in msg and "Keluar" in msg
    fresh = Member.objects.get(pk=member.pk)
    assert (fresh.status, fresh.exit_date) == ("active", None)
    assert Loan.objects.get(pk=loan.pk).status == Loan.Status.DISBURSED


def test_direct_sql_is_refused_too(make_loan, member, today):
    make_loan(principal=D("10000000"))
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE members_member SET status = 'deceased', exit_date = %s WHERE id = %s",
            [today, member.pk],
        )
    err = db_refusal_error(e.value)
    assert err is not None and err.code == "member_leave_loans_running"
    assert Member.objects.get(pk=member.pk).status == "active"


def test_an_application_not_disbursed_does_not_hold_the_member(make_loan, member, today):
    """Only a running (disbursed) loan is money owed; an application is not."""
    make_loan(principal=D("10000000"), until="approved")
    member_status_set(member=member, status="resigned", on=today, reason="x", by="tests")
    assert Member.objects.get(pk=member.pk).status == "resigned"
