"""An adversarial review of the year end's money paths: what a treasurer, an auditor or a
member would hit (payout dates, reopen-and-close figures, ...)."""

from datetime import date
from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.ledger.selectors import account_balance, account_for_role
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_payout, shu_post, yearend_close

from .conftest import YEAR

D = Decimal
RAT = date(YEAR + 1, 3, 1)


def _bal(role):
    return account_balance(account=account_for_role(role))


def test_payout_dated_before_the_rat_is_refused(ready, staff):
    """The RAT approves the split; SHU bagian anggota is credited on the RAT date. A
    payout dated before it would pay a share nobody had approved yet (the member's
    payable negative in between): refused, nothing written."""
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="01/RAT/2026", by=by)
    m1 = ready["m1"]
    share = MemberShare.objects.get(year_end=ye, member=m1)
    entries = JournalEntry.objects.count()
    for method in ("cash", "sukarela"):
        with pytest.raises(ApplicationError) as e:
            shu_payout(
                year=YEAR, items=[(m1.pk, None)], method=method, by=by, on=date(YEAR + 1, 2, 15)
            )
        assert e.value.code == "shu_payout_invalid"
        assert "on" in e.value.fields
    assert JournalEntry.objects.count() == entries
    assert not ShuPayout.objects.exists()
    share.refresh_from_db()
    assert share.paid == 0
    # on the RAT day itself it is paid
    shu_payout(year=YEAR, items=[(m1.pk, None)], method="cash", by=by, on=RAT)
    share.refresh_from_db()
    assert share.paid == share.total
