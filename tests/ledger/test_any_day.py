"""The suite runs on whatever day CI runs it: tests that date postings from the real
today must hold on every day of the year. Here their scenarios run on fixed days of this
year (``today_is``), those that broke them before: the first days of January (the year
before is still open, January not ended), the last day of January, the end of February
and a 31st whose next month has 30 days, the year's last day."""

from datetime import date, timedelta

import pytest

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, Period
from core.ledger.services import fiscal_year_ensure, journal_post, period_close
from tests.ledger.test_closed_books import _lines, books_today

DAYS = ["01-01", "01-03", "01-30", "01-31", "02-01", "02-end", "03-31", "12-31"]


def _day(year: int, label: str) -> date:
    if label == "02-end":  # 28 or 29 February
        return date(year, 3, 1) - timedelta(days=1)
    month, day = map(int, label.split("-"))
    return date(year, month, day)


@pytest.mark.parametrize("label", DAYS)
def test_closed_january_scenario_holds_on(label, in_tenant_a, bendahara, today, today_is):
    """``test_closed_books.january_closed`` and what its tests do with it: January of
    this year closed, last year open; a backdated entry into last year refused, an entry
    today accepted."""
    real = _day(today.year, label)
    on = today_is(books_today(today_is(real)))
    fiscal_year_ensure(year=on.year - 1)
    journal_post(on=date(on.year, 1, 10), description="Setoran", by=bendahara, lines=_lines())
    period_close(period=Period.objects.get(start_date=date(on.year, 1, 1)), by=bendahara)
    with pytest.raises(ApplicationError) as exc:
        journal_post(
            on=date(on.year - 1, 6, 15), description="Mundur", by=bendahara, lines=_lines()
        )
    assert exc.value.code == "period_closed"
    assert not JournalEntry.objects.filter(description="Mundur").exists()
    assert journal_post(on=on, description="Hari ini", by=bendahara, lines=_lines()).pk
