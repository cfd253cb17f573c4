"""A member who left (resigned, retired, moved) may join again: registering their NIP/NIK
makes a NEW membership (new number, new join date, new savings accounts, pokok paid
again) linked to the old record, which stays as it was. An active member's NIP/NIK is
still refused; a deceased member's NIP/NIK is never used again. The database holds NIP
and NIK unique over the members who have not left (and the deceased)."""

import json
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.exits.services import exit_settlement_confirm
from core.members.models import Heir, Member
from core.members.selectors import member_for_user
from core.members.services import (
    heir_add,
    heir_deactivate,
    member_create,
    member_status_set,
    member_user_link,
)
from core.overview.search import search_everything
from core.savings.member_import import member_import_run, member_import_upload
from core.savings.models import SavingsAccount
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.members import factories as f
from tests.members.test_import import OPENING, to_csv
from tests.members.test_import import rows as import_rows
from tests.savings.conftest import products  # noqa: F401

LEFT_ON = date(2024, 5, 31)


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


def _leave(m: Member, status: str = "resigned", on: date = LEFT_ON) -> Member:
    return member_status_set(member=m, status=status, on=on, reason="uji", by="tests")


def _register(agency, m: Member, **kw) -> Member:
    data = {
        "full_name": m.full_name,
        "nip": m.nip,
        "nik": m.nik,
        "agency": agency,
        "join_date": date(2025, 1, 6),
    }
    data.update(kw)
    return member_create(by="tests", **data)


@pytest.mark.parametrize("status", ["resigned", "retired", "moved"])
def test_member_who_left_registers_again_as_a_new_membership_linked_to_the_old(agency, status):
    old = _leave(f.member(agency_obj=agency), status)
    new = _register(agency, old)
    assert new.pk != old.pk
    assert new.number != old.number
    assert new.join_date == date(2025, 1, 6)
    assert new.status == Member.Status.ACTIVE and new.exit_date is None
    assert new.previous_member == old
    old.refresh_from_db()
    assert (old.status, old.exit_date) == (status, LEFT_ON)


def test_rejoined_member_pays_pokok_again_into_new_accounts(agency, products, today):  # noqa: F811
    teller = f.user("petugas")
    old = f.member(agency_obj=agency)
    acc = savings_account_get_or_open(member=old, product=products["pokok"], on=today)
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    # the exit pays the old pokok back and closes the account
    exit_settlement_confirm(member=old, reason="resigned", on=today, by=f.user("bendahara"))
    new = _register(agency, old, join_date=today)
    assert not SavingsAccount.objects.filter(member=new).exists()
    acc2 = savings_account_get_or_open(member=new, product=products["pokok"], on=today)
    assert acc2.pk != acc.pk and acc2.number.startswith(new.number)
    teller_deposit(account=acc2, amount=D("100000"), channel="cash", on=today, by=teller)
    acc2.refresh_from_db()
    assert acc2.balance == D("100000")


def test_active_member_nip_and_nik_are_still_refused(agency):
    m = f.member(agency_obj=agency)
    with pytest.raises(ApplicationError) as e:
        _register(agency, m)
    assert e.value.code == "member_duplicate_nip"
    assert f"NIP {m.nip} sudah terdaftar sebagai anggota lain." == e.value.message
    other_nip, _nik = f.unique_ids()
    with pytest.raises(ApplicationError) as e:
        _register(agency, m, nip=other_nip)
    assert e.value.code == "member_duplicate_nik"
    assert Member.objects.filter(nik=m.nik).count() == 1


def test_rejoined_member_is_refused_a_second_active_membership(agency):
    old = _leave(f.member(agency_obj=agency))
    _register(agency, old)
    with pytest.raises(ApplicationError) as e:
        _register(agency, old)
    assert e.value.code == "member_duplicate_nip"
    assert Member.objects.filter(nip=old.nip).count() == 2


def test_deceased_member_nip_is_never_used_again(agency):
    old = _leave(f.member(agency_obj=agency), "deceased", date(2024, 8, 17))
    with pytest.raises(ApplicationError) as e:
        _register(agency, old)
    assert e.value.code == "member_deceased"
    assert "meninggal" in e.value.message and old.number in e.value.message
    assert "17 Agustus 2024" in e.value.message
    assert Member.objects.filter(nip=old.nip).count() == 1


def test_the_database_refuses_a_second_active_member_with_a_nip_but_keeps_those_who_left(agency):
    old = _leave(f.member(agency_obj=agency))
    fields = {
        "full_name": "X",
        "nip": old.nip,
        "nik": old.nik,
        "agency": agency,
        "join_date": date(2025, 1, 6),
        "gender": old.gender,
        "birth_date": old.birth_date,
    }
    # another old membership with the same identifiers: allowed
    Member.objects.create(number="OLD-2", status="retired", exit_date=date(2023, 1, 1), **fields)
    Member.objects.create(number="NEW-1", **fields)
    for number, extra in (("NEW-2", {}), ("DEAD-1", {"status": "deceased"})):
        with pytest.raises(IntegrityError), transaction.atomic():
            kw = dict(extra)
            if kw:
                kw["exit_date"] = date(2024, 1, 1)
            Member.objects.create(number=number, **fields, **kw)


def test_registration_screen_says_when_the_person_was_a_member_before(agency, client_a):
    old = _leave(f.member(agency_obj=agency))
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    form = {
        "full_name": old.full_name,
        "nip": old.nip,
        "nik": old.nik,
        "agency": agency.pk,
        "join_date": "2025-01-06",
    }
    text = f"pernah terdaftar sebagai No. {old.number}, keluar tanggal 31 Mei 2024"
    # before saving: the form says it and asks to confirm; nothing is created yet
    r = c.post(reverse("members:create"), form)
    assert r.status_code == 200
    assert text in r.content.decode()
    assert Member.objects.filter(nip=old.nip).count() == 1
    r = c.post(reverse("members:create"), {**form, "rejoin_of": old.pk}, follow=True)
    assert r.status_code == 200
    new = Member.objects.get(nip=old.nip, status="active")
    html = r.content.decode()
    assert text in html
    # the detail page keeps saying it, and links the old record
    html = c.get(reverse("members:detail", args=[new.pk])).content.decode()
    assert text in html
    assert reverse("members:detail", args=[old.pk]) in html


def test_api_registers_a_rejoining_member_with_the_previous_membership(agency, client_a):
    old = _leave(f.member(agency_obj=agency))
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    body = {
        "full_name": old.full_name,
        "nip": old.nip,
        "nik": old.nik,
        "agency": agency.pk,
        "join_date": "2025-01-06",
    }
    r = c.post("/api/v1/members/", json.dumps(body), "application/json")
    assert r.status_code == 201, r.content[:300]
    data = r.json()
    assert data["number"] != old.number
    assert data["previous_member"] == {
        "id": old.pk,
        "number": old.number,
        "exit_date": "2024-05-31",
        "status": "resigned",
    }
    # and an active member's NIP is refused as before, JSON
    r = c.post("/api/v1/members/", json.dumps(body), "application/json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "member_duplicate_nip"


def test_member_import_brings_a_former_member_in_again_but_not_a_deceased_one(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    ag = f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")
    by = f.user("bendahara")
    old = _leave(f.member(agency_obj=ag))
    dead = _leave(f.member(agency_obj=ag), "deceased")
    data = import_rows(2)
    data[0].update(nip=old.nip, nik=old.nik)
    data[1].update(nip=dead.nip, nik=dead.nik)
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=by)
    assert batch.status == "invalid"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(3, "nip"), (3, "nik")]
    assert all("meninggal" in e["message"] for e in batch.errors)
    batch = member_import_upload(content=to_csv(data[:1]), file_name="a.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    new = Member.objects.get(nip=old.nip, status="active")
    assert new.previous_member == old and new.number != old.number


def test_member_import_refuses_an_active_members_nip(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")
    active = f.member()
    data = import_rows(1)
    data[0].update(nip=active.nip)
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=f.user("bendahara"))
    assert batch.status == "invalid"
    assert "Sudah terdaftar" in batch.errors[0]["message"]


def test_portal_login_follows_the_member_to_the_new_membership(agency):
    u = f.user("anggota")
    old = f.member(agency_obj=agency)
    member_user_link(member=old, user=u, by="tests")
    _leave(old)
    new = _register(agency, old)
    assert member_for_user(u) == new
    old.refresh_from_db()
    assert old.user_id is None


def test_search_by_nip_lists_the_active_membership_first(agency):
    # the old record's number sorts before the new one's: the order is not by number
    # (given while it is active: a member who left is read-only)
    old = f.member(agency_obj=agency)
    Member.objects.filter(pk=old.pk).update(number="A00000")
    old = _leave(Member.objects.get(pk=old.pk))
    new = _register(agency, old)
    hits = search_everything(q=old.nip).members
    assert [h.url for h in hits] == [
        reverse("members:detail", args=[new.pk]),
        reverse("members:detail", args=[old.pk]),
    ]


# --- what the new membership takes over: heirs (copied) and the portal login ----------


def _heirs(m: Member, *pairs) -> None:
    for name, rel, share in pairs:
        heir_add(member=m, by="tests", full_name=name, relationship=rel, share_percent=D(share))


def _active_heirs(m: Member) -> list[tuple[str, str, D]]:
    return [
        (h.full_name, h.relationship, h.share_percent)
        for h in Heir.objects.filter(member=m, is_active=True).order_by("pk")
    ]


def test_rejoin_copies_the_active_heirs_so_edits_leave_the_old_record(agency):
    old = f.member(agency_obj=agency)
    _heirs(old, ("Siti Aminah", "istri", "50"), ("Budi", "anak", "50"))
    _leave(old)
    new = _register(agency, old)
    assert _active_heirs(new) == [
        ("Siti Aminah", "istri", D("50.00")),
        ("Budi", "anak", D("50.00")),
    ]
    copies = list(new.heirs.order_by("pk"))
    originals = list(old.heirs.order_by("pk"))
    assert {c.pk for c in copies}.isdisjoint({o.pk for o in originals})
    assert [c.carried_from_id for c in copies] == [o.pk for o in originals]
    # editable afterwards on the new membership; the old record keeps its heirs
    heir_deactivate(heir=copies[1], by="tests", reason="sudah dewasa, diganti")
    _heirs(new, ("Citra", "anak", "50"))
    assert _active_heirs(new) == [
        ("Siti Aminah", "istri", D("50.00")),
        ("Citra", "anak", D("50.00")),
    ]
    assert _active_heirs(old) == [
        ("Siti Aminah", "istri", D("50.00")),
        ("Budi", "anak", D("50.00")),
    ]
    event = AuditEvent.objects.get(action="member.rejoin", target_id=str(new.pk))
    assert event.data == {
        "previous_member": old.number,
        "previous_member_id": old.pk,
        "heirs": ["Siti Aminah (istri, 50%)", "Budi (anak, 50%)"],
        "user": None,
    }


def test_a_heir_taken_off_before_the_exit_is_not_carried(agency):
    old = f.member(agency_obj=agency)
    _heirs(old, ("Siti Aminah", "istri", "60"), ("Salah Catat", "anak", "40"))
    heir_deactivate(heir=old.heirs.get(full_name="Salah Catat"), by="tests", reason="keliru")
    _leave(old)
    new = _register(agency, old)
    assert _active_heirs(new) == [("Siti Aminah", "istri", D("60.00"))]
    assert new.heirs.count() == 1


def test_clerk_confirms_the_rejoin_seeing_the_heirs_then_finds_them_on_the_new_page(
    agency, client_a
):
    u = f.user("anggota")
    old = f.member(agency_obj=agency)
    member_user_link(member=old, user=u, by="tests")
    _heirs(old, ("Siti Aminah", "istri", "33.5"), ("Budi", "anak", "66.5"))
    _leave(old)
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    form = {
        "full_name": old.full_name,
        "nip": old.nip,
        "nik": old.nik,
        "agency": agency.pk,
        "join_date": "2025-01-06",
    }
    html = c.post(reverse("members:create"), form).content.decode()
    assert "Siti Aminah (istri, 33,5%)" in html and "Budi (anak, 66,5%)" in html
    assert "Akun login portal anggota dipindahkan ke keanggotaan baru." in html
    assert f'name="rejoin_of" value="{old.pk}"' in html
    assert not Member.objects.filter(nip=old.nip, status="active").exists()
    r = c.post(reverse("members:create"), {**form, "rejoin_of": old.pk}, follow=True)
    new = Member.objects.get(nip=old.nip, status="active")
    html = r.content.decode()
    assert (
        "Ahli waris dibawa dari keanggotaan lama: Siti Aminah (istri, 33,5%); "
        "Budi (anak, 66,5%)." in html
    )
    assert "Akun login portal anggota dipindahkan ke keanggotaan ini." in html
    assert member_for_user(u) == new
    # the new member's heirs section lists them, each with its "Nonaktifkan" form
    heirs_section = html.split('id="heirs"', 1)[1].split("</section>", 1)[0]
    assert "Siti Aminah" in heirs_section and "33,50%" in heirs_section
    assert heirs_section.count('name="deactivate_heir"') == 2


def test_api_registration_of_a_former_member_answers_with_the_heirs_carried(agency, client_a):
    old = f.member(agency_obj=agency)
    _heirs(old, ("Siti Aminah", "istri", "100"))
    _leave(old)
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    body = {
        "full_name": old.full_name,
        "nip": old.nip,
        "nik": old.nik,
        "agency": agency.pk,
        "join_date": "2025-01-06",
    }
    r = c.post("/api/v1/members/", json.dumps(body), "application/json")
    assert r.status_code == 201, r.content[:300]
    heirs = r.json()["heirs"]
    assert [
        (h["full_name"], h["relationship"], h["share_percent"], h["is_active"]) for h in heirs
    ] == [("Siti Aminah", "istri", "100.00", True)]
    assert heirs[0]["id"] != old.heirs.get().pk


def test_member_import_moves_the_portal_login_and_copies_the_heirs(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    ag = f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")
    by = f.user("bendahara")
    u = f.user("anggota")
    old = f.member(agency_obj=ag)
    member_user_link(member=old, user=u, by="tests")
    _heirs(old, ("Siti Aminah", "istri", "100"))
    _leave(old)
    data = import_rows(2)
    data[0].update(nip=old.nip, nik=old.nik)
    batch = member_import_upload(content=to_csv(data), file_name="a.csv", by=by)
    assert batch.status == "valid", batch.errors
    # the preview says it before importing
    assert batch.summary["rejoins"] == [
        {
            "row": 2,
            "name": data[0]["nama_lengkap"],
            "nip": old.nip,
            "note": (
                f"Anggota ini pernah terdaftar sebagai No. {old.number}, keluar tanggal "
                "31 Mei 2024 (Keluar)."
            ),
            "heirs": ["Siti Aminah (istri, 100%)"],
            "login": True,
        }
    ]
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    new = Member.objects.get(nip=old.nip, status="active")
    assert member_for_user(u) == new
    old.refresh_from_db()
    assert old.user_id is None
    assert old.changes.filter(field="user", old_value=str(u.pk)).exists()
    assert _active_heirs(new) == [("Siti Aminah", "istri", D("100.00"))]
    assert _active_heirs(old) == [("Siti Aminah", "istri", D("100.00"))]
    event = AuditEvent.objects.get(action="member.rejoin", target_id=str(new.pk))
    assert event.data["user"] == u.pk and event.data["previous_member"] == old.number
    # the other row is a new person: nothing carried to it
    other = Member.objects.get(nip=data[1]["nip"])
    assert other.user_id is None and not other.heirs.exists()
