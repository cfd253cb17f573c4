"""The treasurer closes January of the next year before the RAT (held in February or
March): the year close (income tax, closing entry, SHU to SHU belum dibagi, all dated 31
December) and its reopening still work; every other posting into the closed-over days
stays refused."""

from datetime import date
from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, period_close
from core.yearend.services import shu_post, shu_settings_set, yearend_close, yearend_reopen

from .conftest import YEAR

D = Decimal


def _bal(role):
    return account_balance(account=account_for_role(role))


@pytest.fixture
def january_closed(ready, staff):
    """The year ready to close, with a 10% income tax (so the close posts every entry it
    can), and January of the next year closed."""
    by = staff["bendahara"]
    shu_settings_set(year=YEAR, by=by, tax_rule="shu_percent", tax_rate="10")
    fiscal_year_ensure(year=YEAR + 1)
    period_close(period=Period.objects.get(fiscal_year__year=YEAR + 1, month=1), by=by)
    return ready


def _manual(on, by, description="Mundur"):
    return journal_post(
        on=on,
        description=description,
        source="manual",
        by=by,
        lines=[
            LineSpec(account_for_role("cash"), debit=D("1000")),
            LineSpec(account_for_role("other_income"), credit=D("1000")),
        ],
    )


def test_close_works_after_january_of_next_year_was_closed(january_closed, staff):
    ye = yearend_close(year=YEAR, by=staff["bendahara"])
    assert ye.status == "closed" and ye.income_tax > 0
    assert ye.tax_entry.date == ye.transfer_entry.date == date(YEAR, 12, 31)
    assert ye.tax_entry.year_close and ye.transfer_entry.year_close
    assert _bal("shu_undistributed") == ye.shu_after_tax
    assert _bal("shu_current_year") == 0
    assert FiscalYear.objects.get(year=YEAR).status == "closed"
    assert Period.objects.get(fiscal_year__year=YEAR + 1, month=1).status == "closed"
    # and the SHU is posted after the RAT (in an open month of the next year)
    posted = shu_post(
        year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="01/RAT", by=staff["bendahara"]
    )
    assert posted.status == "posted" and not posted.posting_entry.year_close


def test_reopen_works_after_january_of_next_year_was_closed(january_closed, staff):
    ye = yearend_close(year=YEAR, by=staff["bendahara"])
    tax, transfer = ye.tax_entry, ye.transfer_entry
    ye = yearend_reopen(year=YEAR, reason="koreksi penyusutan", by=staff["admin"])
    assert ye.status == "reopened"
    assert _bal("shu_undistributed") == 0 and _bal("shu_current_year") == 0
    for entry in (tax, transfer):
        back = JournalEntry.objects.get(reverses=entry)
        assert back.date == date(YEAR, 12, 31) and back.year_close
    assert FiscalYear.objects.get(year=YEAR).status == "open"
    assert Period.objects.get(fiscal_year__year=YEAR + 1, month=1).status == "closed"
    # ... and it closes again
    period_close(period=Period.objects.get(fiscal_year__year=YEAR, month=12), by=staff["bendahara"])
    again = yearend_close(year=YEAR, by=staff["bendahara"])
    assert again.status == "closed" and _bal("shu_undistributed") == again.shu_after_tax


def test_normal_postings_into_the_closed_over_days_stay_refused(january_closed, staff):
    by = staff["bendahara"]
    for on in (date(YEAR, 12, 31), date(YEAR + 1, 1, 15)):
        with pytest.raises(ApplicationError) as e:
            _manual(on, by)
        assert e.value.code == "period_closed"
    yearend_close(year=YEAR, by=by)
    yearend_reopen(year=YEAR, reason="koreksi", by=staff["admin"])
    # December is open again after the reopening, but January after it is still closed:
    # an ordinary entry on 31 December is still refused
    assert Period.objects.get(fiscal_year__year=YEAR, month=12).status == "open"
    with pytest.raises(ApplicationError) as e:
        _manual(date(YEAR, 12, 31), by)
    assert e.value.code == "period_closed"
    assert not JournalEntry.objects.filter(description="Mundur").exists()
