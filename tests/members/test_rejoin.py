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

from core.common.errors import ApplicationError
from core.members.models import Member
from core.members.selectors import member_for_user
from core.members.services import member_create, member_status_set, member_user_link
from core.overview.search import search_everything
from core.savings.member_import import member_import_run, member_import_upload
from core.savings.models import SavingsAccount
from core.savings.services import savings_account_get_or_open, teller_deposit
from tests.members import factories as f
from tests.members.test_import import rows as import_rows
from tests.members.test_import import to_csv
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
    _leave(old, on=today)
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
    r = c.post(
        reverse("members:create"),
        {
            "full_name": old.full_name,
            "nip": old.nip,
            "nik": old.nik,
            "agency": agency.pk,
            "join_date": "2025-01-06",
        },
        follow=True,
    )
    assert r.status_code == 200
    new = Member.objects.get(nip=old.nip, status="active")
    html = r.content.decode()
    text = f"pernah terdaftar sebagai No. {old.number}, keluar tanggal 31 Mei 2024"
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
    member_import_run(batch=batch, opening_date=date(2026, 1, 1), by=by)
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
    old = _leave(f.member(agency_obj=agency))
    # the old record's number sorts before the new one's: the order is not by number
    Member.objects.filter(pk=old.pk).update(number="A00000")
    new = _register(agency, old)
    hits = search_everything(q=old.nip).members
    assert [h.url for h in hits] == [
        reverse("members:detail", args=[new.pk]),
        reverse("members:detail", args=[old.pk]),
    ]
