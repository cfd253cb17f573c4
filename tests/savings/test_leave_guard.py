"""A member leaves only through the exit settlement, which pays out and closes their
savings accounts before it sets the status. Setting a leaving status (resigned, retired,
moved, deceased) any other way while they still hold an open savings account — a
service called outside the exit, a shell, SQL — is refused by the database (savings
migration 0018, a trigger on ``members_member``), naming the accounts with their
balances and pointing to the exit screen (*Keluar*); nothing changes. Before, the member
was marked as left with their savings open: the teller refused to pay them out (*gunakan
penyelesaian keluar*) and the exit settlement refused them as no longer active."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from core.common.db_refusals import db_refusal_error
from core.common.errors import ApplicationError
from core.members.models import Member, MemberChange
from core.members.services import member_status_set
from core.savings.models import SavingsAccount
from core.savings.services import savings_account_open, teller_deposit
from tests.members import factories as f

D = Decimal


@pytest.fixture
def saver(products, teller, today):
    m = f.member(full_name="Sri Handayani")
    for kind, amount in (("pokok", "100000"), ("wajib", "1200000"), ("sukarela", "750000")):
        acc = savings_account_open(member=m, product=products[kind], on=today)
        teller_deposit(account=acc, amount=D(amount), channel="cash", on=today, by=teller)
    return m


def _unchanged(m: Member) -> None:
    fresh = Member.objects.get(pk=m.pk)
    assert (fresh.status, fresh.exit_date, fresh.exit_reason) == ("active", None, "")
    assert not MemberChange.objects.filter(member=m, field="status").exists()
    assert SavingsAccount.objects.filter(member=m, status="open").count() == 3
    assert sum(a.balance for a in SavingsAccount.objects.filter(member=m)) == D("2050000")


@pytest.mark.parametrize("status", ["resigned", "retired", "moved", "deceased"])
def test_leaving_status_refused_while_savings_accounts_are_open(saver, today, status):
    with pytest.raises(ApplicationError) as e:
        member_status_set(member=saver, status=status, on=today, reason="x", by="tests")
    assert e.value.code == "member_leave_savings_open"
    assert e.value.status_code == 409
    msg = str(e.value.message)
    assert saver.number in msg and "Sri Handayani" in msg
    # every account left open named with its balance, and the total
    for acc in SavingsAccount.objects.filter(member=saver):
        assert acc.number in msg
    assert "Rp 750.000" in msg and "Rp 2.050.000" in msg
    assert "penyelesaian keluar" in msg and "Keluar" in msg
    _unchanged(saver)


def test_direct_sql_is_refused_too_and_reads_as_the_same_refusal(saver, today):
    with pytest.raises(IntegrityError) as e, transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE members_member SET status = 'retired', exit_date = %s WHERE id = %s",
            [today, saver.pk],
        )
    err = db_refusal_error(e.value)
    assert err is not None and err.code == "member_leave_savings_open"
    assert "Rp 2.050.000" in str(err.message)
    _unchanged(saver)


def test_an_open_account_with_nothing_in_it_is_refused_too(products, today):
    """The exit closes every account, the empty ones too: one left open would take the
    next payroll deduction or deposit of a member who has left."""
    m = f.member()
    acc = savings_account_open(member=m, product=products["sukarela"], on=today)
    with pytest.raises(ApplicationError) as e:
        member_status_set(member=m, status="resigned", on=today, reason="x", by="tests")
    assert e.value.code == "member_leave_savings_open"
    assert acc.number in str(e.value.message) and "Rp 0" in str(e.value.message)
    assert Member.objects.get(pk=m.pk).status == "active"


def test_a_member_whose_accounts_are_all_closed_may_leave(products, today):
    """What the exit settlement does: accounts closed first, then the status set."""
    m = f.member()
    acc = savings_account_open(member=m, product=products["sukarela"], on=today)
    SavingsAccount.objects.filter(pk=acc.pk).update(status="closed", closed_on=today)
    member_status_set(member=m, status="resigned", on=today, reason="x", by="tests")
    assert Member.objects.get(pk=m.pk).status == "resigned"


def test_the_guard_does_not_touch_a_member_who_left_already(saver, today):
    """Existing data (marked as left before the guard): their record is read-only by
    migration 0009 anyway; reversing an exit (status back to active) passes."""
    f.left_outside_exit(saver, on=today)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE members_member SET status = 'active', exit_date = NULL, exit_reason = ''"
            " WHERE id = %s",
            [saver.pk],
        )
    assert Member.objects.get(pk=saver.pk).status == "active"
