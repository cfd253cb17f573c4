"""The teller screen with an id that is not a number (a hand-edited or truncated
address, a stale form): a 404 or the plain screen, never a server error, and nothing
written."""

import pytest
from django.test import Client

from core.savings.models import SavingsAccount
from tests.members import factories as f


@pytest.fixture
def c(tenant_a, in_tenant_a, products):
    from tenants.services import tenant_host

    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    client.force_login(f.user("petugas"))
    return client


@pytest.mark.parametrize("query", ["?member=abc", "?last=abc", "?member=1x&last=", "?last=9e9"])
def test_teller_screen_with_a_non_numeric_id_is_not_a_server_error(c, query):
    r = c.get("/simpanan/teller/" + query)
    assert r.status_code in (200, 404)


@pytest.mark.parametrize(
    "data", [{"open_product": "abc", "member": "1"}, {"open_product": "1", "member": "abc"}]
)
def test_opening_an_account_with_a_non_numeric_id_is_a_404(c, member_a, data):
    data = {k: (str(member_a.pk) if v == "1" and k == "member" else v) for k, v in data.items()}
    r = c.post("/simpanan/teller/", data)
    assert r.status_code == 404
    assert not SavingsAccount.objects.exists()


@pytest.mark.parametrize("product", ["²", "99999999999999999999", "abc"])
def test_account_list_filter_by_a_product_that_is_not_an_id_is_ignored(c, product):
    r = c.get("/simpanan/", {"product": product})
    assert r.status_code == 200
