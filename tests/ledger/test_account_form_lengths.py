"""The chart-of-accounts screens with a code or a name longer than its column: a
message on the page naming the field, nothing written, never a 500."""

import pytest

from core.ledger.models import Account


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def client(login):
    c = login("bendahara")
    c.raise_request_exception = False
    return c


@pytest.mark.parametrize(
    "data",
    [{"code": "1" * 21, "name": "Kas cabang"}, {"code": "1196", "name": "K" * 201}],
)
def test_account_add_longer_than_the_column_is_a_message(client, data):
    before = Account.objects.count()
    r = client.post("/buku-besar/akun/", {"type": "asset", **data}, follow=True)
    assert r.status_code == 200, r.status_code
    assert Account.objects.count() == before
    msgs = list(r.context["messages"])
    assert msgs and msgs[0].level_tag == "error"


def test_account_rename_longer_than_the_column_is_a_message(client):
    acc = Account.objects.create(code="1195", name="Lama", type="asset", normal_side="debit")
    r = client.post(
        f"/buku-besar/akun/{acc.pk}/", {"name": "K" * 201, "is_active": "on"}, follow=True
    )
    assert r.status_code == 200, r.status_code
    acc.refresh_from_db()
    assert acc.name == "Lama"
    msgs = list(r.context["messages"])
    assert msgs and msgs[0].level_tag == "error"
