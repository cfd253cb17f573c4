"""The database itself keeps a member who has left read-only (migration 0009): a direct
UPDATE of any of their columns is refused, naming the columns; only the exit's reversal,
the portal login taken off (or given back by a later membership) and ``updated_at``
pass. Their heirs are not added, changed or deleted. A refusal reaching a view reads as
the services' own (``member_not_active``, 409), never a server error."""

import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from rest_framework.views import APIView

from core.common.db_refusals import db_refusal_error
from core.common.middleware import DbRefusalMiddleware
from core.members.models import Heir, Member
from core.members.services import heir_add, member_status_set
from tests.members import factories as f

LEFT_ON = date(2024, 5, 31)


@pytest.fixture
def left(in_tenant_a):
    m = f.member(full_name="Sri Handayani", take_home_pay=D("5000000"))
    heir_add(member=m, by="tests", full_name="Budi", relationship="anak")
    return member_status_set(member=m, status="resigned", on=LEFT_ON, reason="x", by="tests")


def _sql(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)


def _refused(sql: str, params=()) -> IntegrityError:
    with pytest.raises(IntegrityError) as e:
        _sql(sql, params)
    return e.value


def _snapshot(pk: int) -> dict:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (to_jsonb(m) - 'updated_at')::text FROM members_member m WHERE id = %s", [pk]
        )
        return json.loads(cur.fetchone()[0])


def _protected_values(left: Member) -> dict:
    other_agency = f.agency("DINKES", "Dinas Kesehatan")
    earlier = f.member()
    return {
        "number": "Z99999",
        "full_name": "Sri H.",
        "nip": f.make_nip(9001),
        "nik": f.make_nik(9001),
        "gender": "P" if left.gender == "L" else "L",
        "birth_date": date(1980, 1, 1),
        "golongan": "IV/a",
        "position": "Kepala",
        "agency_id": other_agency.pk,
        "join_date": date(2001, 1, 1),
        "status": "deceased",
        "exit_date": date(2024, 6, 30),
        "exit_reason": "lain",
        "address": "Jl. Baru",
        "phone": "+6281234567890",
        "email": "baru@contoh.id",
        "bank_name": "BRI",
        "bank_account_number": "123",
        "bank_account_holder": "Sri",
        "take_home_pay": D("9000000"),
        "previous_member_id": earlier.pk,
        "created_at": "2020-01-01T00:00:00Z",
    }


PROTECTED = [
    "number",
    "full_name",
    "nip",
    "nik",
    "gender",
    "birth_date",
    "golongan",
    "position",
    "agency_id",
    "join_date",
    "status",
    "exit_date",
    "exit_reason",
    "address",
    "phone",
    "email",
    "bank_name",
    "bank_account_number",
    "bank_account_holder",
    "take_home_pay",
    "previous_member_id",
    "created_at",
]


@pytest.mark.parametrize("column", PROTECTED)
def test_direct_update_of_a_member_who_left_is_refused(left, column):
    value = _protected_values(left)[column]
    before = _snapshot(left.pk)
    err = _refused(f"UPDATE members_member SET {column} = %s WHERE id = %s", [value, left.pk])
    diag = err.__cause__.diag
    assert diag.constraint_name == "members_member_left_read_only"
    assert column in diag.message_primary and left.number in diag.message_primary
    assert json.loads(diag.message_detail)["columns"] == [column]
    assert _snapshot(left.pk) == before


def test_refusal_names_every_column_changed(left):
    err = _refused(
        "UPDATE members_member SET full_name = 'X', bank_account_number = '9' WHERE id = %s",
        [left.pk],
    )
    assert json.loads(err.__cause__.diag.message_detail)["columns"] == [
        "bank_account_number",
        "full_name",
    ]


def test_only_updated_at_or_the_same_values_pass(left):
    _sql("UPDATE members_member SET updated_at = now() WHERE id = %s", [left.pk])
    _sql("UPDATE members_member SET full_name = full_name WHERE id = %s", [left.pk])
    assert Member.objects.get(pk=left.pk).full_name == "Sri Handayani"


def test_exit_reversal_passes_but_may_not_carry_other_changes(left):
    err = _refused(
        "UPDATE members_member SET status = 'active', exit_date = NULL, exit_reason = '',"
        " full_name = 'Lain' WHERE id = %s",
        [left.pk],
    )
    assert json.loads(err.__cause__.diag.message_detail)["columns"] == ["full_name"]
    _sql(
        "UPDATE members_member SET status = 'active', exit_date = NULL, exit_reason = ''"
        " WHERE id = %s",
        [left.pk],
    )
    m = Member.objects.get(pk=left.pk)
    assert (m.status, m.exit_date, m.exit_reason) == ("active", None, "")
    # active again: editable again
    _sql("UPDATE members_member SET full_name = 'Sri H.' WHERE id = %s", [left.pk])
    assert Member.objects.get(pk=left.pk).full_name == "Sri H."


def test_a_login_is_not_given_to_a_member_who_left(left):
    login = f.user("anggota")
    _refused("UPDATE members_member SET user_id = %s WHERE id = %s", [login.pk, left.pk])
    assert Member.objects.get(pk=left.pk).user_id is None


def test_a_login_is_taken_off_a_member_who_left_and_given_back_by_the_later_membership(
    in_tenant_a,
):
    login = f.user("anggota")
    m = f.member(full_name="Sri Handayani")
    Member.objects.filter(pk=m.pk).update(user=login)
    m = member_status_set(
        member=Member.objects.get(pk=m.pk), status="resigned", on=LEFT_ON, reason="x", by="t"
    )
    # moved off (member_rejoin_carry): allowed
    _sql("UPDATE members_member SET user_id = NULL WHERE id = %s", [m.pk])
    assert Member.objects.get(pk=m.pk).user_id is None
    # given back only while a later membership of the person exists (the move-in's undo)
    _refused("UPDATE members_member SET user_id = %s WHERE id = %s", [login.pk, m.pk])
    later = f.member(nip=m.nip, nik=m.nik)  # joins again
    assert later.previous_member_id == m.pk
    _sql("UPDATE members_member SET user_id = %s WHERE id = %s", [login.pk, m.pk])
    assert Member.objects.get(pk=m.pk).user_id == login.pk


def test_a_login_deleted_leaves_the_member_who_left_without_it(in_tenant_a):
    login = f.user("anggota")
    m = f.member()
    Member.objects.filter(pk=m.pk).update(user=login)
    member_status_set(
        member=Member.objects.get(pk=m.pk), status="retired", on=LEFT_ON, reason="x", by="t"
    )
    login.delete()  # Member.user is SET_NULL
    assert Member.objects.get(pk=m.pk).user_id is None


def test_heirs_of_a_member_who_left_are_not_added_changed_or_deleted(left):
    heir = Heir.objects.get(member=left)
    for sql, params in [
        (
            "INSERT INTO members_heir (member_id, full_name, relationship, nik, phone, address,"
            " share_percent, is_active, created_at) VALUES (%s, 'Ani', 'anak', '', '', '', 50,"
            " true, now())",
            [left.pk],
        ),
        ("UPDATE members_heir SET is_active = false WHERE id = %s", [heir.pk]),
        ("UPDATE members_heir SET share_percent = 50 WHERE id = %s", [heir.pk]),
        ("DELETE FROM members_heir WHERE id = %s", [heir.pk]),
    ]:
        err = _refused(sql, params)
        assert err.__cause__.diag.constraint_name == "members_heir_left_read_only"
    assert [
        (h.full_name, h.is_active, h.share_percent) for h in Heir.objects.filter(member=left)
    ] == [("Budi", True, D("100"))]


def test_an_heir_is_not_moved_onto_or_off_a_member_who_left(left):
    active = f.member()
    mine = heir_add(member=active, by="tests", full_name="Ani", relationship="anak")
    _refused("UPDATE members_heir SET member_id = %s WHERE id = %s", [left.pk, mine.pk])
    theirs = Heir.objects.get(member=left)
    _refused("UPDATE members_heir SET member_id = %s WHERE id = %s", [active.pk, theirs.pk])


def test_heirs_of_an_active_member_change_freely(in_tenant_a):
    m = f.member()
    heir = heir_add(member=m, by="tests", full_name="Ani", relationship="anak")
    _sql("UPDATE members_heir SET share_percent = 50 WHERE id = %s", [heir.pk])
    _sql("DELETE FROM members_heir WHERE id = %s", [heir.pk])
    assert not Heir.objects.filter(member=m).exists()


# --- the refusal read as the services' own -------------------------------------------


def _caught(left) -> IntegrityError:
    try:
        _sql("UPDATE members_member SET full_name = 'X' WHERE id = %s", [left.pk])
    except IntegrityError as e:
        return e
    raise AssertionError("not refused")


def test_refusal_maps_to_the_member_not_active_error(left):
    err = db_refusal_error(_caught(left))
    assert err is not None and err.code == "member_not_active" and err.status_code == 409
    assert "Sri Handayani" in err.message and "31 Mei 2024" in err.message
    assert "sudah keluar" in err.message


def test_heir_refusal_maps_to_the_heir_error(left):
    try:
        _sql("DELETE FROM members_heir WHERE member_id = %s", [left.pk])
    except IntegrityError as e:
        err = db_refusal_error(e)
    assert err is not None and err.code == "member_not_active" and err.status_code == 409
    assert "ahli warisnya tidak dapat diubah" in err.message


def test_other_database_errors_are_not_mapped(in_tenant_a):
    try:
        _sql("UPDATE members_member SET nip = 'x' WHERE id = %s", [f.member().pk])
    except IntegrityError as e:
        assert db_refusal_error(e) is None


def test_api_answers_the_refusal_as_the_json_error(left):
    handler = APIView().get_exception_handler()  # the project's one handler
    r = handler(_caught(left), {})
    assert r.status_code == 409
    assert r.data["error"]["code"] == "member_not_active"
    assert "sudah keluar" in r.data["error"]["message"]


@pytest.mark.parametrize(
    ("path", "json_answer"), [("/api/v1/members/1/", True), ("/anggota/1/ubah/", False)]
)
def test_a_view_hitting_the_refusal_answers_409_not_500(left, path, json_answer):
    request = RequestFactory().post(path)
    request.user = f.user("petugas")
    r = DbRefusalMiddleware(lambda req: None).process_exception(request, _caught(left))
    assert r is not None and r.status_code == 409
    body = r.content.decode()
    if json_answer:
        assert json.loads(body)["error"]["code"] == "member_not_active"
    else:
        assert "sudah keluar" in body and "Sri Handayani" in body
