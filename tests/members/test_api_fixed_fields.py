"""A member's number and join date are set at registration; the API's PATCH/PUT does not
change them. Sending one used to answer 200 with the old value (the client believed the
change was made): now it is a 400 naming the field, in Bahasa Indonesia, and nothing —
not even the other fields of the same request — changes."""

import json

import pytest
from django.test import Client

from core.members.models import Member, MemberChange
from tests.members import factories as f

HOST = "alpha.localhost"


@pytest.fixture
def api(in_tenant_a):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(f.user("petugas"))
    return c


@pytest.mark.parametrize(("field", "value"), [("number", "B-0001"), ("join_date", "2015-01-02")])
@pytest.mark.parametrize("method", ["patch", "put"])
def test_fixed_field_in_an_update_is_refused(api, field, value, method):
    m = f.member(full_name="Sri Handayani")
    r = getattr(api, method)(
        f"/api/v1/members/{m.pk}/",
        json.dumps({field: value, "full_name": "Sri Handayani Putri"}),
        "application/json",
    )
    assert r.status_code == 400, (r.status_code, r.content[:300])
    err = r.json()["error"]
    assert list(err["fields"]) == [field]
    assert "tidak dapat diubah" in err["fields"][field][0]
    fresh = Member.objects.get(pk=m.pk)
    assert (fresh.number, fresh.join_date, fresh.full_name) == (
        m.number,
        m.join_date,
        "Sri Handayani",
    )
    assert not MemberChange.objects.filter(member=m).exists()


def test_the_same_number_and_join_date_sent_back_unchanged_are_accepted(api):
    """A client that GETs the member and sends the whole object back is not refused for
    fields it did not change."""
    m = f.member(full_name="Sri Handayani")
    body = api.get(f"/api/v1/members/{m.pk}/").json()
    body["full_name"] = "Sri Handayani Putri"
    for k in ("heirs", "agency_name", "id", "created_at", "updated_at", "take_home_pay"):
        body.pop(k)
    r = api.put(f"/api/v1/members/{m.pk}/", json.dumps(body), "application/json")
    assert r.status_code == 200, r.content[:300]
    assert Member.objects.get(pk=m.pk).full_name == "Sri Handayani Putri"
