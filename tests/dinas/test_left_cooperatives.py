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


def test_an_archived_cooperative_has_no_profile_and_no_ministry_row(pembina_prov, figures):
    """Left Lumbung: not in the table, so not behind a typed address or in the ministry
    file either (its figures stopped at the last refresh before it left, and it can no
    longer withdraw its consent)."""
    import io
    from datetime import date

    from openpyxl import load_workbook

    a, b = figures
    _status(b, Cooperative.Status.ARCHIVED)
    client = verified_client(pembina_prov.user)
    client.raise_request_exception = False
    year = date.today().year - 1
    assert client.get(f"/dinas/koperasi/{b.pk}/").status_code == 404
    assert client.get(f"/dinas/koperasi/{b.pk}/kementerian/", {"year": year}).status_code == 404
    wb = load_workbook(io.BytesIO(client.get("/dinas/kementerian/", {"year": year}).content))
    names = [r[3] for r in list(wb["Koperasi"].iter_rows(values_only=True))[1:]]
    assert names == [a.name]
    total = list(wb["Wilayah"].iter_rows(values_only=True))[-1]
    assert total[2] == 1  # Jumlah Koperasi, as the table's totals


def test_a_suspended_cooperative_keeps_its_profile_and_ministry_row(pembina_prov, figures):
    import io
    from datetime import date

    from openpyxl import load_workbook

    a, b = figures
    _status(b, Cooperative.Status.SUSPENDED)
    client = verified_client(pembina_prov.user)
    year = date.today().year - 1
    assert client.get(f"/dinas/koperasi/{b.pk}/").status_code == 200
    wb = load_workbook(io.BytesIO(client.get("/dinas/kementerian/", {"year": year}).content))
    names = {r[3] for r in list(wb["Koperasi"].iter_rows(values_only=True))[1:]}
    assert names == {a.name, b.name}
