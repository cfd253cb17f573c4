"""The Dinas filter *RAT overdue* follows the domain rule: the RAT of fiscal year N-1 is
held within RAT_DEADLINE_MONTHS (3) months of the year end, i.e. by 31 March of N. After
31 March of N, a cooperative with no RAT dated on/after 1 January of N is overdue; up to
31 March, one dated on/after 1 January of N-1 (last year's RAT) is enough."""

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
