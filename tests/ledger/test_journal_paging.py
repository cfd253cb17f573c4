"""The journal list counts no further than it needs (no COUNT(*) of a million-line
journal): past the bound it says "more than N", offers the next page and no last page."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.common.pagination import BoundedPaginator
from core.ledger.models import Account, JournalEntry
from core.ledger.services import LineSpec, journal_post

D = Decimal


@pytest.fixture
def entries(in_tenant_a, bendahara, today):
    """55 entries beyond whatever the cooperative already had."""
    for i in range(55):
        journal_post(
            on=today,
            description=f"Setoran {i}",
            by=bendahara,
            lines=[LineSpec("1101", debit=D(1000 + i)), LineSpec("3106", credit=D(1000 + i))],
        )
    return JournalEntry.objects.count()


def test_bounded_paginator_is_exact_under_its_bound(in_tenant_a):
    qs = Account.objects.order_by("code")
    total = qs.count()
    p = BoundedPaginator(qs, 5, count_limit=total + 10)
    page = p.get_page(1)
    assert p.count == total and p.count_exact and p.more_than is None
    assert p.num_pages == -(-total // 5) and len(page.object_list) == 5


def test_bounded_paginator_stops_counting_at_its_bound(in_tenant_a):
    qs = Account.objects.order_by("code")
    total = qs.count()
    assert total > 12
    p = BoundedPaginator(qs, 5, count_limit=10)
    page = p.get_page(1)
    assert not p.count_exact and p.more_than == 10 and p.count == 11
    assert page.has_next() and page.next_page_number() == 2
    assert [a.pk for a in page.object_list] == list(qs.values_list("pk", flat=True)[:5])


def test_bounded_paginator_counts_as_deep_as_the_page_asked(in_tenant_a):
    qs = Account.objects.order_by("code")
    total = qs.count()
    codes = list(qs.values_list("code", flat=True))
    last = -(-total // 5)
    # the last page, asked for directly: counted to its end, so exact again
    p = BoundedPaginator(qs, 5, count_limit=5)
    page = p.get_page(last)
    assert page.number == last and p.count_exact and p.count == total
    assert [a.code for a in page.object_list] == codes[(last - 1) * 5 :]
    assert not page.has_next()
    # a page in the middle: full, and the next exists
    p = BoundedPaginator(qs, 5, count_limit=5)
    page = p.get_page(2)
    assert [a.code for a in page.object_list] == codes[5:10]
    assert page.has_next() and not p.count_exact and p.more_than == 10
    # beyond the end, even absurdly far: the last page
    p = BoundedPaginator(qs, 5, count_limit=5)
    assert p.get_page(last + 50).number == last
    p = BoundedPaginator(qs, 5, count_limit=5)
    assert p.get_page(str(10**30)).number == last and p.count_exact


def test_bounded_paginator_does_not_count_the_whole_table(in_tenant_a):
    p = BoundedPaginator(Account.objects.order_by("code"), 5, count_limit=10)
    with CaptureQueriesContext(connection) as ctx:
        p.get_page(1)
        assert p.count == 11
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 11" in counts[0] and "ORDER BY" not in counts[0]


def test_journal_page_past_the_bound_says_more_than_and_has_no_last_page(
    login, entries, monkeypatch
):
    monkeypatch.setattr(BoundedPaginator, "count_limit", 50)
    c = login("bendahara")
    html = c.get("/buku-besar/jurnal/").content.decode()
    assert "lebih dari 50 baris" in html
    assert "Halaman 1</span>" in html and "Berikutnya" in html and "Terakhir" not in html
    # the second (last) page: counted to its end, an exact count again
    html = c.get("/buku-besar/jurnal/?page=2").content.decode()
    assert f"Halaman 2 dari {-(-entries // 50)}" in html and f"{entries} baris" in html
    assert "Setoran 0" in html  # the oldest, on the last page (newest first)


def test_journal_page_under_the_bound_keeps_the_exact_count(login, entries):
    html = login("bendahara").get("/buku-besar/jurnal/").content.decode()
    assert f"Halaman 1 dari {-(-entries // 50)}" in html and "Terakhir" in html
    assert f"{entries} baris" in html and "lebih dari" not in html


def test_journal_api_says_when_its_count_is_a_lower_bound(login, entries, monkeypatch):
    c = login("bendahara")
    body = c.get("/api/v1/ledger/entries/").json()
    assert body["count"] == entries and body["count_exact"] is True
    monkeypatch.setattr(BoundedPaginator, "count_limit", 50)
    body = c.get("/api/v1/ledger/entries/").json()
    assert body["count_exact"] is False and body["count"] == 51
    assert len(body["results"]) == 50 and body["next"].endswith("page=2")
    body = c.get("/api/v1/ledger/entries/?page=2").json()
    assert body["count_exact"] is True and body["count"] == entries
    assert len(body["results"]) == entries - 50 and body["next"] is None
