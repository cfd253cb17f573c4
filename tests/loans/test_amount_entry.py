"""Rupiah typed in the loan screens and API are read with the one parser (issue 17
item 7): "10.000.000" is ten million, not a decimal-places error; "1.234,56" is refused
with the reason."""

import pytest
from django.test import Client

from core.loans.models import LoanProduct


@pytest.fixture
def petugas(client_a, staff):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(staff["petugas"])
    return c


@pytest.mark.parametrize("typed", ["10.000.000", "Rp 10.000.000", "10,000,000", "10000000"])
def test_simulate_screen_reads_indonesian_thousands(petugas, typed):
    p = LoanProduct.objects.get(code="PA")
    r = petugas.post("/pinjaman/simulasi/", {"product": p.pk, "principal": typed, "tenor": 12})
    html = r.content.decode()
    assert r.status_code == 200
    assert "888.488" in html, html[-3000:]


def test_simulate_screen_refuses_sen_with_the_reason_and_keeps_the_value(petugas):
    p = LoanProduct.objects.get(code="PA")
    r = petugas.post("/pinjaman/simulasi/", {"product": p.pk, "principal": "1.234,56", "tenor": 12})
    html = r.content.decode()
    assert "rupiah utuh" in html and 'value="1.234,56"' in html


@pytest.mark.parametrize("typed", ["10.000.000", "Rp 10.000.000", 10000000])
def test_simulate_api_reads_rupiah_as_people_write_it(petugas, typed):
    p = LoanProduct.objects.get(code="PA")
    r = petugas.post(
        "/api/v1/loans/simulate/",
        {"product": p.pk, "principal": typed, "tenor": 12},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["schedule"][0]["total"] == "888488"


@pytest.mark.parametrize(("typed", "words"), [("1.234,56", "rupiah utuh"), ("1e30", "bukan")])
def test_simulate_api_refuses_with_the_field_named(petugas, typed, words):
    p = LoanProduct.objects.get(code="PA")
    r = petugas.post(
        "/api/v1/loans/simulate/",
        {"product": p.pk, "principal": typed, "tenor": 12},
        content_type="application/json",
    )
    assert r.status_code == 400
    assert words in r.json()["error"]["fields"]["principal"][0]
