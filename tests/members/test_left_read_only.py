"""A member who has left is a closed record: its data, agency, take-home pay, heirs and
login link cannot be changed on the screen or through the API (a clear message, nothing
written). Reversing the exit makes it editable again."""

import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client
from django.urls import reverse

from core.common.errors import ApplicationError
from core.members.models import Member, MemberChange
from core.members.services import member_status_set, member_update, member_user_link
from tests.members import factories as f


@pytest.fixture
def left(in_tenant_a):
    m = f.member(full_name="Sri Handayani", take_home_pay=D("5000000"))
    return member_status_set(member=m, status="retired", on=date(2024, 5, 31), reason="x", by="t")


@pytest.fixture
def staff_client(client_a, in_tenant_a):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"], raise_request_exception=False)
    c.force_login(f.user("petugas"))
    return c


def _unchanged(m: Member):
    fresh = Member.objects.get(pk=m.pk)
    assert (fresh.full_name, fresh.agency_id, fresh.take_home_pay) == (
        "Sri Handayani",
        m.agency_id,
        D("5000000"),
    )
    assert not MemberChange.objects.filter(member=m).exclude(field="status").exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"full_name": "Sri H."},
        {"take_home_pay": D("7000000")},
        {"agency": "other"},
    ],
)
def test_service_refuses_to_change_a_member_who_left(left, changes):
    if changes.get("agency") == "other":
        changes = {"agency": f.agency("DINKES", "Dinas Kesehatan")}
    with pytest.raises(ApplicationError) as e:
        member_update(member=left, by="tests", **changes)
    assert e.value.code == "member_not_active"
    assert "sudah keluar" in e.value.message and "31 Mei 2024" in e.value.message
    _unchanged(left)


def test_edit_screen_of_a_member_who_left_refuses_and_changes_nothing(left, staff_client):
    url = reverse("members:edit", args=[left.pk])
    r = staff_client.get(url, follow=True)
    assert "sudah keluar" in r.content.decode()
    assert r.redirect_chain and r.redirect_chain[-1][0] == reverse("members:detail", args=[left.pk])
    r = staff_client.post(
        url,
        {
            "full_name": "Sri H.",
            "nip": left.nip,
            "nik": left.nik,
            "agency": left.agency_id,
            "take_home_pay": "9.000.000",
        },
        follow=True,
    )
    assert "sudah keluar" in r.content.decode()
    _unchanged(left)


def test_api_refuses_to_change_a_member_who_left_with_a_json_error(left, staff_client):
    r = staff_client.patch(
        f"/api/v1/members/{left.pk}/",
        json.dumps({"full_name": "Sri H.", "take_home_pay": "9.000.000"}),
        "application/json",
    )
    assert r.status_code == 409, r.content[:300]
    err = r.json()["error"]
    assert err["code"] == "member_not_active" and "sudah keluar" in err["message"]
    _unchanged(left)


def test_heir_of_a_member_who_left_cannot_be_added_through_the_screen(left, staff_client):
    r = staff_client.post(
        reverse("members:detail", args=[left.pk]),
        {"full_name": "Budi", "relationship": "anak", "share_percent": "100"},
        follow=True,
    )
    assert "sudah keluar" in r.content.decode()
    assert not left.heirs.exists()


def test_login_cannot_be_linked_to_a_member_who_left(left):
    with pytest.raises(ApplicationError) as e:
        member_user_link(member=left, user=f.user("anggota"), by="tests")
    assert e.value.code == "member_not_active"
    assert Member.objects.get(pk=left.pk).user_id is None
