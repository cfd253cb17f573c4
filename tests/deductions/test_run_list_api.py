"""``GET /api/v1/deductions/runs/`` is a page like every other list of the API
(``count``, ``next``, ``previous``, ``results``, ``?page=``/``?page_size=``), newest
first, each run as before: it was a plain array of the latest 60, the older ones out
of reach (found walking the API)."""

from datetime import date

import pytest
from django.test import Client

from core.deductions.models import DeductionRun
from tenants.services import tenant_host
from tests.webapp.conftest import make_user


@pytest.fixture
def api(tenant_a, in_tenant_a) -> Client:
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(make_user("bendahara", email="runs-list@alpha.test"))
    return c


def test_the_runs_are_paginated_newest_first_and_none_is_out_of_reach(api):
    months = [(2020 + i // 12, i % 12 + 1) for i in range(65)]
    DeductionRun.objects.bulk_create(
        DeductionRun(year=y, month=m, cutoff_date=date(y, m, 1), status="ready") for y, m in months
    )
    r = api.get("/api/v1/deductions/runs/")
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 65 and body["previous"] is None
    first = body["results"]
    assert len(first) == 50
    assert (first[0]["year"], first[0]["month"]) == months[-1]
    assert set(first[0]) >= {"id", "year", "month", "cutoff_date", "status", "progress"}
    rest = api.get(body["next"]).json()["results"]
    assert (rest[-1]["year"], rest[-1]["month"]) == months[0]
    small = api.get("/api/v1/deductions/runs/", {"page_size": 10}).json()
    assert len(small["results"]) == 10 and "page_size=10" in small["next"]
