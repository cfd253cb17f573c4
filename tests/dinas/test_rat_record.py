"""The cooperative records the day its RAT was held (year-end RAT screen); the Dinas
refresh carries it to "last RAT", the "RAT overdue" filter and the ministry's yearly
figures. A date inside the fiscal year or in the future is refused."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.yearend.selectors import last_rat, rat_held_on
from core.yearend.services import rat_held_set
from lumbung.dinas.models import Indicator, YearFigures
from lumbung.dinas.selectors import indicator_table
from tests.dinas.conftest import consent, refresh


def _admin(coop):
    from core.users.models import User

    connection.set_tenant(coop)
    return User.objects.get(username=f"admin@{coop.slug}.test")


def test_recorded_rat_date_feeds_last_rat_and_ministry_figures(pembina_prov, placed):
    a, b = placed
    today = timezone.localdate()
    held = date(today.year, 1, 15) if today >= date(today.year, 1, 15) else today
    admin = _admin(a)
    rat_held_set(year=today.year - 1, held_on=held, by=admin)
    assert rat_held_on(year=today.year - 1) == held
    assert last_rat() == (today.year - 1, held)
    assert AuditEvent.objects.filter(action="yearend.rat_held.set").count() == 1
    connection.set_schema_to_public()
    consent(a)
    consent(b)
    refresh(a, b)
    assert Indicator.objects.get(cooperative=a).last_rat_date == held
    assert Indicator.objects.get(cooperative=b).last_rat_date is None
    last_year = YearFigures.objects.get(cooperative=a, year=today.year - 1)
    assert last_year.rat_held is True and last_year.rat_date == held
    assert YearFigures.objects.get(cooperative=a, year=today.year).rat_held is False
    rows = indicator_table(pembina=pembina_prov, rat_overdue=True, today=today)
    overdue = {r.cooperative_id for r in rows}
    assert b.pk in overdue and a.pk not in overdue  # held this year: never overdue


def test_rat_date_must_follow_the_year_and_not_be_in_the_future(tenant_a):
    admin = _admin(tenant_a)
    today = timezone.localdate()
    # a year ahead (``replace(year=…)`` has no 29 February next year)
    for bad in (date(today.year - 1, 12, 31), today + timedelta(days=365)):
        with pytest.raises(ApplicationError) as err:
            rat_held_set(year=today.year - 1, held_on=bad, by=admin)
        assert err.value.code == "rat_invalid"
    assert rat_held_on(year=today.year - 1) is None


def test_only_the_board_records_it(tenant_a):
    from core.users.models import User

    connection.set_tenant(tenant_a)
    petugas = User.objects.create_user(username="p@alpha.test", role="petugas", password=None)
    with pytest.raises(ApplicationError) as err:
        rat_held_set(year=2025, held_on=date(2026, 3, 1), by=petugas, today=date(2026, 6, 1))
    assert err.value.status_code == 403


def test_rat_screen_records_the_date(tenant_a):
    from django.test import Client

    from core.users.models import User
    from tenants.services import tenant_host

    connection.set_tenant(tenant_a)
    ketua = User.objects.create_user(username="k@alpha.test", role="ketua", password=None)
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    client.force_login(ketua)
    today = timezone.localdate()
    year = today.year - 1
    r = client.post(f"/tutup-buku/{year}/rat/", {"action": "held", "held_on": today.isoformat()})
    assert r.status_code == 302
    page = client.get(f"/tutup-buku/{year}/rat/")
    assert b'id="rat-held"' in page.content
    connection.set_tenant(tenant_a)
    assert rat_held_on(year=year) == today
    r = client.post(f"/tutup-buku/{year}/rat/", {"action": "held", "held_on": "bukan-tanggal"})
    assert r.status_code == 302
    connection.set_tenant(tenant_a)
    assert rat_held_on(year=year) == today
