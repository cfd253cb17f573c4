"""``GET /api/v1/members/rejoin-check/?nip=&nik=``: the registration form's live check
in the API. A former member's NIP/NIK answers who they were (number, name, exit date,
status), the heirs the new membership will copy and whether the portal login moves; a
current or deceased member's, or two people's, is refused with the registration's own
JSON error; nothing is written. Only those who register members may ask."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client

from core.members.models import Heir, Member
from core.members.services import (
    heir_add,
    heir_deactivate,
    member_create,
    member_status_set,
    member_user_link,
)
from tests.members import factories as f

URL = "/api/v1/members/rejoin-check/"
LEFT_ON = date(2024, 5, 31)


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


def _client(client_a, role: str = "petugas") -> Client:
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user(role))
    return c


@pytest.fixture
def clerk(client_a, agency):
    return _client(client_a)


def _leave(m: Member, status: str = "resigned", on: date = LEFT_ON) -> Member:
    return member_status_set(member=m, status=status, on=on, reason="uji", by="tests")


def _error(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.content[:300]
    err = r.json()["error"]
    assert err["code"] == code, err
    return err


def test_a_former_member_is_named_with_the_heirs_copied_and_the_login_moving(agency, clerk):
    old = f.member(agency_obj=agency, full_name="Rahmat Hidayat")
    heir_add(member=old, by="t", full_name="Siti Aminah", relationship="istri", share_percent=D(60))
    gone = heir_add(member=old, by="t", full_name="Budi", relationship="anak", share_percent=D(40))
    heir_deactivate(heir=gone, by="t", reason="salah catat")
    heir_add(member=old, by="t", full_name="Ani", relationship="anak", share_percent=D("33.5"))
    member_user_link(member=old, user=f.user("anggota"), by="tests")
    _leave(old)
    members, heirs = Member.objects.count(), Heir.objects.count()

    r = clerk.get(URL, {"nip": old.nip})
    assert r.status_code == 200, r.content[:300]
    body = r.json()
    assert body["rejoin"] is True
    assert body["previous_member"] == {
        "id": old.pk,
        "number": old.number,
        "full_name": "Rahmat Hidayat",
        "exit_date": "2024-05-31",
        "status": "resigned",
        "status_display": "Keluar",
    }
    assert body["note"] == (
        f"Anggota ini pernah terdaftar sebagai No. {old.number}, keluar tanggal 31 Mei 2024 "
        "(Keluar)."
    )
    # the active heirs only, as member_rejoin_carry copies them
    assert [(h["full_name"], h["relationship"], h["share_percent"]) for h in body["heirs"]] == [
        ("Siti Aminah", "istri", "60.00"),
        ("Ani", "anak", "33.50"),
    ]
    assert [h["label"] for h in body["heirs"]] == ["Siti Aminah (istri, 60%)", "Ani (anak, 33,5%)"]
    assert body["login_moves"] is True
    # a question only: nothing written
    assert (Member.objects.count(), Heir.objects.count()) == (members, heirs)
    # the NIK alone finds them too
    assert clerk.get(URL, {"nik": old.nik}).json()["previous_member"]["id"] == old.pk


def test_the_answer_is_what_the_registration_then_carries_over(agency, clerk):
    old = f.member(agency_obj=agency)
    heir_add(member=old, by="t", full_name="Siti", relationship="istri", share_percent=D(100))
    _leave(old, "retired")
    body = clerk.get(URL, {"nip": old.nip, "nik": old.nik}).json()
    assert body["login_moves"] is False and body["previous_member"]["status"] == "retired"
    new = member_create(
        by="tests",
        full_name=old.full_name,
        nip=old.nip,
        nik=old.nik,
        agency=agency,
        join_date=date(2025, 1, 6),
    )
    assert new.previous_member_id == body["previous_member"]["id"]
    assert [h.full_name for h in new.heirs.all()] == [h["full_name"] for h in body["heirs"]]
    assert new.user_id is None


def test_a_person_new_to_the_cooperative_is_no_rejoin(agency, clerk):
    nip, nik = f.unique_ids()
    r = clerk.get(URL, {"nip": nip, "nik": nik})
    assert r.status_code == 200
    assert r.json() == {
        "rejoin": False,
        "previous_member": None,
        "note": "",
        "heirs": [],
        "login_moves": False,
    }


def test_a_current_members_nip_or_nik_is_refused(agency, clerk):
    m = f.member(agency_obj=agency)
    err = _error(clerk.get(URL, {"nip": m.nip}), 400, "member_duplicate_nip")
    assert err["message"] == f"NIP {m.nip} sudah terdaftar sebagai anggota lain."
    assert err["fields"] == {"nip": ["NIP sudah terdaftar."]}
    err = _error(clerk.get(URL, {"nik": m.nik}), 400, "member_duplicate_nik")
    assert err["message"] == f"NIK {m.nik} sudah terdaftar sebagai anggota lain."


def test_a_deceased_members_nip_is_refused(agency, clerk):
    dead = _leave(f.member(agency_obj=agency), "deceased", date(2024, 8, 17))
    err = _error(clerk.get(URL, {"nip": dead.nip}), 400, "member_deceased")
    assert (
        f"NIP {dead.nip} milik anggota No. {dead.number} ({dead.full_name}) yang meninggal "
        "dunia pada 17 Agustus 2024" in err["message"]
    )
    assert "nip" in err["fields"]


def test_nip_and_nik_of_two_different_former_members_are_refused(agency, clerk):
    a = _leave(f.member(agency_obj=agency))
    b = _leave(f.member(agency_obj=agency))
    err = _error(clerk.get(URL, {"nip": a.nip, "nik": b.nik}), 400, "member_rejoin_conflict")
    assert f"anggota lama No. {a.number}" in err["message"]
    assert f"anggota lama No. {b.number}" in err["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "nip"),
        ({"nip": "", "nik": ""}, "nik"),
        ({"nip": "12345"}, "nip"),
        ({"nip": "x" * 18}, "nip"),
        ({"nik": "1" * 17}, "nik"),
    ],
)
def test_missing_or_malformed_nip_nik_is_a_validation_error(agency, clerk, params, field):
    err = _error(clerk.get(URL, params), 400, "validation_error")
    assert err["fields"][field]


def test_a_nip_one_digit_too_long_is_refused_not_looked_up(agency, clerk):
    old = _leave(f.member(agency_obj=agency))
    r = clerk.get(URL, {"nip": old.nip + "1"})
    _error(r, 400, "validation_error")
    assert old.number.encode() not in r.content


def test_another_cooperatives_former_member_is_not_known_here(tenant_a, tenant_b, client_a):
    connection.set_tenant(tenant_b)
    theirs = _leave(f.member(agency_obj=f.agency("BKD", "BKD"), full_name="Orang Beta"))
    connection.set_tenant(tenant_a)
    r = _client(client_a).get(URL, {"nip": theirs.nip, "nik": theirs.nik})
    assert r.status_code == 200 and r.json()["rejoin"] is False
    assert b"Orang Beta" not in r.content


@pytest.mark.parametrize("role", ["pengawas", "anggota"])
def test_only_staff_who_register_members_may_ask(agency, client_a, role):
    old = _leave(f.member(agency_obj=agency))
    r = _client(client_a, role).get(URL, {"nip": old.nip})
    _error(r, 403, "permission_denied")
    assert old.number.encode() not in r.content


@pytest.mark.parametrize("role", ["admin", "ketua", "bendahara", "petugas"])
def test_those_who_register_members_may_ask(agency, client_a, role):
    old = _leave(f.member(agency_obj=agency))
    r = _client(client_a, role).get(URL, {"nip": old.nip})
    assert r.status_code == 200 and r.json()["previous_member"]["number"] == old.number


def test_anonymous_is_refused(agency, client_a):
    old = _leave(f.member(agency_obj=agency))
    r = client_a.get(URL, {"nip": old.nip})
    assert r.status_code in (401, 403)
    assert old.number.encode() not in r.content


def test_only_get_is_answered(agency, clerk):
    old = _leave(f.member(agency_obj=agency))
    r = clerk.post(URL, {"nip": old.nip})
    _error(r, 405, "method_not_allowed")
