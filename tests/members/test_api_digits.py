"""NIP, NIK and phone typed or pasted with non-ASCII digits (fullwidth ``１２３``,
Arabic-Indic ``١٢٣``: a copy from a PDF or a phone keyboard): Python's ``\\d`` and ``int``
take them, the database's ``[0-9]`` checks do not. The API answers a 400 naming the field
(not a 500 from the database) and registers nobody."""

import json

import pytest
from django.test import Client

from core.members.models import Member
from tests.members import factories as f

HOST = "alpha.localhost"
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def api(in_tenant_a):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(f.user("petugas"))
    return c


@pytest.mark.parametrize("field", ["nip", "nik", "phone"])
def test_non_ascii_digits_refused_on_the_field(api, field):
    agency = f.agency()
    nip, nik = f.unique_ids()
    body = {
        "full_name": "Ani",
        "nip": nip,
        "nik": nik,
        "agency": agency.pk,
        "join_date": "2021-01-04",
        "phone": "081234567890",
    }
    body[field] = body[field].translate(FULLWIDTH)
    r = api.post("/api/v1/members/", json.dumps(body), "application/json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]
    assert not Member.objects.filter(nip=nip).exists()
