"""Months of a product's jasa simpanan never run BEFORE its latest run (a gap left by
old data, before the skipped-month refusal existed, or by a move-in): the members never
got those months' jasa and nothing said so. ``interest_gaps`` finds them per
interest-bearing product — by the skipped-month rule's own test of a month
(``interest_months_owed``: an account open at the month's end whose balance is
Lumbung's; months before the product's first account and months the old books paid are
not owed) — and the reconciliation screen and the API's interest-runs list say them.
Running such a month now is refused (a month before the latest run:
``test_interest_run_order.py``); the warning says so and the way out (reverse the later
runs, latest first, then run in order), or that the books are closed for it."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from core.common.errors import ApplicationError
from core.ledger.models import Period
from core.savings import interest_gaps
from core.savings.models import InterestRun
from core.savings.services import interest as interest_service
from core.savings.services import (
    month_ends_counted,
    savings_account_open,
    savings_interest_accrue,
    savings_interest_reverse,
)
from tests.members import factories as f

from .test_interest import _fund
from .test_interest_month_skipped import _opening_balance

D = Decimal
URL = "/api/v1/savings/interest-runs/"


@pytest.fixture
def product(products):
    p = products["sukarela"]
    p.interest_rate_annual = D("12")
    p.save()
    return p


@pytest.fixture
def funded(product, teller, year):
    acc = savings_account_open(member=f.member(), product=product, on=date(year, 1, 1))
    _fund(acc, D("1000000"), date(year, 1, 1), teller)
    return product, acc


@pytest.fixture
def bendahara(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    user = f.user("bendahara")
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(user)
    c.user = user
    return c


def _run_skipping_the_check(product, year, month, by, monkeypatch):
    """A run made as old data was (before the skipped-month refusal) or as a move-in
    could leave it: the refusal is not asked."""
    with monkeypatch.context() as m:
        m.setattr(interest_service, "interest_month_skipped_check", lambda **kw: None)
        return savings_interest_accrue(product=product, year=year, month=month, by=by)


@pytest.fixture
def march_missing(funded, teller, monkeypatch, year):
    """Runs for January, February and April (of last year, ``year``); March never run."""
    p, acc = funded
    savings_interest_accrue(product=p, year=year, month=1, by=teller)
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    _run_skipping_the_check(p, year, 4, teller, monkeypatch)
    return p, acc


def _screen_warnings(client) -> list[str]:
    r = client.get("/simpanan/rekonsiliasi/")
    assert r.status_code == 200
    return [g.message for g in r.context["interest_gaps"]], r.content.decode()


def test_a_month_never_run_before_the_latest_run_is_found(march_missing, year):
    p, _acc = march_missing
    (gap,) = interest_gaps.interest_gaps()
    assert gap.product == p
    assert gap.months == [(year, 3)]
    assert gap.latest == (year, 4)
    assert gap.closed_months == []
    msg = gap.message
    assert p.name in msg and f"Maret {year}" in msg and f"April {year}" in msg
    # running the month now is refused: the warning says so and the way out
    assert "tidak dapat dihitung sekarang" in msg
    assert "Batalkan dulu" in msg and f"berurutan mulai bulan Maret {year}" in msg


def test_the_screen_warns_naming_the_product_and_the_month(march_missing, bendahara, year):
    p, _acc = march_missing
    messages, html = _screen_warnings(bendahara)
    assert len(messages) == 1
    assert p.name in messages[0] and f"Maret {year}" in messages[0]
    assert "Jasa bulan yang terlewat" in html
    assert "tidak dapat dihitung sekarang" in html


def test_the_api_lists_the_month_beside_the_runs(march_missing, bendahara, year):
    p, _acc = march_missing
    r = bendahara.get(URL)
    assert r.status_code == 200, r.content
    body = r.json()
    assert [(x["year"], x["month"]) for x in body["results"]] == [(year, 4), (year, 2), (year, 1)]
    (gap,) = body["months_not_run"]
    assert gap["product"] == p.pk and gap["product_name"] == p.name
    assert gap["months"] == [f"{year}-03"]
    assert gap["latest_run"] == f"{year}-04"
    assert gap["closed_months"] == []
    assert f"Maret {year}" in gap["message"]


def test_no_gap_nothing_is_reported(funded, teller, bendahara, year):
    p, _acc = funded
    for month in (1, 2, 3, 4):
        savings_interest_accrue(product=p, year=year, month=month, by=teller)
    assert interest_gaps.interest_gaps() == []
    messages, html = _screen_warnings(bendahara)
    assert messages == [] and "Jasa bulan yang terlewat" not in html
    assert bendahara.get(URL).json()["months_not_run"] == []


def test_a_product_never_run_has_no_gap(funded, bendahara):
    assert interest_gaps.interest_gaps() == []
    assert bendahara.get(URL).json()["months_not_run"] == []


def test_months_the_old_books_paid_are_not_reported(product, teller, bendahara, year):
    # a run made before the move-in on an empty product; the cut-over on 31 March with
    # the account opened in January: January to March are the old books'
    savings_interest_accrue(product=product, year=year - 1, month=12, by=teller)
    acc = savings_account_open(member=f.member(), product=product, on=date(year, 1, 2))
    _opening_balance(acc, D("1000000"), date(year, 3, 31), teller)
    savings_interest_accrue(product=product, year=year, month=4, by=teller)
    savings_interest_accrue(product=product, year=year, month=5, by=teller)
    assert interest_gaps.interest_gaps() == []
    assert _screen_warnings(bendahara)[0] == []
    assert bendahara.get(URL).json()["months_not_run"] == []


def test_months_before_the_products_first_account_are_not_reported(product, teller, year):
    savings_interest_accrue(product=product, year=year, month=1, by=teller)  # no account yet
    acc = savings_account_open(member=f.member(), product=product, on=date(year, 4, 10))
    _fund(acc, D("1000000"), date(year, 4, 10), teller)
    savings_interest_accrue(product=product, year=year, month=4, by=teller)
    savings_interest_accrue(product=product, year=year, month=5, by=teller)
    assert interest_gaps.interest_gaps() == []


def test_several_months_in_two_gaps_are_named(funded, teller, monkeypatch, year):
    p, _acc = funded
    savings_interest_accrue(product=p, year=year, month=1, by=teller)
    _run_skipping_the_check(p, year, 3, teller, monkeypatch)
    _run_skipping_the_check(p, year, 7, teller, monkeypatch)
    (gap,) = interest_gaps.interest_gaps()
    assert gap.months == [(year, 2), (year, 4), (year, 5), (year, 6)]
    assert f"Februari {year}, April {year} sampai Juni {year} (3 bulan)" in gap.message


def test_a_reversed_run_leaves_its_month_reported(march_missing, teller, year):
    """The runs that count are the live ones: April reversed, February is the latest
    live run and nothing before it is missing; March, after it, is the skipped-month
    rule's again (the next run is refused naming it)."""
    p, _acc = march_missing
    apr = InterestRun.objects.get(product=p, year=year, month=4)
    savings_interest_reverse(run=apr, by=f.user("bendahara"), reason="uji")
    assert interest_gaps.interest_gaps() == []
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=p, year=year, month=4, by=teller)
    assert e.value.fields["missing"] == [f"{year}-03"]


def test_running_the_gap_month_now_is_refused_and_the_way_out_pays_it(march_missing, teller, year):
    """What the warning says, done: March alone is refused (a month before the latest
    run); April reversed, March then April run in order, the gap is gone and March is
    paid."""
    p, _acc = march_missing
    with pytest.raises(ApplicationError):
        savings_interest_accrue(product=p, year=year, month=3, by=teller)
    apr = InterestRun.objects.get(product=p, year=year, month=4)
    savings_interest_reverse(run=apr, by=f.user("bendahara"), reason="jasa Maret terlewat")
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    savings_interest_accrue(product=p, year=year, month=4, by=teller)
    assert interest_gaps.interest_gaps() == []


def test_a_gap_month_in_closed_books_is_said_as_not_runnable(march_missing, year):
    p, _acc = march_missing
    Period.objects.filter(end_date__lte=date(year, 3, 31)).update(status="closed")
    (gap,) = interest_gaps.interest_gaps()
    assert gap.months == [(year, 3)]
    assert gap.closed_months == [(year, 3)]
    assert f"Buku sudah ditutup sampai 31 Maret {year}" in gap.message
    assert "Batalkan dulu" not in gap.message


def test_months_before_the_products_first_run_are_not_a_gap(funded, teller, monkeypatch, year):
    """The first run is never refused, whatever its month (the board started the jasa
    then, as the skipped-month refusal counts): months between the first account and
    the first run are not reported; a month missing after it is."""
    p, _acc = funded  # open and funded since January (of last year)
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    savings_interest_accrue(product=p, year=year, month=4, by=teller)
    assert interest_gaps.interest_gaps() == []
    _run_skipping_the_check(p, year, 6, teller, monkeypatch)
    (gap,) = interest_gaps.interest_gaps()
    assert gap.months == [(year, 5)]
    assert gap.first_run == (year, 3)


def test_the_openapi_document_describes_the_months_not_run(bendahara):
    r = bendahara.get("/api/schema/", {"format": "json"})
    assert r.status_code == 200
    page = r.json()["components"]["schemas"]["PaginatedInterestRunList"]
    assert "months_not_run" in page["required"]
    item = page["properties"]["months_not_run"]["items"]
    assert set(item["properties"]) == {
        "product",
        "product_name",
        "months",
        "latest_run",
        "closed_months",
        "message",
    }


def test_the_warning_is_translated_for_an_english_reader(march_missing, year):
    from django.utils import translation

    with translation.override("en"):
        (gap,) = interest_gaps.interest_gaps()
        msg = gap.message
    assert "was never run" in msg and f"First reverse the interest runs after March {year}" in msg


_day = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    accounts=st.lists(st.tuples(_day, st.none() | _day, st.none() | _day), min_size=0, max_size=8),
    ends=st.lists(_day, min_size=1, max_size=12),
)
def test_month_ends_counted_is_the_rule_account_by_account(accounts, ends):
    """The joined spans say what asking each account does: opened on or before the end,
    closed after it, its opening balance (the old books) dated before it."""
    want = {
        end
        for end in ends
        if any(
            opened <= end and (closed is None or closed > end) and (old is None or old < end)
            for opened, closed, old in accounts
        )
    }
    assert month_ends_counted(accounts=accounts, ends=ends) == want
