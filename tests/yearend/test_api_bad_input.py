"""The year end's API with bodies and filters a client should not send: a 400 in the one
error shape naming what is wrong, never a 500, and nothing saved."""

import json

import pytest
from django.test import Client

from core.yearend.models import RatReport, ShuSettings
from tenants.services import tenant_host

from .conftest import YEAR


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def api(tenant_a, staff):
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug), raise_request_exception=False)
    c.force_login(staff["bendahara"])
    return c


def _put(api, path, body):
    return api.put(f"/api/v1/yearend/{YEAR}/{path}/", json.dumps(body), "application/json")


def _error(r):
    assert r.status_code == 400, (r.status_code, r.content[:300])
    err = r.json()["error"]
    assert set(err) == {"code", "message", "fields"}
    return err


@pytest.mark.parametrize("key", ["by", "year", "pct_bonus"])
def test_settings_put_refuses_a_field_it_does_not_know(api, key):
    err = _error(_put(api, "settings", {key: 1, "pct_jasa_modal": "25"}))
    assert err["fields"] == {key: ["Tidak dikenal."]}
    assert not ShuSettings.objects.filter(effective_year=YEAR).exists()


@pytest.mark.parametrize("body", [[], "x", None])
def test_settings_put_refuses_a_body_that_is_not_an_object(api, body):
    err = _error(_put(api, "settings", body))
    assert err["fields"] == {"non_field_errors": ["Isi permintaan harus berupa objek JSON."]}


@pytest.mark.parametrize("value", [["25"], {"a": 1}, "2\x005"])
def test_settings_put_refuses_a_percentage_that_is_not_text_or_a_number(api, value):
    err = _error(_put(api, "settings", {"pct_jasa_modal": value}))
    assert list(err["fields"]) == ["pct_jasa_modal"]


def test_settings_put_still_reads_a_decimal_comma_and_ignores_effective_year(api):
    r = _put(
        api,
        "settings",
        {"effective_year": 1990, "pct_jasa_modal": "22,5", "pct_cadangan": 22.5},
    )
    assert r.status_code == 200, r.content
    assert r.json()["effective_year"] == YEAR
    assert r.json()["pct_jasa_modal"] == "22.50" and r.json()["pct_cadangan"] == "22.50"


@pytest.mark.parametrize("key", ["by", "updated_by", "held_on"])
def test_rat_texts_put_refuses_a_field_it_does_not_know(api, key):
    err = _error(_put(api, "rat-texts", {key: 1}))
    assert err["fields"] == {key: ["Tidak dikenal."]}


@pytest.mark.parametrize("body", [[], "x"])
def test_rat_texts_put_refuses_a_body_that_is_not_an_object(api, body):
    _error(_put(api, "rat-texts", body))


@pytest.mark.parametrize("value", ["a\x00b", ["a"], {"a": 1}])
def test_rat_texts_put_refuses_text_with_a_nul_or_not_text(api, value):
    err = _error(_put(api, "rat-texts", {"agenda": value, "policies": "Kebijakan"}))
    assert list(err["fields"]) == ["agenda"]
    assert not RatReport.objects.filter(year=YEAR, policies="Kebijakan").exists()


def test_rat_texts_put_saves_known_texts_and_ignores_year(api):
    r = _put(api, "rat-texts", {"year": 1990, "agenda": "  1. Pembukaan  "})
    assert r.status_code == 200, r.content
    assert r.json()["year"] == YEAR and r.json()["agenda"] == "1. Pembukaan"


@pytest.mark.parametrize("member", ["%C2%B2", "abc", "-1", "99999999999999999999999"])
def test_shares_filter_refuses_a_member_that_is_not_an_id(api, member):
    err = _error(api.get(f"/api/v1/yearend/{YEAR}/shares/?member={member}"))
    assert list(err["fields"]) == ["member"]


@pytest.mark.parametrize("typed", ["1.000", "Rp 1.000", " 1000 ", 1000])
def test_settings_put_reads_a_rounding_unit_typed_as_rupiah_with_dots(api, typed):
    r = _put(api, "settings", {"rounding_unit": typed})
    assert r.status_code == 200, r.content
    assert r.json()["rounding_unit"] == 1000
    assert ShuSettings.objects.get(effective_year=YEAR).rounding_unit == 1000


@pytest.mark.parametrize("typed", [True, 1000.5, "1.000,5", "seribu", "500"])
def test_settings_put_refuses_a_rounding_unit_that_is_not_one_of_the_units(api, typed):
    err = _error(_put(api, "settings", {"rounding_unit": typed}))
    assert list(err["fields"]) == ["rounding_unit"]
    assert not ShuSettings.objects.filter(effective_year=YEAR).exists()
