"""The savings product form's rates (jasa per year, PPh) as people here write them: a
rate of 6,5 % was shown as "6.500" (six thousand five hundred, read with dot thousands)
and "6,5" typed in was refused as not a number. Shown "6,5"; "6,5", "6.5" and "6,5 %"
all read as 6.5; a rate that is not one is refused on its field, nothing saved."""

import re
from decimal import Decimal

import pytest
from django.test import Client

from tests.members import factories as f

D = Decimal


@pytest.fixture
def product(products):
    p = products["sukarela"]
    p.interest_rate_annual = D("6.5")
    p.tax_rate = D("10")
    p.save()
    return p


@pytest.fixture
def bendahara(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("bendahara"))
    return c


def _form_data(html: str) -> dict:
    data = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*?value="([^"]*)"', html))
    data |= dict.fromkeys(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*checked', html), "on")
    data |= dict(
        re.findall(r'<select name="([a-z_]+)".*?<option value="([^"]*)" selected', html, re.S)
    )
    data.pop("csrfmiddlewaretoken", None)
    return data | {"save_product": "1"}


def test_the_rates_are_shown_with_a_decimal_comma(product, bendahara):
    html = bendahara.get(f"/simpanan/produk/{product.pk}/").content.decode()
    data = _form_data(html)
    assert data["interest_rate_annual"] == "6,5"
    assert data["tax_rate"] == "10"


def test_the_form_sent_back_unchanged_keeps_the_rates(product, bendahara):
    html = bendahara.get(f"/simpanan/produk/{product.pk}/").content.decode()
    r = bendahara.post(f"/simpanan/produk/{product.pk}/", _form_data(html))
    assert r.status_code == 302
    product.refresh_from_db()
    assert (product.interest_rate_annual, product.tax_rate) == (D("6.5"), D("10"))


@pytest.mark.parametrize("typed", ["7,25", "7.25", "7,25 %", "7,25%"])
def test_a_rate_typed_as_people_do_is_read(product, bendahara, typed):
    html = bendahara.get(f"/simpanan/produk/{product.pk}/").content.decode()
    r = bendahara.post(
        f"/simpanan/produk/{product.pk}/", _form_data(html) | {"interest_rate_annual": typed}
    )
    assert r.status_code == 302
    product.refresh_from_db()
    assert product.interest_rate_annual == D("7.25")


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("interest_rate_annual", "abc", "tidak valid"),
        ("interest_rate_annual", "-1", "antara 0 dan 100"),
        ("tax_rate", "150", "antara 0 dan 100"),
        ("interest_rate_annual", "6,12345", "paling banyak 3 angka"),
    ],
)
def test_a_rate_that_is_not_one_is_refused_on_its_field(product, bendahara, field, typed, says):
    html = bendahara.get(f"/simpanan/produk/{product.pk}/").content.decode()
    r = bendahara.post(f"/simpanan/produk/{product.pk}/", _form_data(html) | {field: typed})
    assert r.status_code == 200
    errors = r.context["form"].errors[field]
    assert any(says in e for e in errors), errors
    product.refresh_from_db()
    assert (product.interest_rate_annual, product.tax_rate) == (D("6.5"), D("10"))
