"""A cooperative that has left Lumbung (archived: nobody logs in, its figures frozen at
the last refresh) is no longer in the Dinas table, its totals or its regency filter; a
suspended one (read-only for unpaid bills, still keeping its books here) still is."""

import pytest
from django.db import connection

from lumbung.dinas.models import Indicator
from lumbung.dinas.selectors import area_regencies, indicator_table, indicator_totals
from tenants.models import Cooperative

from .conftest import KOBAR, verified_client

pytestmark = pytest.mark.django_db


def _status(coop, status):
    from billing.models import Subscription
    from billing.services import subscription_status_override

    connection.set_schema_to_public()
    subscription_status_override(
        subscription=Subscription.objects.get(cooperative=coop),
        status=status,
        operator="tests",
        reason="setup",
    )
    coop.refresh_from_db()


@pytest.fixture
def figures(shared_both):
    a, b = shared_both
    Indicator.objects.filter(cooperative=a).update(members_active=120, total_assets=1000)
    Indicator.objects.filter(cooperative=b).update(members_active=80, total_assets=500)
    return a, b


def test_an_archived_cooperative_is_not_in_the_table_totals_or_regencies(pembina_prov, figures):
    a, b = figures
    _status(b, Cooperative.Status.ARCHIVED)
    totals = indicator_totals(indicator_table(pembina=pembina_prov))
    assert totals["count"] == 1
    assert totals["members_active"] == 120
    assert totals["total_assets"] == 1000
    assert KOBAR not in area_regencies(pembina_prov)
    body = verified_client(pembina_prov.user).get("/dinas/").content.decode()
    assert a.name in body and b.name not in body


def test_a_suspended_cooperative_is_still_counted(pembina_prov, figures):
    a, b = figures
    _status(b, Cooperative.Status.SUSPENDED)
    totals = indicator_totals(indicator_table(pembina=pembina_prov))
    assert totals["count"] == 2
    assert totals["members_active"] == 200
