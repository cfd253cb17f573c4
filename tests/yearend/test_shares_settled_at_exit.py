"""A member who leaves after the SHU was posted is paid their unpaid share by the exit
settlement (from SHU bagian anggota): the share row says so too, so the year page, the
API and the portal do not keep showing it as owed (and offering to pay it again)."""

from datetime import date
from decimal import Decimal

from core.ledger.selectors import account_balance, account_for_role
from core.yearend.models import MemberShare
from core.yearend.selectors import shu_subledger_check
from core.yearend.services import shu_payout, shu_post, yearend_close

from .conftest import YEAR

D = Decimal
RAT = date(YEAR + 1, 3, 1)
EXIT = date(YEAR + 1, 3, 5)


def _owed(member) -> Decimal:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member.pk)


def _sub_ledger_agrees() -> None:
    """The shares' unpaid total is SHU bagian anggota's member lines, member by member
    (the daily reconciliation's SHU check)."""
    assert [r.difference for r in shu_subledger_check()] == [0, 0, 0]


def test_exit_settlement_marks_the_unpaid_share_paid_and_its_reversal_unmarks_it(ready, staff):
    from core.exits.services import exit_settlement_confirm, exit_settlement_reverse

    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="09/RAT", by=by)
    m2 = ready["m2"]
    share = MemberShare.objects.get(year_end=ye, member=m2)
    assert share.total > 1000
    _sub_ledger_agrees()
    shu_payout(year=YEAR, items=[(m2.pk, 1000)], method="cash", by=by, on=RAT)
    _sub_ledger_agrees()
    settlement = exit_settlement_confirm(member=m2, reason="retired", on=EXIT, by=by)
    assert settlement.shu_unpaid == share.total - 1000
    assert _owed(m2) == 0
    share.refresh_from_db()
    assert share.paid == share.total  # what the ledger says: nothing owed any more
    assert share.unpaid == 0
    _sub_ledger_agrees()
    exit_settlement_reverse(settlement=settlement, by=by, reason="salah anggota", on=EXIT)
    share.refresh_from_db()
    assert _owed(m2) == share.total - 1000
    assert share.paid == D("1000")  # the counter payment stays, the settlement's is undone
    _sub_ledger_agrees()
