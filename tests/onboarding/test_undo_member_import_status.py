"""The move-in's undo removes its member import's members: the import batch then says so
(status "undone", its list and page, the move-in's API) instead of still reading
"Sudah diimpor", and it cannot be imported again by mistake."""

import pytest
from django.test import Client

from core.common.errors import ApplicationError
from core.members.models import Member, MemberImport
from core.onboarding.services import move_in_undo

from .helpers import members_import

HOST = "alpha.localhost"


def _login(user):
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


def test_undo_marks_the_member_import_undone(moved, by, staff, cutover):
    members_import(by, cutover)
    batch = MemberImport.objects.get()
    assert batch.status == "imported"
    move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    batch.refresh_from_db()
    assert batch.status == "undone" and batch.undone_at is not None
    assert batch.get_status_display() == "Dibatalkan"


def test_import_list_and_page_show_the_batch_undone(moved, by, staff, cutover):
    members_import(by, cutover)
    batch = MemberImport.objects.get()
    move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    c = _login(by)
    page = c.get("/anggota/impor/").content.decode()
    assert "Dibatalkan" in page and "Sudah diimpor" not in page
    detail = c.get(f"/anggota/impor/{batch.pk}/").content.decode()
    assert "Sudah diimpor" not in detail
    assert "dibatalkan bersama pindah ke Lumbung" in detail


def test_an_undone_import_is_not_imported_again(moved, by, staff, cutover):
    from core.savings.member_import import member_import_run

    members_import(by, cutover)
    batch = MemberImport.objects.get()
    before = Member.objects.count()
    move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    after_undo = Member.objects.count()
    assert after_undo == before - 2
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=cutover, by=by)
    assert "dibatalkan" in e.value.message
    assert Member.objects.count() == after_undo
    batch.refresh_from_db()
    assert batch.status == "undone"


def test_undo_by_api_lists_the_member_import_undone(moved, by, staff, cutover):
    members_import(by, cutover)
    batch = MemberImport.objects.get()
    c = _login(staff["admin"])
    r = c.get("/api/v1/onboarding/")
    assert r.status_code == 200, r.content
    got = r.json()["move_in"]["member_imports"]
    assert [(x["id"], x["file_name"], x["status"], x["members"]) for x in got] == [
        (batch.pk, "a.csv", "imported", 2)
    ]
    r = c.post("/api/v1/onboarding/undo/", {"reason": "salah tanggal"}, "application/json")
    assert r.status_code == 200, r.content
    got = r.json()["move_in"]["member_imports"]
    assert [(x["id"], x["status"]) for x in got] == [(batch.pk, "undone")]
    assert got[0]["undone_at"]
