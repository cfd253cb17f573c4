"""An SHU payout credited to sukarela and dated back (the API's ``on``) into a month
whose jasa simpanan was run already: the jasa was paid on balances the credit would
change after the fact. The savings module's rule for back-dated cancellations
(``interest_run_through``) refuses it, nothing written; cash and transfer are not held
by it, and a date after that month is accepted."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from core.common.errors import ApplicationError
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsAccount, SavingsProduct
from core.yearend.models import MemberShare, ShuPayout
from core.yearend.services import shu_payout, shu_post, yearend_close
from tenants.services import tenant_host

from .conftest import YEAR, close_preliminaries, interest_run_in_order

D = Decimal
RAT = date(YEAR + 1, 3, 1)
URL = f"/api/v1/yearend/{YEAR}/payout/"


@pytest.fixture
def march_interest_run(tenant_a, year_data, staff):
    """The year closed, its SHU posted on 1 March; the sukarela jasa of March run."""
    by = staff["bendahara"]
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    ye = shu_post(year=YEAR, rat_date=RAT, rat_decision="07/RAT", by=by)
    product = SavingsProduct.objects.get(kind="sukarela", interest_enabled=True)
    interest_run_in_order(product=product, year=YEAR + 1, month=3, by=by)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(by)
    shares = {s.member_id: s for s in MemberShare.objects.filter(year_end=ye)}
    return year_data | {"client": c, "shares": shares}


def _owed(member) -> Decimal:
    return account_balance(account=account_for_role("shu_members_payable"), member_id=member.pk)


def test_credit_dated_into_a_month_whose_jasa_ran_is_refused(march_interest_run):
    c, m1, m2 = march_interest_run["client"], march_interest_run["m1"], march_interest_run["m2"]
    acc = SavingsAccount.objects.get(member=m1, product__kind="sukarela")
    before = acc.balance
    body = {
        "method": "sukarela",
        "on": date(YEAR + 1, 3, 10).isoformat(),
        "items": [{"member_id": m1.pk}, {"member_id": m2.pk}],
    }
    r = c.post(URL, body, content_type="application/json")
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "shu_payout_interest_run"
    assert f"Simpanan Sukarela bulan Maret {YEAR + 1} sudah dihitung" in err["message"], err
    assert f"03/{YEAR + 1}" not in err["message"]
    assert "on" in err["fields"]
    acc.refresh_from_db()
    assert acc.balance == before and not ShuPayout.objects.exists()
    assert _owed(m1) == march_interest_run["shares"][m1.pk].total
    # after the month whose jasa ran: credited
    r = c.post(
        URL, body | {"on": date(YEAR + 1, 4, 1).isoformat()}, content_type="application/json"
    )
    assert r.status_code == 201, r.content
    acc.refresh_from_db()
    assert acc.balance == before + march_interest_run["shares"][m1.pk].total


def test_the_service_refuses_the_same_for_all_or_nothing_batches(march_interest_run, staff):
    m1 = march_interest_run["m1"]
    with pytest.raises(ApplicationError) as exc:
        shu_payout(
            year=YEAR,
            items=[(m1.pk, None)],
            method="sukarela",
            by=staff["bendahara"],
            on=date(YEAR + 1, 3, 31),
        )
    assert exc.value.code == "shu_payout_interest_run"


def test_the_refusal_names_the_month_in_words_in_english(march_interest_run):
    c, m1 = march_interest_run["client"], march_interest_run["m1"]
    body = {"method": "sukarela", "on": date(YEAR + 1, 3, 10).isoformat()}
    body["items"] = [{"member_id": m1.pk}]
    r = c.post(URL, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400, r.content
    message = r.json()["error"]["message"]
    assert f"March {YEAR + 1}" in message and f"03/{YEAR + 1}" not in message, message
    assert not ShuPayout.objects.exists()


def test_cash_dated_back_into_that_month_is_not_held(march_interest_run, staff):
    m1 = march_interest_run["m1"]
    [p] = shu_payout(
        year=YEAR,
        items=[(m1.pk, None)],
        method="cash",
        by=staff["bendahara"],
        on=date(YEAR + 1, 3, 10),
    )
    assert p.amount == march_interest_run["shares"][m1.pk].total and _owed(m1) == 0
