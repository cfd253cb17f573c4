"""Cancelling a deposit may not leave the account below its product's minimum balance
(only below zero was refused): refused naming the minimum, changing nothing, unless the
cancellation empties the account and closes it with it."""

from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import (
    savings_account_open,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def sukarela(products, member_a, today):
    p = products["sukarela"]
    p.minimum_balance = D("50000")
    p.save()
    return savings_account_open(member=member_a, product=p, on=today)


def _counts():
    from core.ledger.models import JournalEntry

    return SavingsTransaction.objects.count(), JournalEntry.objects.count()


def test_cancelling_a_deposit_below_the_minimum_is_refused_naming_it(
    sukarela, teller, bendahara, today
):
    teller_deposit(account=sukarela, amount=D("100000"), channel="cash", on=today, by=teller)
    second = teller_deposit(
        account=sukarela, amount=D("30000"), channel="cash", on=today, by=teller
    )
    teller_withdraw(account=sukarela, amount=D("70000"), channel="cash", on=today, by=teller)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=second, on=today, reason="salah setor", by=bendahara)
    assert e.value.code == "savings_below_minimum"
    assert "Rp 50.000" in e.value.message and "Rp 30.000" in e.value.message
    assert _counts() == before
    sukarela.refresh_from_db()
    assert sukarela.balance == D("60000") and sukarela.status == "open"
    assert_reconciled()


def test_cancelling_a_deposit_that_keeps_the_minimum_is_allowed(sukarela, teller, bendahara, today):
    teller_deposit(account=sukarela, amount=D("100000"), channel="cash", on=today, by=teller)
    second = teller_deposit(
        account=sukarela, amount=D("30000"), channel="cash", on=today, by=teller
    )
    teller_reverse(txn=second, on=today, reason="salah setor", by=bendahara)
    sukarela.refresh_from_db()
    assert sukarela.balance == D("100000")
    assert_reconciled()


def test_cancelling_the_only_deposit_refused_unless_the_account_is_closed_with_it(
    sukarela, teller, bendahara, today
):
    txn = teller_deposit(account=sukarela, amount=D("30000"), channel="cash", on=today, by=teller)
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=txn, on=today, reason="salah anggota", by=bendahara)
    assert e.value.code == "savings_below_minimum" and "Rp 50.000" in e.value.message
    teller_reverse(txn=txn, on=today, reason="salah anggota", by=bendahara, close_account=True)
    sukarela.refresh_from_db()
    assert sukarela.status == SavingsAccount.Status.CLOSED
    assert sukarela.closed_on == today and sukarela.balance == 0
    assert_reconciled()


def test_closing_with_a_cancellation_that_leaves_money_is_refused(
    sukarela, teller, bendahara, today
):
    teller_deposit(account=sukarela, amount=D("100000"), channel="cash", on=today, by=teller)
    second = teller_deposit(
        account=sukarela, amount=D("30000"), channel="cash", on=today, by=teller
    )
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        teller_reverse(txn=second, on=today, reason="salah setor", by=bendahara, close_account=True)
    assert e.value.code == "savings_account_not_empty"
    assert "Rp 100.000" in e.value.message
    assert _counts() == before
    sukarela.refresh_from_db()
    assert sukarela.status == "open" and sukarela.balance == D("130000")


def test_api_refuses_the_cancellation_below_minimum_with_the_message(
    sukarela, teller, bendahara, today, tenant_a
):
    from django.test import Client

    from tenants.services import tenant_host

    teller_deposit(account=sukarela, amount=D("100000"), channel="cash", on=today, by=teller)
    second = teller_deposit(
        account=sukarela, amount=D("30000"), channel="cash", on=today, by=teller
    )
    teller_withdraw(account=sukarela, amount=D("70000"), channel="cash", on=today, by=teller)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(bendahara)
    r = c.post(
        f"/api/v1/savings/transactions/{second.pk}/reverse/",
        {"reason": "salah setor"},
        content_type="application/json",
    )
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "savings_below_minimum" and "Rp 50.000" in err["message"]


def test_screen_cancels_and_closes_with_the_checkbox(sukarela, teller, bendahara, today, tenant_a):
    from django.test import Client
    from django.urls import reverse

    from tenants.services import tenant_host

    txn = teller_deposit(account=sukarela, amount=D("30000"), channel="cash", on=today, by=teller)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(bendahara)
    url = reverse("savings:transaction_reverse", args=[txn.pk])
    r = c.post(url, {"reason": "salah anggota", "confirmed": "1"}, follow=True)
    assert "di bawah saldo minimum" in r.content.decode()
    assert "Rp 50.000" in r.content.decode()
    sukarela.refresh_from_db()
    assert sukarela.balance == D("30000")
    r = c.post(url, {"reason": "salah anggota", "close_account": "1"})
    assert "Rekening ditutup bersama pembatalan ini." in r.content.decode()
    c.post(url, {"reason": "salah anggota", "close_account": "1", "confirmed": "1"})
    sukarela.refresh_from_db()
    assert sukarela.status == "closed" and sukarela.balance == 0
