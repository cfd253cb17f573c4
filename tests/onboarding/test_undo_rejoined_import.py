"""The move-in's undo removes the members its import wrote. A former member brought in
again by the import (same NIP as their old record, which left before) loses only the
new membership: the old record stays as it was."""

from datetime import date

from core.members.models import Heir, Member
from core.members.selectors import member_for_user
from core.members.services import heir_add, member_status_set, member_user_link
from core.onboarding.services import move_in_undo
from core.savings.member_import import member_import_run, member_import_upload
from tests.members import factories as f
from tests.members.test_import import rows as member_rows
from tests.members.test_import import to_csv


def test_undo_keeps_the_old_record_of_a_member_who_joined_again(moved, by, staff, cutover):
    old = f.member(full_name="Anggota Lama")
    member_status_set(member=old, status="retired", on=date(2015, 6, 30), reason="x", by="t")
    data = member_rows(2)
    data[0].update(nip=old.nip, nik=old.nik)
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=cutover, by=by)
    new = Member.objects.get(nip=old.nip, status="active")
    assert new.previous_member_id == old.pk
    move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    assert not Member.objects.filter(pk=new.pk).exists()
    kept = Member.objects.get(pk=old.pk)
    assert (kept.status, kept.exit_date) == ("retired", date(2015, 6, 30))


def test_undo_gives_the_login_back_and_keeps_the_old_heirs(moved, by, staff, cutover):
    """The import copied the old record's heirs to the new membership and moved the
    portal login to it: the undo removes the copies with the new membership and gives
    the login back to the old record (in its history), instead of refusing."""
    u = f.user("anggota")
    old = f.member(full_name="Anggota Lama")
    member_user_link(member=old, user=u, by="t")
    heir_add(member=old, by="t", full_name="Siti Aminah", relationship="istri", share_percent=100)
    member_status_set(member=old, status="retired", on=date(2015, 6, 30), reason="x", by="t")
    data = member_rows(2)
    data[0].update(nip=old.nip, nik=old.nik)
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=by)
    member_import_run(batch=batch, opening_date=cutover, by=by)
    new = Member.objects.get(nip=old.nip, status="active")
    assert member_for_user(u) == new and new.heirs.count() == 1
    move_in_undo(move_in=moved, reason="salah tanggal", by=staff["admin"])
    assert not Member.objects.filter(pk=new.pk).exists()
    assert member_for_user(u) == old
    assert [(h.full_name, h.is_active) for h in Heir.objects.filter(member=old)] == [
        ("Siti Aminah", True)
    ]
    assert not Heir.objects.exclude(member=old).filter(full_name="Siti Aminah").exists()
    back = old.changes.filter(field="user", new_value=str(u.pk)).latest("id")
    assert back.reason == "Pembatalan pindah ke Lumbung: salah tanggal"
