"""``?page_size=`` on the API's paginated lists: up to ``MAX_PER_PAGE`` (200) items a
page, the default 50; a value that is not a positive number is the default. It was
ignored (found walking the API)."""

import pytest
from django.test import Client

from core.members.models import Agency
from tenants.services import tenant_host
from tests.webapp.conftest import make_user


@pytest.fixture
def api(tenant_a, in_tenant_a) -> Client:
    Agency.objects.bulk_create(
        Agency(code=f"PG{i:03d}", name=f"Instansi {i:03d}") for i in range(230)
    )
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(make_user("bendahara", email="page-size@alpha.test"))
    return c


def test_page_size_sets_the_items_per_page_and_the_links_keep_it(api):
    r = api.get("/api/v1/agencies/", {"page_size": 7})
    body = r.json()
    assert r.status_code == 200 and len(body["results"]) == 7
    assert "page_size=7" in body["next"] and "page=2" in body["next"]
    second = api.get(body["next"]).json()["results"]
    assert len(second) == 7 and second[0]["id"] != body["results"][0]["id"]


def test_page_size_is_capped_at_200_and_defaults_to_50(api):
    assert len(api.get("/api/v1/agencies/", {"page_size": 100000}).json()["results"]) == 200
    assert len(api.get("/api/v1/agencies/").json()["results"]) == 50
    assert len(api.get("/api/v1/agencies/", {"page_size": "9" * 40}).json()["results"]) == 200
    for bad in ("0", "-3", "abc", "1.5", ""):
        r = api.get("/api/v1/agencies/", {"page_size": bad})
        assert r.status_code == 200 and len(r.json()["results"]) == 50, bad


def test_the_journal_list_takes_page_size_too(api):
    r = api.get("/api/v1/ledger/entries/", {"page_size": 3})
    assert r.status_code == 200 and len(r.json()["results"]) <= 3
    assert "count_exact" in r.json()
