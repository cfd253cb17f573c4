"""The tenants list at scale: bad query parameters are ignored clearly (never a 500,
never a silently unfiltered list), and a page costs the same queries for 1 or 30 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Plan, Subscription
from lumbung.console.models import TenantStats
from tenants.models import Cooperative

pytestmark = pytest.mark.django_db
LIST = "/konsol/koperasi/"


def names(resp) -> list[str]:
    return [c.name for c in resp.context["page"]]


def test_an_invalid_filter_is_ignored_and_the_valid_ones_still_apply(
    op_clients, tenant_a, tenant_b
):
    resp = op_clients["support"].get(LIST, {"q": "alpha", "status": "evil"})
    assert resp.status_code == 200
    # the search still narrows the list: never all 3,410 cooperatives for one bad field
    assert names(resp) == ["KPRI Alpha"]
    # and the page says which filter it left out
    assert "Saringan tidak dikenal diabaikan: Status." in resp.content.decode()


def test_an_unknown_sort_falls_back_to_the_default_order(op_clients, tenant_a, tenant_b):
    client = op_clients["support"]
    default = client.get(LIST)
    evil = client.get(LIST, {"sort": "evil;drop table", "page": "abc", "per_page": "x"})
    assert evil.status_code == 200
    assert names(evil) == names(default)
    assert evil.context["sort"] == "-created"  # what the page's links carry on


def _bare_cooperatives(n: int, plan: Plan) -> None:
    """``n`` cooperatives as the list reads them (row, subscription, figures), without
    schemas: the list never opens a cooperative's schema."""
    now = timezone.now()
    for i in range(n):
        coop = Cooperative(slug=f"massal-{i}", name=f"KPRI Massal {i}", schema_name=f"coop_m{i}")
        coop.auto_create_schema = False
        coop.save()
        Subscription.objects.create(cooperative=coop, plan=plan, trial_ends_at=now)
        TenantStats.objects.create(cooperative=coop, members=i, refreshed_at=now)


def _list_queries(client, params):
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(LIST, params)
    assert resp.status_code == 200
    return len(ctx.captured_queries), resp


def test_the_tenants_list_costs_the_same_queries_for_1_and_30_rows(op_clients):
    plan = Plan.objects.get(code="kecil")
    _bare_cooperatives(30, plan)
    client = op_clients["support"]
    client.get(LIST)  # warm the session
    one, resp_one = _list_queries(client, {"q": "KPRI Massal 7", "sort": "-members"})
    thirty, resp_thirty = _list_queries(client, {"q": "Massal", "sort": "-members"})
    assert len(resp_one.context["page"]) == 1 and len(resp_thirty.context["page"]) == 30
    assert one == thirty
