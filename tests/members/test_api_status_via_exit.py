"""A member's status and exit date change only through the exit settlement (*Keluar*),
which pays out their savings, offsets their loans and closes their accounts. The API's
member PATCH/PUT and POST used to take ``status`` / ``exit_date`` and drop them silently
under a 200/201 (read-only fields): a client marking a member as resigned believed it
done. Now a different value is a 400 JSON error on the field, in Bahasa Indonesia,
pointing to the exit settlement, and nothing — not even the other fields of the same
request — changes."""

import json

import pytest
from django.test import Client

from core.members.models import Member, MemberChange
from tests.members import factories as f

HOST = "alpha.localhost"


@pytest.fixture
def api(in_tenant_a):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(f.user("bendahara"))
    return c


def _exit_error(r, field: str, member_pk: int | None) -> None:
    assert r.status_code == 400, (r.status_code, r.content[:300])
    err = r.json()["error"]
    assert err["code"] == "member_status_via_exit"
    assert list(err["fields"]) == [field]
    msg = err["message"]
    assert "penyelesaian keluar" in msg and "Keluar" in msg
    if member_pk is not None:
        assert f"/anggota/{member_pk}/keluar/" in msg
    assert err["fields"][field] == [msg]


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "resigned"), ("status", "deceased"), ("exit_date", "2026-01-31")],
)
@pytest.mark.parametrize("method", ["patch", "put"])
def test_a_leaving_status_or_exit_date_in_an_update_is_refused(api, field, value, method):
    m = f.member(full_name="Sri Handayani")
    r = getattr(api, method)(
        f"/api/v1/members/{m.pk}/",
        json.dumps({field: value, "full_name": "Sri Handayani Putri"}),
        "application/json",
    )
    _exit_error(r, field, m.pk)
    fresh = Member.objects.get(pk=m.pk)
    assert (fresh.status, fresh.exit_date, fresh.full_name) == ("active", None, "Sri Handayani")
    assert not MemberChange.objects.filter(member=m).exists()


def test_the_same_status_sent_back_with_the_whole_object_is_accepted(api):
    m = f.member(full_name="Sri Handayani")
    body = api.get(f"/api/v1/members/{m.pk}/").json()
    assert (body["status"], body["exit_date"]) == ("active", None)
    body["full_name"] = "Sri Handayani Putri"
    for k in ("heirs", "agency_name", "id", "created_at", "updated_at", "take_home_pay"):
        body.pop(k)
    r = api.put(f"/api/v1/members/{m.pk}/", json.dumps(body), "application/json")
    assert r.status_code == 200, r.content[:300]
    assert Member.objects.get(pk=m.pk).full_name == "Sri Handayani Putri"


@pytest.mark.parametrize(("field", "value"), [("status", "retired"), ("exit_date", "2025-12-31")])
def test_registering_a_member_as_already_left_is_refused(api, field, value):
    f.agency()
    nip, nik = f.unique_ids()
    agency = f.agency()
    before = Member.objects.count()
    r = api.post(
        "/api/v1/members/",
        json.dumps(
            {
                "full_name": "Budi Santoso",
                "nip": nip,
                "nik": nik,
                "agency": agency.pk,
                "join_date": "2015-01-02",
                field: value,
            }
        ),
        "application/json",
    )
    _exit_error(r, field, None)
    assert Member.objects.count() == before


def test_registering_with_status_active_is_accepted(api):
    nip, nik = f.unique_ids()
    agency = f.agency()
    r = api.post(
        "/api/v1/members/",
        json.dumps(
            {
                "full_name": "Budi Santoso",
                "nip": nip,
                "nik": nik,
                "agency": agency.pk,
                "join_date": "2015-01-02",
                "status": "active",
                "exit_date": None,
            }
        ),
        "application/json",
    )
    assert r.status_code == 201, r.content[:300]
    assert Member.objects.get(nip=nip).status == "active"
