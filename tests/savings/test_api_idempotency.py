"""Deposits and withdrawals sent through the API with an API key are safe to retry with
``Idempotency-Key`` (core.common.idempotency): the retry answers the same receipt and
the balance moves once."""

from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import timezone

from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import savings_account_open
from core.users.apikeys import api_key_create
from tests.members import factories as f


@pytest.fixture
def account(products, member_a):
    return savings_account_open(
        member=member_a, product=products["sukarela"], on=timezone.localdate()
    )


@pytest.fixture
def key_client(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    raw = api_key_create(by=f.user("admin"), name="Kasir", role="bendahara").raw
    return Client(HTTP_HOST=tenant_host(tenant_a.slug), HTTP_AUTHORIZATION=f"Api-Key {raw}")


def _post(client, body, key):
    return client.post(
        "/api/v1/savings/transactions/",
        body,
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_deposit_and_a_withdrawal_retried_with_their_keys_move_the_balance_once(
    account, key_client
):
    deposit = {"account": account.pk, "action": "deposit", "amount": "400.000", "channel": "bank"}
    withdraw = {"account": account.pk, "action": "withdraw", "amount": "150.000", "channel": "cash"}
    answers = [_post(key_client, deposit, "dep-1"), _post(key_client, deposit, "dep-1")]
    answers += [_post(key_client, withdraw, "wd-1"), _post(key_client, withdraw, "wd-1")]

    assert [r.status_code for r in answers] == [201, 201, 201, 201], answers[0].content
    assert answers[1]["Idempotent-Replayed"] == answers[3]["Idempotent-Replayed"] == "true"
    assert answers[1].json()["receipt_number"] == answers[0].json()["receipt_number"]
    assert answers[3].json()["receipt_number"].startswith("TAR-")
    assert SavingsTransaction.objects.filter(account=account).count() == 2
    assert SavingsAccount.objects.get(pk=account.pk).balance == D("250000")
