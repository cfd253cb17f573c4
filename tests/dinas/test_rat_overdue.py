"""The Dinas filter *RAT overdue* follows the domain rule: the RAT of fiscal year N-1 is
held within RAT_DEADLINE_MONTHS (3) months of the year end, i.e. by 31 March of N. After
31 March of N, a cooperative with no RAT recorded for fiscal year N-1 (or later) is
overdue; up to 31 March, one for N-2 is enough. What counts is the fiscal year the RAT
was for, not the day it was held: a late RAT of an older year does not clear the flag.
A row stored before the fiscal year was kept is judged by its date (no RAT dated on/after
1 January of N after 31 March, of N-1 before) until its next refresh."""

from datetime import date

import pytest

from lumbung.dinas.models import Indicator
from lumbung.dinas.selectors import indicator_table, rat_deadline_start
from tests.dinas.conftest import make_pembina


@pytest.mark.parametrize(
    "today,start",
    [
        (date(2026, 1, 1), date(2025, 1, 1)),
        (date(2026, 3, 31), date(2025, 1, 1)),  # the last day of the period
        (date(2026, 4, 1), date(2026, 1, 1)),
        (date(2026, 6, 30), date(2026, 1, 1)),
        (date(2026, 12, 31), date(2026, 1, 1)),
    ],
)
def test_deadline_start_after_three_months(today, start):
    assert rat_deadline_start(today) == start


def test_the_period_is_one_setting(settings):
    settings.RAT_DEADLINE_MONTHS = 6
    assert rat_deadline_start(date(2026, 6, 30)) == date(2025, 1, 1)
    assert rat_deadline_start(date(2026, 7, 1)) == date(2026, 1, 1)
    settings.RAT_DEADLINE_MONTHS = 12
    assert rat_deadline_start(date(2026, 12, 31)) == date(2025, 1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "last_rat,today,overdue",
    [
        (date(2025, 3, 10), date(2026, 4, 15), True),  # 2025's RAT not held by 31 March
        (date(2025, 3, 10), date(2026, 3, 31), False),  # still within the period
        (date(2025, 3, 10), date(2026, 4, 1), True),
        (date(2026, 3, 20), date(2026, 4, 15), False),
        (date(2024, 12, 31), date(2026, 2, 15), True),  # 2024's RAT missing since 2025
        (date(2025, 1, 2), date(2026, 2, 15), False),
        (None, date(2026, 2, 15), True),  # never recorded
    ],
)
def test_rat_overdue_filter(shared_both, last_rat, today, overdue):
    a, _b = shared_both
    Indicator.objects.filter(cooperative=a, latest=True).update(last_rat_date=last_rat)
    pembina = make_pembina("prov-ro@dinas.test")
    rows = indicator_table(pembina=pembina, rat_overdue=True, today=today)
    assert (a.pk in {i.cooperative_id for i in rows}) is overdue


@pytest.mark.django_db
@pytest.mark.parametrize(
    "rat_year,held,today,overdue",
    [
        (2025, date(2026, 3, 20), date(2026, 4, 15), False),
        (2024, date(2026, 1, 20), date(2026, 4, 15), True),  # a late 2024 RAT; 2025's due
        (2024, date(2025, 3, 1), date(2026, 3, 31), False),  # 2025's not due yet
        (2024, date(2025, 3, 1), date(2026, 4, 1), True),
        (2023, date(2025, 2, 1), date(2026, 2, 15), True),  # 2024's due since 2025
        (2026, date(2027, 1, 5), date(2027, 2, 1), False),
    ],
)
def test_rat_overdue_follows_the_fiscal_year_of_the_rat(
    shared_both, rat_year, held, today, overdue
):
    a, _b = shared_both
    Indicator.objects.filter(cooperative=a, latest=True).update(
        last_rat_year=rat_year, last_rat_date=held
    )
    rows = indicator_table(
        pembina=make_pembina("prov-ry@dinas.test"), rat_overdue=True, today=today
    )
    assert (a.pk in {i.cooperative_id for i in rows}) is overdue


def _year_of_last_deadline(today: date) -> int:
    """The year N whose 31 March deadline (the RAT of N-1) has passed last: this year from
    1 April, last year before. The stories below are told in N, so that they hold on any
    day (they skipped from January to March before): on today's date the RAT of N-1 is due
    and that of N is not yet."""
    return today.year if today >= date(today.year, 4, 1) else today.year - 1


def _admin(coop):
    from django.db import connection

    from core.users.models import User

    connection.set_tenant(coop)
    return User.objects.get(username=f"admin@{coop.slug}.test")


@pytest.mark.django_db
def test_a_late_rat_of_an_older_year_does_not_clear_the_overdue_flag(shared_both):
    """After 31 March the RAT of last year is due. A cooperative that only caught up
    this year on the RAT of the year before (held late, in January) has still not held
    last year's: it is overdue, as the ministry sheet of last year says (RAT: Tidak)."""
    from django.utils import timezone

    from core.yearend.services import rat_held_set
    from lumbung.dinas.models import YearFigures

    from .conftest import refresh

    a, _b = shared_both
    today = timezone.localdate()
    n = _year_of_last_deadline(today)
    rat_held_set(year=n - 2, held_on=date(n, 1, 20), by=_admin(a))
    refresh(a)
    # the sheets refreshed are this year's and last year's: from January to March, N-1 is
    # the year before last, whose sheet was last refreshed a year ago (none here)
    held = YearFigures.objects.filter(cooperative=a, year=n - 1).values_list("rat_held", flat=True)
    assert list(held) == ([False] if n == today.year else [])
    rows = indicator_table(pembina=make_pembina("prov-late@dinas.test"), rat_overdue=True)
    assert a.pk in {i.cooperative_id for i in rows}


@pytest.mark.django_db
def test_recording_an_older_rat_later_keeps_last_years_rat(shared_both):
    """Last year's RAT held on 10 March; the RAT of the year before recorded afterwards
    (held on 20 March, a late catch-up): the cooperative is not overdue, and the table
    shows last year's RAT."""
    from django.utils import timezone

    from core.yearend.services import rat_held_set

    from .conftest import refresh

    a, _b = shared_both
    n = _year_of_last_deadline(timezone.localdate())
    admin = _admin(a)
    rat_held_set(year=n - 1, held_on=date(n, 3, 10), by=admin)
    rat_held_set(year=n - 2, held_on=date(n, 3, 20), by=admin)
    refresh(a)
    ind = Indicator.objects.get(cooperative=a, latest=True)
    assert (ind.last_rat_year, ind.last_rat_date) == (n - 1, date(n, 3, 10))
    rows = indicator_table(pembina=make_pembina("prov-catch@dinas.test"), rat_overdue=True)
    assert a.pk not in {i.cooperative_id for i in rows}
