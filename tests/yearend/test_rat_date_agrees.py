"""The day of the RAT is one day: the one recorded on the RAT screen and the one the SHU
is posted with (shown on the year page, the RAT pack and the member portal) agree."""

from datetime import date

import pytest

from core.common.errors import ApplicationError
from core.yearend.models import YearEnd
from core.yearend.selectors import rat_held_on
from core.yearend.services import rat_held_set, shu_post, yearend_close

from .conftest import YEAR

HELD = date(YEAR + 1, 3, 10)


def test_posting_with_another_rat_date_than_the_recorded_one_is_refused(ready, staff):
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    rat_held_set(year=YEAR, held_on=HELD, by=by)
    with pytest.raises(ApplicationError) as e:
        shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="10/RAT", by=by)
    assert "rat_date" in e.value.fields
    assert YearEnd.objects.get(year=YEAR).status == YearEnd.Status.CLOSED
    ye = shu_post(year=YEAR, rat_date=HELD, rat_decision="10/RAT", by=by)
    assert ye.rat_date == rat_held_on(year=YEAR) == HELD


def test_recording_another_rat_date_after_posting_is_refused(ready, staff):
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=HELD, rat_decision="11/RAT", by=by)
    with pytest.raises(ApplicationError) as e:
        rat_held_set(year=YEAR, held_on=date(YEAR + 1, 3, 1), by=by)
    assert "held_on" in e.value.fields
    assert rat_held_on(year=YEAR) == HELD
    rat_held_set(year=YEAR, held_on=HELD, by=by)  # the same day: fine


def test_the_year_page_offers_the_recorded_rat_date_for_posting(ready, staff, tenant_a):
    from django.test import Client

    from tenants.services import tenant_host

    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(by)
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert 'name="rat_date" required>' in page  # nothing recorded yet: empty
    rat_held_set(year=YEAR, held_on=HELD, by=by)
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert f'name="rat_date" required value="{HELD.isoformat()}"' in page
