"""The periodic refresh: figures computed inside each cooperative's schema by core
selectors, stored in the public schema with the time of the figure; the beat task fans
out one task per cooperative; a broken schema is recorded, not raised."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from core.ledger import reports
from core.ledger.services import LineSpec, journal_post
from core.loans.selectors import collectibility_summary
from lumbung.dinas.models import Indicator, SharingState, YearFigures
from tests.members.factories import member
from tests.members.factories import user as make_user

from .conftest import consent, refresh

pytestmark = pytest.mark.django_db
D = Decimal


def test_figures_come_from_the_ledger_loans_and_members(placed):
    a, _b = placed
    today = date.today()
    connection.set_tenant(a)
    bendahara = make_user("bendahara")
    member(join_date=today.replace(day=1))
    member(join_date=date(2020, 1, 2))
    journal_post(
        on=today,
        description="Modal",
        by=bendahara,
        lines=[LineSpec("1101", debit=D(750000)), LineSpec("3106", credit=D(750000))],
    )
    journal_post(
        on=today,
        description="Utang",
        by=bendahara,
        lines=[LineSpec("1101", debit=D(100000)), LineSpec("2201", credit=D(100000))],
    )
    journal_post(
        on=today,
        description="Pendapatan",
        by=bendahara,
        lines=[LineSpec("1101", debit=D(50000)), LineSpec("4101", credit=D(50000))],
    )
    expected_bs = reports.balance_sheet(as_of=today)
    expected_loans = collectibility_summary()
    connection.set_schema_to_public()
    consent(a)
    refresh(a)

    ind = Indicator.objects.get(cooperative=a)
    assert ind.month == today.replace(day=1)
    assert ind.figures_at is not None
    assert ind.members_active == 2
    assert ind.members_joined == 1
    assert ind.members_left == 0
    assert ind.total_assets == expected_bs["total_assets"] == D(900000)
    assert ind.own_capital == expected_bs["total_equity"] == D(800000)
    assert ind.loans_outstanding == expected_loans["total"]
    assert ind.health_band == expected_loans["band"]
    # No fiscal year closed yet: SHU 0 with a note, never a guess.
    assert ind.shu_last_year == 0 and ind.shu_year is None and ind.shu_note
    assert ind.last_rat_date is None

    this_year = YearFigures.objects.get(cooperative=a, year=today.year)
    assert this_year.members == 2
    assert this_year.own_capital == D(800000)
    assert this_year.outside_capital == D(100000)
    assert this_year.business_volume == D(50000)
    assert this_year.total_assets == D(900000)
    assert this_year.shu == D(50000)
    assert this_year.rat_held is False and this_year.rat_date is None
    assert this_year.staff >= 2  # the first admin and the bendahara
    assert this_year.complete is False
    assert YearFigures.objects.get(cooperative=a, year=today.year - 1).complete is True


def test_second_refresh_in_a_month_overwrites_the_month(placed):
    a, _b = placed
    consent(a)
    refresh(a)
    first = Indicator.objects.get(cooperative=a).figures_at
    refresh(a)
    assert Indicator.objects.filter(cooperative=a).count() == 1
    assert Indicator.objects.get(cooperative=a).figures_at > first


def test_a_broken_schema_is_recorded_and_keeps_old_figures(placed):
    a, _b = placed
    consent(a)
    refresh(a)
    old = Indicator.objects.get(cooperative=a).figures_at
    with connection.cursor() as cur:
        cur.execute(f'ALTER TABLE "{a.schema_name}".sharing_dinasconsent RENAME TO gone')
    refresh(a)
    state = SharingState.objects.get(cooperative=a)
    assert state.error  # the error is kept on the sharing row
    assert state.shared is True  # unchanged: the last known consent
    assert Indicator.objects.get(cooperative=a).figures_at == old


def test_beat_fans_out_one_task_per_cooperative(placed, monkeypatch):
    from lumbung.dinas import tasks

    a, b = placed
    consent(a)
    sent = []
    monkeypatch.setattr(
        tasks.dinas_indicators_refresh_one_task, "delay", lambda pk: sent.append(pk)
    )
    result = tasks.dinas_indicators_refresh_task()
    assert a.pk in sent and b.pk in sent
    assert result["queued"] == len(sent)
    # The per-cooperative task itself refreshes in the public schema.
    out = tasks.dinas_indicators_refresh_one_task(a.pk)
    assert out == {"shared": True, "error": ""}
    assert Indicator.objects.filter(cooperative=a).exists()
    assert connection.schema_name == "public"


def test_beat_schedule_has_the_refresh():
    entry = settings.CELERY_BEAT_SCHEDULE["dinas-indicators-refresh"]
    assert entry["task"] == "lumbung.dinas.tasks.dinas_indicators_refresh_task"


def test_a_new_month_adds_a_row_and_moves_the_latest_mark(placed):
    from lumbung.dinas.refresh import indicators_refresh_one

    a, _b = placed
    consent(a)
    today = date.today()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=15)
    indicators_refresh_one(cooperative_id=a.pk, today=last_month)
    indicators_refresh_one(cooperative_id=a.pk, today=today)
    rows = list(Indicator.objects.filter(cooperative=a).order_by("month"))
    assert [r.month for r in rows] == [last_month.replace(day=1), today.replace(day=1)]
    assert [r.latest for r in rows] == [False, True]
