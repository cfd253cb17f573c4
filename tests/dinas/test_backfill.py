"""The Dinas trend back-filled from the ledger for the months before the first refresh:
each missing month rebuilt from the books at its end, never overwriting a refreshed
month, nothing for a cooperative that does not share; the command and the profile."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from core.ledger import reports
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from core.loans.schedules import add_months
from lumbung.dinas.models import Indicator
from lumbung.dinas.refresh import indicators_backfill_one
from tests.members.factories import member
from tests.members.factories import user as make_user

from .conftest import consent, refresh, verified_client

pytestmark = pytest.mark.django_db
D = Decimal


def _books(coop):
    """Capital paid in two months ago; a member who joined then; a debt last month."""
    today = timezone.localdate()
    this_month = today.replace(day=1)
    two_ago, one_ago = add_months(this_month, -2), add_months(this_month, -1)
    connection.set_tenant(coop)
    fiscal_year_ensure(year=two_ago.year)
    fiscal_year_ensure(year=one_ago.year)
    bendahara = make_user("bendahara")
    member(join_date=two_ago.replace(day=5))
    journal_post(
        on=two_ago.replace(day=10),
        description="Modal",
        by=bendahara,
        lines=[LineSpec("1101", debit=D(750000)), LineSpec("3106", credit=D(750000))],
    )
    journal_post(
        on=one_ago.replace(day=3),
        description="Utang",
        by=bendahara,
        lines=[LineSpec("1101", debit=D(100000)), LineSpec("2201", credit=D(100000))],
    )
    expected = {
        m: reports.balance_sheet(as_of=date.fromordinal(add_months(m, 1).toordinal() - 1))
        for m in (two_ago, one_ago)
    }
    connection.set_schema_to_public()
    return today, two_ago, one_ago, expected


def test_months_before_the_first_refresh_come_from_the_ledger(placed):
    a, _b = placed
    today, two_ago, one_ago, expected = _books(a)
    consent(a)
    refresh(a)
    refreshed = Indicator.objects.get(cooperative=a, month=today.replace(day=1))
    assert indicators_backfill_one(cooperative_id=a.pk, months=12) == 12
    rows = {r.month: r for r in Indicator.objects.filter(cooperative=a)}
    assert len(rows) == 13
    assert rows[today.replace(day=1)].source == "refresh"
    assert rows[today.replace(day=1)].figures_at == refreshed.figures_at
    assert rows[today.replace(day=1)].latest is True
    old = rows[two_ago]
    assert old.source == "ledger" and old.latest is False
    assert old.total_assets == expected[two_ago]["total_assets"] == D(750000)
    assert old.own_capital == D(750000)
    assert old.members_joined == 1 and old.members_active == 1
    assert old.npl_ratio == 0 and old.health_band == ""
    assert rows[one_ago].total_assets == expected[one_ago]["total_assets"] == D(850000)
    assert rows[add_months(two_ago, -1)].total_assets == 0
    # again: nothing new, nothing overwritten
    assert indicators_backfill_one(cooperative_id=a.pk, months=12) == 0
    assert Indicator.objects.filter(cooperative=a).count() == 13


def test_nothing_for_a_cooperative_that_does_not_share(placed):
    a, _b = placed
    _books(a)
    assert indicators_backfill_one(cooperative_id=a.pk, months=12) == 0
    assert not Indicator.objects.filter(cooperative=a).exists()


def test_command_fills_every_sharing_cooperative_and_the_profile_marks_it(pembina_prov, placed):
    a, b = placed
    _books(a)
    consent(a)
    refresh(a, b)
    out = io.StringIO()
    call_command("dinas_backfill_trends", "--months", "3", stdout=out)
    assert "3 bulan diisi" in out.getvalue()
    assert Indicator.objects.filter(cooperative=a, source="ledger").count() == 3
    assert not Indicator.objects.filter(cooperative=b).exists()
    resp = verified_client(pembina_prov.user).get(f"/dinas/koperasi/{a.pk}/")
    assert resp.status_code == 200
    assert b'id="trend-ledger-note"' in resp.content
    assert resp.content.count(b'class="from-ledger"') == 3


def test_command_refuses_an_unknown_cooperative(db):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("dinas_backfill_trends", "--cooperative", "tidak-ada")
    assert not Indicator.objects.exists()
