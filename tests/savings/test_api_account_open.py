"""``POST /api/v1/savings/accounts/`` opens a member's account in a product, as the teller
screen's *Buka rekening* does (``services.savings_account_open``; petugas, bendahara,
ketua, admin): a member registered through the API had no way to get one (found walking
the API). An account already open in the product is answered 409 naming it, never a
second one; ``Idempotency-Key`` answers a retry with the same account."""

import pytest
from django.test import Client
from django.utils import timezone

from core.audit.models import AuditEvent
from core.members.models import Member
from core.savings.audit import SavingsAudit
from core.savings.models import SavingsAccount
from core.users.apikeys import api_key_create
from tests.members import factories as f

URL = "/api/v1/savings/accounts/"


@pytest.fixture
def host(tenant_a, in_tenant_a) -> str:
    from tenants.services import tenant_host

    return tenant_host(tenant_a.slug)


@pytest.fixture
def key_client(host):
    raw = api_key_create(by=f.user("admin"), name="Kasir", role="petugas").raw
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {raw}")


def _open(client, body, **headers):
    return client.post(URL, body, content_type="application/json", **headers)


def test_a_new_member_gets_an_account_and_it_is_listed(key_client, products):
    member = f.member()
    assert key_client.get(URL, {"member": member.pk}).json()["results"] == []

    r = _open(key_client, {"member": member.pk, "product": products["sukarela"].pk})

    assert r.status_code == 201, r.content
    body = r.json()
    account = SavingsAccount.objects.get(member=member, product=products["sukarela"])
    assert body["id"] == account.pk
    assert body["number"] == f"{member.number}-{products['sukarela'].code}"
    assert body["balance"] == "0.00" and body["status"] == "open"
    assert body["member"] == member.pk and body["product_kind"] == "sukarela"
    listed = key_client.get(URL, {"member": member.pk}).json()["results"]
    assert [a["id"] for a in listed] == [account.pk]
    audit = AuditEvent.objects.get(action=SavingsAudit.ACCOUNT_OPEN, target_id=str(account.pk))
    assert audit.actor.role == "petugas"


def test_an_account_already_open_is_409_naming_it_and_not_duplicated(key_client, products):
    member = f.member()
    first = _open(key_client, {"member": member.pk, "product": products["sukarela"].pk})
    again = _open(key_client, {"member": member.pk, "product": products["sukarela"].pk})

    assert again.status_code == 409, again.content
    error = again.json()["error"]
    assert error["code"] == "savings_account_already_open"
    assert first.json()["number"] in error["message"]
    assert error["fields"]["product"] == [error["message"]]
    assert SavingsAccount.objects.filter(member=member, product=products["sukarela"]).count() == 1


def test_a_retry_with_its_idempotency_key_answers_the_same_account(key_client, products):
    member = f.member()
    body = {"member": member.pk, "product": products["sukarela"].pk}
    first = _open(key_client, body, HTTP_IDEMPOTENCY_KEY="open-1")
    again = _open(key_client, body, HTTP_IDEMPOTENCY_KEY="open-1")

    assert [first.status_code, again.status_code] == [201, 201], again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert SavingsAccount.objects.filter(member=member).count() == 1


def test_an_inactive_product_or_member_is_refused_and_nothing_opened(key_client, products):
    member = f.member()
    product = products["sukarela"]
    product.is_active = False
    product.save(update_fields=["is_active"])
    r = _open(key_client, {"member": member.pk, "product": product.pk})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "savings_product_inactive"

    left = f.member()
    Member.objects.filter(pk=left.pk).update(status="resigned", exit_date=timezone.localdate())
    r = _open(key_client, {"member": left.pk, "product": products["wajib"].pk})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "savings_member_inactive"
    assert not SavingsAccount.objects.filter(member__in=[member, left]).exists()


def test_unknown_or_missing_ids_name_the_field(key_client, products):
    r = _open(key_client, {"member": 2**62, "product": products["sukarela"].pk})
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["member"]
    r = _open(key_client, {"member": f.member().pk})
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == ["product"]
    assert not SavingsAccount.objects.exists()


@pytest.mark.parametrize("role", ["pengawas", "anggota"])
def test_a_role_that_may_not_open_is_403(host, products, role):
    c = Client(HTTP_HOST=host)
    c.force_login(f.user(role))
    member = f.member()
    r = _open(c, {"member": member.pk, "product": products["sukarela"].pk})
    assert r.status_code == 403
    assert not SavingsAccount.objects.filter(member=member).exists()
