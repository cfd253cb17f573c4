"""A product's term (jangka, months) is at most 600 months (50 years): more is a typo, and
beyond the column (smallint) it was a 500. The same words on the screen, in the API and
from the service; nothing is created or changed."""

import json
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from core.common.errors import ApplicationError
from core.savings.models import SavingsProduct
from core.savings.services import savings_product_create, savings_product_update
from tenants.services import tenant_host
from tests.members import factories as f
from tests.savings.conftest import next_on

TOO_LONG = "Paling lama 600 bulan."


def pendidikan() -> dict:
    """An education product paid out on the next 1 July (to come on any day)."""
    return {
        "code": "SPD",
        "kind": "berjangka",
        "name": "Simpanan Pendidikan",
        "amount": D("150000"),
        "payout_date": next_on(7, 1),
    }


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def bendahara(products, tenant_a):
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug), raise_request_exception=False)
    c.force_login(f.user("bendahara"))
    return c


@pytest.mark.parametrize("months", [601, 99999999])
def test_service_refuses_a_term_beyond_600_months(products, months):
    with pytest.raises(ApplicationError) as e:
        savings_product_create(by="tests", term_months=months, **pendidikan())
    assert e.value.fields["term_months"] == [TOO_LONG]
    assert not SavingsProduct.objects.filter(code="SPD").exists()
    with pytest.raises(ApplicationError) as e:
        savings_product_update(product=products["berjangka"], by="tests", term_months=months)
    assert e.value.fields["term_months"] == [TOO_LONG]
    assert SavingsProduct.objects.get(pk=products["berjangka"].pk).term_months == 10


def test_a_term_of_600_months_is_accepted(products):
    assert savings_product_create(by="tests", term_months=600, **pendidikan()).term_months == 600


@pytest.mark.parametrize("months", [601, 99999999])
def test_api_refuses_a_term_beyond_600_months(bendahara, months):
    body = {"code": "SB9", "name": "Berjangka", "kind": "berjangka", "amount": "100000"}
    r = bendahara.post(
        "/api/v1/savings/products/",
        json.dumps(body | {"term_months": months}),
        content_type="application/json",
    )
    assert r.status_code == 400, (r.status_code, r.content[:300])
    assert r.json()["error"]["fields"] == {"term_months": [TOO_LONG]}
    assert not SavingsProduct.objects.filter(code="SB9").exists()


def test_create_screen_refuses_a_term_beyond_600_months(bendahara):
    form = {
        "code": "SQ",
        "name": "Simpanan Qurban",
        "kind": "berjangka",
        "account": "",
        "amount": "200000",
        "minimum_balance": "0",
        "interest_rate_annual": "0",
        "interest_basis": "minimum",
        "tax_threshold": "240000",
        "tax_rate": "10",
        "term_months": "99999999",
        "is_active": "on",
    }
    r = bendahara.post(reverse("savings:product_create"), form)
    assert r.status_code == 200 and TOO_LONG in r.content.decode()
    assert not SavingsProduct.objects.filter(code="SQ").exists()


def test_edit_screen_refuses_a_term_beyond_600_months(bendahara, products):
    p = products["berjangka"]
    url = reverse("savings:product", args=[p.pk])
    form = {
        "save_product": "1",
        "name": p.name,
        "amount": "100000",
        "minimum_balance": "0",
        "interest_rate_annual": "0",
        "interest_basis": "minimum",
        "tax_threshold": "0",
        "tax_rate": "0",
        "term_months": "99999999",
        "is_active": "on",
    }
    r = bendahara.post(url, form)
    assert r.status_code == 200 and TOO_LONG in r.content.decode()
    assert SavingsProduct.objects.get(pk=p.pk).term_months == 10
