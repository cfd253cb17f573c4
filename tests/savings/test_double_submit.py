"""A teller form sent twice (a double click, a resent POST after a slow answer) records
the deposit once: the second sending is refused with a message and writes nothing."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.savings.models import SavingsTransaction
from core.savings.services import savings_account_open
from tests.members import factories as f


@pytest.fixture
def screen(tenant_a, in_tenant_a, products, member_a):
    from tenants.services import tenant_host

    account = savings_account_open(
        member=member_a, product=products["sukarela"], on=timezone.localdate()
    )
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("petugas"))
    return c, reverse("savings:teller") + f"?member={member_a.pk}", account


def _key(html: str) -> str:
    m = re.search(r'name="submission" value="([0-9a-f]+)"', html)
    assert m, "the teller form carries its one-time submission key"
    return m.group(1)


def test_the_same_teller_form_sent_twice_deposits_once(screen):
    c, url, account = screen
    data = {
        "account": account.pk,
        "action": "deposit",
        "amount": "250.000",
        "channel": "cash",
        "submission": _key(c.get(url).content.decode()),
    }
    assert c.post(url, data).status_code == 302
    r = c.post(url, data, follow=True)
    assert "sudah dikirim" in r.content.decode()
    assert SavingsTransaction.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert account.balance == Decimal(250_000)


def test_a_fresh_form_after_the_first_deposit_deposits_again(screen):
    c, url, account = screen
    for _ in range(2):
        key = _key(c.get(url).content.decode())
        data = {"account": account.pk, "action": "deposit", "amount": "1.000", "channel": "cash"}
        assert c.post(url, data | {"submission": key}).status_code == 302
    assert SavingsTransaction.objects.filter(account=account).count() == 2
