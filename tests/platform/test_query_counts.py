"""The pages the load bench drives (dashboard, member list, a loan page, the trial
balance) run the same number of queries with 5 members as with 50 (no N+1), filled by
the scale bench's own data helper."""

import random
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def coop_data():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from scale_bench import coop_data
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return coop_data


def _pages(client) -> dict[str, int]:
    from core.loans.models import Loan

    loan = Loan.objects.order_by("pk").first()
    urls = {
        "dashboard": reverse("home"),
        "members": reverse("members:list"),
        "loan": reverse("loans:detail", args=[loan.pk]),
        "trial balance": reverse("ledger:report", args=["neraca-saldo"]),
    }
    counts = {}
    for name, url in urls.items():
        client.get(url)  # warm per-process caches (content types, settings)
        with CaptureQueriesContext(connection) as ctx:
            r = client.get(url)
        assert r.status_code == 200, (name, r.status_code)
        counts[name] = len(ctx)
    return counts


def test_page_query_counts_do_not_grow_with_data(in_tenant_a, coop_data):
    from tenants.services import tenant_host
    from tests.members import factories as f

    rng = random.Random(20)
    coop_data(rng, 1, members=5)  # 5 members, 2 loans, 31 journal entries
    user = f.user("bendahara")
    client = Client(HTTP_HOST=tenant_host(in_tenant_a.slug))
    client.force_login(user)
    small = _pages(client)
    connection.set_tenant(in_tenant_a)
    coop_data(rng, 1, members=45, start=1000)  # 50 members, 17 loans, 62 entries
    connection.set_tenant(in_tenant_a)
    big = _pages(client)
    assert big == small
