"""Scale: no Dinas page or file does a query per cooperative. Each is requested with one
sharing cooperative in the area and with forty (registry rows and stored figures only,
as bench/dinas_bench.py; no request opens a tenant schema, tests/dinas/test_views.py),
and makes the same number of queries. Counted, not timed."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lumbung.dinas.models import Indicator, SharingState, YearFigures
from tenants.models import Cooperative

from .conftest import KAPUAS, KOBAR, PROVINCE, make_pembina, verified_client

pytestmark = pytest.mark.django_db

LAST_YEAR = date.today().year - 1


def _sharing_cooperatives(n: int, prefix: str) -> list[Cooperative]:
    now = timezone.now()
    coops = Cooperative.objects.bulk_create(
        [
            Cooperative(
                slug=f"{prefix}{i:03d}",
                name=f"KPRI {prefix.title()} {i:03d}",
                schema_name=f"coop_{prefix}{i:03d}",
                province=PROVINCE,
                regency=(KAPUAS, KOBAR)[i % 2],
                status="active",
            )
            for i in range(n)
        ]
    )
    SharingState.objects.bulk_create(
        [SharingState(cooperative=c, shared=True, refreshed_at=now) for c in coops]
    )
    Indicator.objects.bulk_create(
        [
            Indicator(
                cooperative=c,
                month=date.today().replace(day=1),
                latest=True,
                figures_at=now,
                members_active=10 + i,
                total_assets=1000 * (i + 1),
                health_band="sehat",
            )
            for i, c in enumerate(coops)
        ]
    )
    YearFigures.objects.bulk_create(
        [
            YearFigures(cooperative=c, year=LAST_YEAR, figures_at=now, complete=True, members=5)
            for c in coops
        ]
    )
    return coops


def _counts(pembina, first: Cooperative) -> dict[str, int]:
    client = verified_client(pembina.user)
    client.get("/dinas/")  # the session's first request does its own bookkeeping
    urls = {
        "table": "/dinas/",
        "table, filtered and sorted": "/dinas/?band=sehat&rat_overdue=on&sort=-assets",
        "xlsx": "/dinas/?format=xlsx",
        "ministry, area": f"/dinas/kementerian/?year={LAST_YEAR}",
        "ministry, one": f"/dinas/koperasi/{first.pk}/kementerian/?year={LAST_YEAR}",
        "profile": f"/dinas/koperasi/{first.pk}/",
    }
    out = {}
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(url)
        assert resp.status_code == 200, (name, resp.status_code)
        out[name] = len(ctx.captured_queries)
    return out


def test_no_page_or_file_queries_per_cooperative(db):
    one = _sharing_cooperatives(1, "satu")
    few = _counts(make_pembina("prov-q1@dinas.test"), one[0])
    many = _sharing_cooperatives(40, "banyak")
    lots = _counts(make_pembina("prov-q2@dinas.test"), many[0])
    assert lots == few
    # and what a page costs, besides the session and two-factor look-ups: the regencies
    # for the filter and one query for the page's rows with the area's totals
    assert few["table"] <= 8, few


def test_the_refresh_of_one_cooperative_does_not_query_per_member(placed):
    """The daily refresh reads each sharing schema once a day, one task per cooperative
    (precomputed: no page reads a schema); inside, its queries are aggregates — the same
    number for a cooperative of 1 member as for one of 25 members with savings."""
    from decimal import Decimal

    from core.savings.models import SavingsProduct
    from core.savings.services import savings_account_get_or_open, teller_deposit
    from lumbung.dinas.refresh import _tenant_figures
    from tests.members import factories as f

    from .conftest import consent

    a, _b = placed
    consent(a)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            _tenant_figures(schema=a.schema_name, today=timezone.localdate())
        connection.set_schema_to_public()
        return len(ctx.captured_queries)

    connection.set_tenant(a)
    by = f.user("bendahara")
    sukarela = SavingsProduct.objects.filter(kind="sukarela", is_active=True).first()

    def add_members(n: int) -> None:
        connection.set_tenant(a)
        for _ in range(n):
            m = f.member()
            acc = savings_account_get_or_open(
                member=m, product=sukarela, on=timezone.localdate(), by=by
            )
            teller_deposit(
                account=acc, amount=Decimal(1000), channel="cash", on=timezone.localdate(), by=by
            )
        connection.set_schema_to_public()

    add_members(1)
    small = count()
    add_members(24)
    assert count() == small
