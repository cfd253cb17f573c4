"""A payout the treasurer should not be able to make says precisely why, in the API's
own words and fields, and writes nothing: a member whose SHU is Rp 0 (capital and jasa
both nil) is not "already paid"; a date in the future names the API's field ``on``; a
body that is not a JSON object is refused in the one error shape, in Indonesian."""

import copy
import json
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.ledger.models import JournalEntry
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_post, yearend_close
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import YEAR


@pytest.fixture
def staff(year_once, in_tenant_a):
    """The module's staff (``year_once``: built once for the module, never committed),
    copied for the test."""
    return copy.deepcopy(year_once["staff"])


@pytest.fixture
def year_data(year_once, staff):
    """The module's 2025 (``year_once``), its objects copied for the test."""
    return copy.deepcopy(year_once["year"])


D = Decimal
RAT = date(YEAR + 1, 3, 1)


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def posted(tenant_a, staff, year_data):
    """``year_data`` with a member who joined in the year and saved and borrowed
    nothing (SHU Rp 0), closed and posted."""
    from .conftest import close_preliminaries

    by = staff["bendahara"]
    nil = f.member(full_name="Nihil", join_date=date(YEAR, 3, 1))
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=RAT, rat_decision="05/RAT", by=by)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug), raise_request_exception=False)
    c.force_login(by)
    return {**year_data, "nil": nil, "api": c}


def _pay(api, body):
    return api.post(f"/api/v1/yearend/{YEAR}/payout/", json.dumps(body), "application/json")


def _nothing_written():
    assert not ShuPayout.objects.exists()
    assert not JournalEntry.objects.filter(source_ref__startswith=f"yearend:{YEAR}:payout").exists()


def test_payout_of_a_member_whose_shu_is_nil_says_so(posted):
    nil = posted["nil"]
    assert MemberShare.objects.get(member=nil).total == 0  # no capital, no jasa
    r = _pay(posted["api"], {"method": "cash", "items": [{"member_id": nil.pk}]})
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "shu_payout_invalid"
    assert err["message"] == f"Anggota {nil} tidak mendapat SHU tahun {YEAR} (Rp 0)."
    _nothing_written()


def test_payout_dated_in_the_future_names_the_field_on(posted):
    m1 = posted["m1"]
    body = {"method": "cash", "on": "2099-01-01", "items": [{"member_id": m1.pk}]}
    r = _pay(posted["api"], body)
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "shu_payout_invalid"
    assert err["fields"] == {"on": ["Tanggal tidak boleh di masa depan."]}
    _nothing_written()


@pytest.mark.parametrize("path", ["payout", "post", "reopen"])
def test_a_body_that_is_not_an_object_is_refused_in_indonesian(posted, staff, path):
    api = posted["api"]
    if path == "reopen":
        api.force_login(staff["admin"])
    r = api.post(f"/api/v1/yearend/{YEAR}/{path}/", "[]", "application/json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"] == {
        "non_field_errors": ["Isi permintaan harus berupa objek JSON."]
    }
    _nothing_written()
