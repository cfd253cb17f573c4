"""A year closed by the ledger's own year close, before that close went through the year
end (existing data): income and expense rolled into SHU tahun berjalan, no income tax, no
SHU belum dibagi, no ``YearEnd`` row. The year end does not rewrite those books: its page
and API say the year was closed in the ledger without the year end, what is missing and
the way out (an admin reopens December on the ledger's periods page, then the year is
closed here), and offer no close, preview or RAT pack for it. Done that way, the year
closes with its tax and SHU belum dibagi."""

from decimal import Decimal

import pytest

from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.selectors import account_balance, account_for_role
from core.ledger.services import fiscal_year_close, period_close, period_reopen
from core.yearend.models import YearEnd
from core.yearend.services import shu_settings_set, yearend_close

from .conftest import YEAR

D = Decimal
MISSING = "tanpa pajak penghasilan dan tanpa SHU belum dibagi"


@pytest.fixture
def closed_in_ledger(ready, staff):
    """Last year, ready to close, with a 10% income tax set, closed by the ledger alone
    (as its periods screen and API did before)."""
    by = staff["bendahara"]
    shu_settings_set(year=YEAR, by=by, tax_rule="shu_percent", tax_rate="10")
    fiscal_year_close(fiscal_year=FiscalYear.objects.get(year=YEAR), by=by)
    return ready


def _books() -> tuple:
    """What the year end would have written: SHU-source entries of the year, SHU belum
    dibagi's balance, the year's row."""
    return (
        JournalEntry.objects.filter(source="shu", fiscal_year=YEAR).count(),
        account_balance(account=account_for_role("shu_undistributed")),
        YearEnd.objects.filter(year=YEAR).exists(),
    )


def test_year_end_page_says_the_year_was_closed_in_the_ledger(closed_in_ledger, client_as):
    before = _books()
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/").content.decode()
    assert 'id="closed-in-ledger"' in page, page
    box = page.split('id="closed-in-ledger"')[1].split("</div>")[0]
    assert f"Tahun buku {YEAR} ditutup di buku besar" in box, box
    assert MISSING in box, box
    assert 'href="/buku-besar/periode/"' in box, box
    assert "Tahun buku ini belum ditutup." not in page
    assert 'name="action" value="close"' not in page  # no close button that would fail
    assert _books() == before == (0, D("0"), False)


def test_year_end_api_answers_closed_in_ledger(closed_in_ledger, client_as):
    c = client_as("bendahara")
    for method, url, status in (
        (c.post, f"/api/v1/yearend/{YEAR}/close/", 409),
        (c.get, f"/api/v1/yearend/{YEAR}/", 409),
        (c.get, f"/api/v1/yearend/{YEAR}/preview/", 409),
        (c.get, f"/api/v1/yearend/{YEAR}/rat-pack/?file=xlsx", 409),
    ):
        r = method(url)
        assert r.status_code == status, (url, r.status_code, r.content)
        err = r.json()["error"]
        assert err["code"] == "year_closed_in_ledger", (url, err)
        assert MISSING in err["message"] and "/buku-besar/periode/" in err["message"], err
        assert err["fields"]["reopen_page"] == "/buku-besar/periode/"
    r = c.get(f"/api/v1/yearend/{YEAR}/checklist/")
    assert r.status_code == 200
    assert r.json()["ready"] is False and r.json()["closed_in_ledger"] is True
    assert _books() == (0, D("0"), False)


def test_reopened_in_the_ledger_the_year_closes_here_with_tax_and_shu_belum_dibagi(
    closed_in_ledger, staff, client_as
):
    by, admin = staff["bendahara"], staff["admin"]
    december = Period.objects.get(fiscal_year__year=YEAR, month=12)
    period_reopen(period=december, reason="tutup lewat tutup buku akhir tahun", by=admin)
    page = client_as("bendahara").get(f"/tutup-buku/{YEAR}/").content.decode()
    assert 'id="closed-in-ledger"' not in page
    period_close(period=december, by=by)
    ye = yearend_close(year=YEAR, by=by)
    assert ye.income_tax > 0 and ye.income_tax == (ye.shu_before_tax * D("0.10")).quantize(
        D("1"), rounding="ROUND_FLOOR"
    )
    assert account_balance(account=account_for_role("shu_undistributed")) == ye.shu_after_tax
    assert ye.tax_entry_id is not None and ye.transfer_entry_id is not None
