"""The savings reconciliation page as the pengawas reads it: the sub-ledger against the
control accounts, and the interest products' terms, without the form that runs a month's
interest (a write the role may not do); the bendahara still gets it."""

import pytest
from django.test import Client

from tests.members import factories as f


def _client(tenant_a, role):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user(role))
    return c


@pytest.fixture
def interest_product(products):
    p = products["sukarela"]
    p.interest_enabled = True
    p.is_active = True
    p.save()
    return p


def test_pengawas_reads_the_reconciliation_without_the_run_button(
    tenant_a, in_tenant_a, interest_product
):
    html = _client(tenant_a, "pengawas").get("/simpanan/rekonsiliasi/").content.decode()
    assert "Rekonsiliasi simpanan dengan buku besar" in html
    assert interest_product.name in html  # the product's terms are still shown
    assert "Hitung dan posting" not in html
    assert 'name="month"' not in html


def test_bendahara_gets_the_run_button(tenant_a, in_tenant_a, interest_product):
    html = _client(tenant_a, "bendahara").get("/simpanan/rekonsiliasi/").content.decode()
    assert "Hitung dan posting" in html
