"""The close checklist as the treasurer reads it on the year page (walked in January,
the year's books still open): each item not done links to the screen where it is done
— the December jasa simpanan to the screen that runs it, not to the products' list,
which cannot —, an item done offers no "Perbaiki", and the arrears item says which
run is missing, with dates as people write them."""

import copy
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from core.loans.arrears import loans_arrears_update
from core.yearend.selectors import close_checklist
from tenants.services import tenant_host

from .conftest import YEAR


@pytest.fixture
def staff(year_once, in_tenant_a):
    return copy.deepcopy(year_once["staff"])


@pytest.fixture
def year_data(year_once, staff):
    return copy.deepcopy(year_once["year"])


def _page(tenant, user, url):
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    resp = c.get(url)
    assert resp.status_code == 200
    return resp.content.decode()


def test_december_interest_item_links_to_the_screen_that_runs_it(tenant_a, year_data, staff):
    item = {i.key: i for i in close_checklist(year=YEAR)}["interest_accrued"]
    assert not item.ok
    assert item.fix_url == reverse("savings:reconciliation")
    html = _page(tenant_a, staff["bendahara"], item.fix_url)
    # the run itself: the product, the month and "Hitung dan posting"
    assert 'name="month"' in html and "Hitung dan posting" in html


def test_only_items_not_done_offer_perbaiki(tenant_a, year_data, staff):
    items = close_checklist(year=YEAR)
    todo = [i for i in items if not i.ok]
    assert todo and len(todo) < len(items)  # some done (no payroll, no manual entry)
    html = _page(tenant_a, staff["bendahara"], reverse("yearend:year", args=[YEAR]))
    links = re.findall(r'<a href="([^"]+)">Perbaiki</a>', html)
    assert sorted(links) == sorted(i.fix_url for i in todo)


def test_arrears_item_names_the_run_missing_and_the_last_one(year_data, staff):
    loans_arrears_update(on=date(YEAR, 12, 7), by=staff["bendahara"])
    with translation.override("id"):
        item = {i.key: i for i in close_checklist(year=YEAR)}["arrears_run"]
    assert not item.ok
    assert item.detail == (
        f"Belum ada perhitungan per 31 Des {YEAR} (terakhir dijalankan 7 Des {YEAR})."
    )
    loans_arrears_update(on=date(YEAR, 12, 31), by=staff["bendahara"])
    with translation.override("id"):
        item = {i.key: i for i in close_checklist(year=YEAR)}["arrears_run"]
    assert item.ok and item.detail == f"Dijalankan per 31 Des {YEAR}."
