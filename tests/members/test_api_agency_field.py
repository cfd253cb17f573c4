"""The member API's ``agency`` field answers a wrong value in Bahasa Indonesia, naming the
instansi, not with DRF's English or technical wording ("Incorrect type. Expected pk
value", "primary key")."""

import json

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


@pytest.mark.parametrize(
    ("value", "words"),
    [("abc", "nomor id instansi"), (999999, "Instansi 999999 tidak ditemukan"), ([1], "nomor id")],
)
def test_bad_agency_is_a_400_in_indonesian(api, value, words):
    nip, nik = f.unique_ids()
    body = {
        "full_name": "Rina Ranan",
        "nip": nip,
        "nik": nik,
        "agency": value,
        "join_date": "2023-02-01",
    }
    r = api.post("/api/v1/members/", json.dumps(body), "application/json")
    assert r.status_code == 400
    msg = r.json()["error"]["fields"]["agency"][0]
    assert words in msg, msg
    assert "primary key" not in msg and "Incorrect" not in msg
    assert not Member.objects.filter(nip=nip).exists()
