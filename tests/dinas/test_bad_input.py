"""Bad input on the Dinas pages (a filter, a sort, a format, a page number, a fiscal
year) is refused with a 400 that says what is wrong, never a 500 — and never silently
ignored: a table shown unfiltered under a filter the officer asked for, or last year's
ministry file downloaded for the year typed, would be read as the answer."""

from datetime import date

import pytest
from django.utils import timezone

from .conftest import KOBAR, verified_client

pytestmark = pytest.mark.django_db


def _client(pembina):
    client = verified_client(pembina.user)
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize(
    "params,message",
    [
        ({"band": "merah"}, "Tingkat kesehatan"),
        ({"kind": "koperasi-desa"}, "Jenis koperasi"),
        ({"regency": "Kabupaten Barito Utara"}, "Kabupaten Barito Utara"),
        ({"sort": "password"}, "Urutan"),
        ({"sort": "--assets"}, "Urutan"),
        ({"format": "pdf"}, "pdf"),
        ({"page": "abc"}, "Nomor halaman"),
        ({"page": "0"}, "Nomor halaman"),
        ({"page": "-3"}, "Nomor halaman"),
        ({"page": "1e9"}, "Nomor halaman"),
    ],
)
def test_a_bad_table_parameter_is_refused_with_its_reason(
    pembina_prov, shared_both, params, message
):
    a, b = shared_both
    resp = _client(pembina_prov).get("/dinas/", params)
    assert resp.status_code == 400
    body = resp.content.decode()
    assert 'role="alert"' in body and message in body
    # nothing that could be read as the filtered answer: no rows, no area totals
    assert a.name not in body and b.name not in body
    assert 'id="area-totals"' not in body


def test_a_bad_filter_on_the_xlsx_download_gives_no_file(pembina_prov, shared_both):
    resp = _client(pembina_prov).get("/dinas/", {"format": "xlsx", "band": "merah"})
    assert resp.status_code == 400
    assert not resp["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "Tingkat kesehatan" in resp.content.decode()


def test_a_regency_pembina_asking_for_another_regency_is_told_so(pembina_kapuas, shared_both):
    """Not the whole Kapuas table under a 'Kotawaringin Barat' heading."""
    a, b = shared_both
    resp = _client(pembina_kapuas).get("/dinas/", {"regency": KOBAR})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert KOBAR in body and a.name not in body and b.name not in body


def test_good_parameters_and_a_page_past_the_end_still_show_the_table(pembina_prov, shared_both):
    a, b = shared_both
    client = _client(pembina_prov)
    for params in ({}, {"sort": "-assets", "band": "", "regency": ""}, {"page": "99"}):
        resp = client.get("/dinas/", params)
        assert resp.status_code == 200, params
        body = resp.content.decode()
        assert a.name in body and b.name in body


@pytest.mark.parametrize("year", ["abc", "1999", "2101", "20x5", "-2025"])
def test_a_bad_ministry_year_is_refused_not_replaced_by_last_year(pembina_prov, shared_both, year):
    a, _b = shared_both
    client = _client(pembina_prov)
    for url in ("/dinas/kementerian/", f"/dinas/koperasi/{a.pk}/kementerian/"):
        resp = client.get(url, {"year": year})
        assert resp.status_code == 400, (url, year)
        assert not resp["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "Tahun buku" in resp.content.decode()


def test_a_ministry_year_not_begun_is_refused(pembina_prov, shared_both):
    next_year = timezone.localdate().year + 1
    resp = _client(pembina_prov).get("/dinas/kementerian/", {"year": next_year})
    assert resp.status_code == 400
    assert str(next_year) in resp.content.decode()


def test_no_year_or_an_empty_one_means_last_year(pembina_prov, shared_both):
    client = _client(pembina_prov)
    last = date.today().year - 1
    for params in ({}, {"year": ""}):
        resp = client.get("/dinas/kementerian/", params)
        assert resp.status_code == 200
        assert f"data-kementerian-{last}.xlsx" in resp["Content-Disposition"]
