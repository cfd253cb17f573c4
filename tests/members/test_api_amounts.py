"""The member API reads the take home pay like every other API amount, with the one
rupiah parser: ``"7.500.000"`` is seven and a half million; sen, text or a negative is a
400 in Bahasa Indonesia naming the field, and nothing changes."""

import pytest
from django.test import Client

from core.members.models import Member
from tests.members import factories as f

HOST = "alpha.localhost"


@pytest.fixture
def api(in_tenant_a):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(f.user("petugas"))
    return c


def _create(api, **extra):
    nip, nik = f.unique_ids()
    body = {
        "full_name": "Rina Ranan",
        "nip": nip,
        "nik": nik,
        "agency": f.agency().pk,
        "join_date": "2023-02-01",
        **extra,
    }
    return api.post("/api/v1/members/", body, content_type="application/json")


@pytest.mark.parametrize(
    "typed,stored",
    [("7.500.000", "7500000.00"), ("Rp 7.500.000", "7500000.00"), (7500000, "7500000.00")],
)
def test_take_home_pay_as_people_write_it(api, typed, stored):
    r = _create(api, take_home_pay=typed)
    assert r.status_code == 201, r.content
    assert r.json()["take_home_pay"] == stored
    assert str(Member.objects.get(pk=r.json()["id"]).take_home_pay) == stored


def test_take_home_pay_may_be_left_out_or_empty(api):
    r = _create(api)
    assert r.status_code == 201 and r.json()["take_home_pay"] is None
    mid = r.json()["id"]
    r = api.patch(
        f"/api/v1/members/{mid}/",
        {"take_home_pay": "8.250.000", "reason": "Slip gaji baru"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["take_home_pay"] == "8250000.00"
    r = api.patch(
        f"/api/v1/members/{mid}/",
        {"take_home_pay": "", "reason": "Tidak diketahui"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["take_home_pay"] is None


@pytest.mark.parametrize(
    "bad,words",
    [
        ("7.500.000,50", "tanpa sen"),
        ("tujuh juta", "bukan angka rupiah yang jelas"),
        ("-7.500.000", "tidak boleh negatif"),
        ("2.000.000.000", "terlalu besar"),
    ],
)
def test_bad_take_home_pay_is_a_400_in_indonesian(api, bad, words):
    before = Member.objects.count()
    r = _create(api, take_home_pay=bad)
    assert r.status_code == 400, r.content
    [message] = r.json()["error"]["fields"]["take_home_pay"]
    assert message.startswith("Gaji bersih") and words in message
    assert Member.objects.count() == before
