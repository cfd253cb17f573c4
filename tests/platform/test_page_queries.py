"""The pages of the load bench (bench/load_bench.py) cost a number of queries that does
not grow with the data: the same page over a cooperative with 5 members, loans and days
of postings and over one with 50 runs the same number of queries (no N+1)."""

import random
import sys
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import scale_bench

from core.loans.models import Loan
from core.users.models import User

PAGES = {
    "dashboard": "/",
    "member list": "/anggota/",
    "loan list": "/pinjaman/",
    "loan": "/pinjaman/{loan}/",
    "trial balance": "/buku-besar/laporan/neraca-saldo/",
}


# The queries of each page today (the second request of an admin). The dashboard's 15th:
# the members marked as left with accounts or loans still open (the treasury's tasks);
# its 16th: the daily arrears run its collectibility bars are from and the loans it did
# not grade (``collectibility_grading``).
# The loan's 16th: the daily arrears run that set its grade (*Kolektibilitas per …*); its
# 17th: the member's sukarela account, which may pay the loan.
# The loan list's 10th: the daily arrears run its NPL box is from and the loans it did not
# grade (``collectibility_grading``).
MOST = {"dashboard": 16, "member list": 8, "loan list": 10, "loan": 17, "trial balance": 8}


@pytest.fixture
def admin_client(client_a, in_tenant_a):
    client_a.force_login(User.objects.get(username="admin@alpha.test"))
    return client_a


def _counts(client, size: int) -> dict[str, tuple[int, list[str]]]:
    """Fill alpha with ``size`` members / days of postings (loans of ``size`` months),
    request each page twice and count the second request's queries; then undo."""
    out = {}
    with transaction.atomic():
        scale_bench.coop_data(random.Random(size), 0, members=size, days=size, tenor=size)
        loan = Loan.objects.order_by("pk").first()
        for name, url in PAGES.items():
            url = url.format(loan=loan.pk)
            assert client.get(url).status_code == 200, name
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, name
            out[name] = (len(ctx), [q["sql"] for q in ctx.captured_queries])
        transaction.set_rollback(True)
    return out


def test_queries_per_page_do_not_grow_with_the_data(admin_client):
    small = _counts(admin_client, 5)
    large = _counts(admin_client, 50)
    grown = {
        name: (small[name][0], large[name][0]) for name in PAGES if large[name][0] != small[name][0]
    }
    detail = "\n\n".join(
        f"{name}: {a} → {b}\n" + "\n".join(large[name][1]) for name, (a, b) in grown.items()
    )
    assert not grown, detail
    # Nor with the code: a change that adds a query to one of these pages fails here
    # (issue #20, requests fast under load; lower a figure when a page gets cheaper).
    over = {name: (large[name][0], most) for name, most in MOST.items() if large[name][0] > most}
    assert not over, "\n\n".join(
        f"{name}: {n} queries (at most {most})\n" + "\n".join(large[name][1])
        for name, (n, most) in over.items()
    )
    # A page that rendered nothing would pass too: the data must be on the pages.
    assert all(count > 5 for count, _ in large.values()), {n: c for n, (c, _) in large.items()}
