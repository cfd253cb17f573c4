"""The kartu simpanan through the API for a period typed the wrong way round gives the
figures of the period meant, as the staff screen, the member portal and the ledger's
reports do (it gave an empty period whose "closing" was the balance before it); a date
that is not one is refused naming that field."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.savings.selectors import savings_statement
from core.savings.services import savings_account_open, teller_deposit, teller_withdraw
from tests.members import factories as f

D = Decimal


@pytest.fixture
def account(products, teller, year):
    acc = savings_account_open(
        member=f.member(), product=products["sukarela"], on=date(year, 10, 1)
    )
    teller_deposit(
        account=acc, amount=D("1000000"), channel="cash", on=date(year, 10, 5), by=teller
    )
    teller_deposit(
        account=acc, amount=D("500000"), channel="cash", on=date(year, 11, 10), by=teller
    )
    teller_withdraw(
        account=acc, amount=D("200000"), channel="cash", on=date(year, 11, 20), by=teller
    )
    return acc


@pytest.fixture
def staff(tenant_a, in_tenant_a):
    from tenants.services import tenant_host

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(f.user("bendahara"))
    return c


def _api(staff, account, **params):
    return staff.get(f"/api/v1/savings/statements/{account.member_id}/", params)


def _mine(body, account):
    return next(a for a in body["accounts"] if a["account"]["id"] == account.pk)


def test_a_period_the_wrong_way_round_gives_the_period_meant(staff, account, year):
    r = _api(staff, account, date_from=f"{year}-11-30", date_to=f"{year}-11-01")
    assert r.status_code == 200
    body = r.json()
    assert (body["date_from"], body["date_to"]) == (f"{year}-11-01", f"{year}-11-30")
    mine = _mine(body, account)
    assert (mine["opening"], mine["closing"]) == ("1000000.00", "1300000.00")
    assert [t["running_balance"] for t in mine["transactions"]] == ["1500000.00", "1300000.00"]
    # the screen's figures, the same selector the portal uses
    (screen,) = [
        s
        for s in savings_statement(
            member=account.member, date_from=date(year, 11, 1), date_to=date(year, 11, 30)
        )
        if s.account.pk == account.pk
    ]
    assert (screen.opening, screen.closing) == (D("1000000"), D("1300000"))


@pytest.mark.parametrize("field", ["date_from", "date_to"])
def test_a_date_that_is_not_one_is_refused_naming_its_field(staff, account, field, year):
    r = _api(staff, account, **{field: f"{year}-02-30"})
    assert r.status_code == 400
    assert list(r.json()["error"]["fields"]) == [field]
