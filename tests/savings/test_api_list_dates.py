"""The savings transactions API list filters by a date range (``date_from`` /
``date_to``, inclusive, beside the one-day ``on``) and refuses bad dates with the one
JSON error shape; the members list filters by join date and refuses an unknown status."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone

from core.savings.services import savings_account_open, teller_deposit
from tests.members import factories as f


@pytest.fixture
def login(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    def make(role: str) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        c.force_login(f.user(role))
        return c

    return make


@pytest.fixture
def deposits(products, member_a):
    today = timezone.localdate()
    acc = savings_account_open(
        member=member_a, product=products["sukarela"], on=today - timedelta(days=30)
    )
    by = f.user("bendahara")
    return acc, [
        teller_deposit(account=acc, amount=D(100_000), channel="cash", on=today - days, by=by)
        for days in (timedelta(days=20), timedelta(days=10), timedelta(days=0))
    ]


def _ids(r):
    assert r.status_code == 200, r.content
    return [x["id"] for x in r.json()["results"]]


def test_transactions_by_date_range(login, deposits):
    acc, (d20, d10, d0) = deposits
    today = timezone.localdate()
    c = login("bendahara")
    url = "/api/v1/savings/transactions/"
    base = {"account": acc.pk}
    assert _ids(c.get(url, {**base, "date_from": str(today - timedelta(days=10))})) == [
        d0.pk,
        d10.pk,
    ]
    assert _ids(c.get(url, {**base, "date_to": str(today - timedelta(days=11))})) == [d20.pk]
    rng = {"date_from": str(today - timedelta(days=15)), "date_to": str(today - timedelta(days=5))}
    assert _ids(c.get(url, {**base, **rng})) == [d10.pk]
    swapped = {"date_from": rng["date_to"], "date_to": rng["date_from"]}
    assert _ids(c.get(url, {**base, **swapped})) == [d10.pk]


@pytest.mark.parametrize(
    "params, field",
    [
        ({"date_from": "kemarin"}, "date_from"),
        ({"date_to": "2026-13-01"}, "date_to"),
        ({"on": "2026/05/01"}, "on"),
    ],
)
def test_transactions_refuse_bad_dates(login, deposits, params, field):
    r = login("bendahara").get("/api/v1/savings/transactions/", params)
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == [field], r.json()


def test_members_by_join_date_and_status(login, in_tenant_a):
    today = timezone.localdate()
    early = f.member(join_date=today - timedelta(days=400))
    late = f.member(join_date=today - timedelta(days=3))
    c = login("bendahara")
    r = c.get("/api/v1/members/", {"date_from": str(today - timedelta(days=30))})
    assert r.status_code == 200
    assert [m["id"] for m in r.json()["results"]] == [late.pk]
    r = c.get("/api/v1/members/", {"date_to": str(today - timedelta(days=30))})
    assert early.pk in [m["id"] for m in r.json()["results"]]
    assert late.pk not in [m["id"] for m in r.json()["results"]]
    r = c.get("/api/v1/members/", {"status": "pensiun-dini"})
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["status"]
