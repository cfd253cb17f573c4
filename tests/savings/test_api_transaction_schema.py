"""The document (/api/schema/) tells what a teller deposit or withdrawal sends: the body
``TransactionCreate`` (account, action, amount, channel, memo), not the read-only receipt
it answers with, and a worked example of each that the API takes as it stands (the
account id put to a real one)."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone

from core.savings.models import SavingsAccount
from core.savings.services import savings_account_open
from core.users.apikeys import api_key_create
from tests.members import factories as f

PATH = "/api/v1/savings/transactions/"


@pytest.fixture
def host(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    return tenant_host(tenant_a.slug)


@pytest.fixture
def operation(host) -> tuple[dict, dict]:
    c = Client(HTTP_HOST=host)
    c.force_login(f.user("admin"))
    doc = c.get("/api/schema/", {"format": "json"}).json()
    return doc["paths"][PATH]["post"], doc["components"]["schemas"]


def test_the_teller_body_is_documented_with_its_writable_fields(operation):
    op, schemas = operation
    body = op["requestBody"]["content"]["application/json"]
    name = body["schema"]["$ref"].rsplit("/", 1)[1]
    props = schemas[name]["properties"]
    assert {"account", "action", "amount", "channel", "memo"} <= set(props)
    assert not any(p.get("readOnly") for p in props.values())
    assert set(schemas[name]["required"]) == {"account", "action", "amount", "channel"}
    assert op["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Transaction"
    }


def test_the_documented_examples_are_taken_as_they_stand(operation, products, host):
    op, _ = operation
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    bodies = {e["value"]["action"]: e["value"] for e in examples.values()}
    assert set(bodies) == {"deposit", "withdraw"}
    account = savings_account_open(
        member=f.member(), product=products["sukarela"], on=timezone.localdate()
    )
    raw = api_key_create(by=f.user("admin"), name="Kasir", role="bendahara").raw
    client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    moved = D("0")
    for action, kind in [("deposit", "deposit"), ("withdraw", "withdrawal")]:
        body = {**bodies[action], "account": account.pk}
        r = client.post(PATH, body, content_type="application/json")
        assert r.status_code == 201, r.content
        assert r.json()["kind"] == kind
        moved += D(r.json()["delta"])
    assert moved > 0
    assert SavingsAccount.objects.get(pk=account.pk).balance == moved
