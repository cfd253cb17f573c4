"""The reason given with a change of a member's data through the API (PATCH
/api/v1/members/<id>/): text of at most 300 characters, as on the edit screen, kept in the
member's history; anything else is a 400 naming ``reason`` and nothing changes."""

import json

import pytest
from django.test import Client

from core.members.models import Member, MemberChange
from tests.members import factories as f

HOST = "alpha.localhost"


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def api(in_tenant_a):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(f.user("petugas"))
    return c


def _patch(api, member, body):
    return api.patch(f"/api/v1/members/{member.pk}/", json.dumps(body), "application/json")


@pytest.mark.parametrize("reason", ["a\x00b", ["salah"], {"a": 1}, "x" * 301])
def test_member_update_refuses_a_reason_that_is_not_short_text(api, reason):
    m = f.member(full_name="Sri Handayani")
    r = _patch(api, m, {"full_name": "Sri Handayani Putri", "reason": reason})
    assert r.status_code == 400, (r.status_code, r.content[:300])
    assert list(r.json()["error"]["fields"]) == ["reason"]
    assert Member.objects.get(pk=m.pk).full_name == "Sri Handayani"
    assert not MemberChange.objects.filter(member=m).exists()


def test_member_update_keeps_the_reason_in_the_history(api):
    m = f.member(full_name="Sri Handayani")
    r = _patch(api, m, {"full_name": "Sri Handayani Putri", "reason": "x" * 300})
    assert r.status_code == 200, r.content
    [change] = MemberChange.objects.filter(member=m)
    assert change.new_value == "Sri Handayani Putri" and change.reason == "x" * 300


def test_member_update_without_a_reason(api):
    m = f.member(full_name="Sri Handayani")
    assert _patch(api, m, {"full_name": "Sri Putri"}).status_code == 200
    assert MemberChange.objects.get(member=m).reason == ""
