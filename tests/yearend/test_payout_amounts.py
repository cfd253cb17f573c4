"""The SHU payout API reads each amount like every other API amount, with the one rupiah
parser: ``"1.000"`` is a thousand rupiah (not 1 with three decimals), ``"Rp 2.500"`` is
2,500; sen, text or a negative is a 400 in Bahasa Indonesia and nothing is paid."""

from datetime import date

import pytest
from django.test import Client

from core.yearend.models import ShuPayout
from core.yearend.services import shu_post, yearend_close
from tenants.services import tenant_host

from .conftest import YEAR


@pytest.fixture
def posted(ready, staff, tenant_a):
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="03/RAT", by=by)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug), raise_request_exception=False)
    c.force_login(by)
    return c, ready["m1"].pk


def _pay(c, member_id, amount):
    return c.post(
        f"/api/v1/yearend/{YEAR}/payout/",
        {
            "method": "cash",
            "on": f"{YEAR + 1}-03-02",
            "items": [{"member_id": member_id, "amount": amount}],
        },
        content_type="application/json",
    )


@pytest.mark.parametrize(
    "typed,paid", [("1.000", "1000.00"), ("Rp 2.500", "2500.00"), (3000, "3000.00")]
)
def test_payout_amount_as_people_write_it(posted, typed, paid):
    c, mid = posted
    r = _pay(c, mid, typed)
    assert r.status_code == 201, r.content
    assert r.json()["paid"][0]["amount"] == paid


@pytest.mark.parametrize(
    "bad,words",
    [
        ("1.000,50", "tanpa sen"),
        ("seribu", "bukan angka rupiah yang jelas"),
        ("-1.000", "tidak boleh negatif"),
    ],
)
def test_bad_payout_amount_is_a_400_in_indonesian(posted, bad, words):
    c, mid = posted
    r = _pay(c, mid, bad)
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    [message] = err["fields"]["items"]["0"]["amount"]
    assert message.startswith("Jumlah") and words in message
    assert not ShuPayout.objects.exists()
