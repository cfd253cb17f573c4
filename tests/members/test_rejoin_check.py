"""The registration form says, before saving, when a NIP or NIK belongs to a former
member ("pernah terdaftar sebagai No. X, keluar tanggal Y") or is refused (a current or
a deceased member's): live as the clerk types or leaves the field (htmx asks
``members:rejoin_status``), and again on submit (no JavaScript needed), where the new
membership is created only once the clerk confirms it."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from core.members.models import Member
from core.members.services import heir_add, member_status_set, member_user_link
from tests.members import factories as f

LEFT_ON = date(2024, 5, 31)


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


@pytest.fixture
def clerk(client_a):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    return c


def _leave(m: Member, status: str = "resigned", on: date = LEFT_ON) -> Member:
    return member_status_set(member=m, status=status, on=on, reason="uji", by="tests")


def _check(c: Client, **params) -> str:
    r = c.get(reverse("members:rejoin_status"), params)
    assert r.status_code == 200
    return r.content.decode()


def test_a_former_members_nip_says_who_they_were_and_what_comes_over(agency, clerk):
    old = f.member(agency_obj=agency, full_name="Rahmat Hidayat")
    heir_add(
        member=old, by="tests", full_name="Siti Aminah", relationship="istri", share_percent=D(100)
    )
    member_user_link(member=old, user=f.user("anggota"), by="tests")
    _leave(old)
    html = _check(clerk, nip=old.nip, nik="")
    assert (
        f"Anggota ini pernah terdaftar sebagai No. {old.number}, keluar tanggal 31 Mei 2024 "
        "(Keluar)." in html
    )
    assert "Rahmat Hidayat" in html
    assert "Siti Aminah (istri, 100%)" in html
    assert "Akun login portal anggota dipindahkan ke keanggotaan baru." in html
    assert "Saat disimpan, Anda diminta mengonfirmasi pendaftaran ulang ini." in html
    # the live answer has no confirm button: that comes with the submit
    assert "rejoin_of" not in html
    # the NIK alone finds them too
    assert f"No. {old.number}, keluar tanggal 31 Mei 2024" in _check(clerk, nip="", nik=old.nik)


def test_a_deceased_members_nip_is_refused_as_typed(agency, clerk):
    dead = _leave(f.member(agency_obj=agency), "deceased", date(2024, 8, 17))
    html = _check(clerk, nip=dead.nip)
    assert 'data-rejoin="refused"' in html
    assert (
        f"NIP {dead.nip} milik anggota No. {dead.number} ({dead.full_name}) yang meninggal "
        "dunia pada 17 Agustus 2024: NIP anggota yang meninggal tidak dapat didaftarkan lagi."
        in html
    )
    assert "meninggal" in _check(clerk, nik=dead.nik)


def test_a_current_members_nip_or_nik_is_refused_as_typed(agency, clerk):
    m = f.member(agency_obj=agency)
    assert f"NIP {m.nip} sudah terdaftar sebagai anggota lain." in _check(clerk, nip=m.nip)
    assert f"NIK {m.nik} sudah terdaftar sebagai anggota lain." in _check(clerk, nik=m.nik)


def test_nip_and_nik_of_two_different_former_members_are_refused(agency, clerk):
    a = _leave(f.member(agency_obj=agency))
    b = _leave(f.member(agency_obj=agency))
    html = _check(clerk, nip=a.nip, nik=b.nik)
    assert f"anggota lama No. {a.number}" in html and f"anggota lama No. {b.number}" in html
    assert "periksa NIP dan NIK" in html


def test_nothing_is_said_while_typing_or_for_a_person_new_to_the_cooperative(agency, clerk):
    old = _leave(f.member(agency_obj=agency))
    assert _check(clerk, nip=old.nip[:17]).strip() == ""
    assert _check(clerk, nip=old.nip + "1").strip() == ""
    assert _check(clerk, nip="x" * 18, nik="").strip() == ""
    assert _check(clerk).strip() == ""
    nip, nik = f.unique_ids()
    assert _check(clerk, nip=nip, nik=nik).strip() == ""


def test_another_cooperatives_former_member_is_not_known_here(tenant_a, tenant_b, client_a):
    """A NIP of a member who left cooperative B says nothing on cooperative A's form:
    neither their number nor their name (while A's own former member is found)."""
    connection.set_tenant(tenant_b)
    theirs = _leave(f.member(agency_obj=f.agency("BKD", "BKD"), full_name="Orang Beta"))
    connection.set_tenant(tenant_a)
    ours = _leave(f.member(agency_obj=f.agency(), full_name="Orang Alpha"))
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    html = _check(c, nip=theirs.nip, nik=theirs.nik)
    assert html.strip() == ""
    assert theirs.number not in html and "Orang Beta" not in html
    assert "Orang Alpha" in _check(c, nip=ours.nip, nik=ours.nik)


@pytest.mark.parametrize("role", ["pengawas", "anggota"])
def test_only_staff_who_register_members_may_ask(agency, client_a, role):
    old = _leave(f.member(agency_obj=agency))
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user(role))
    r = c.get(reverse("members:rejoin_status"), {"nip": old.nip})
    assert r.status_code == 403
    assert old.number.encode() not in r.content


def test_anonymous_is_sent_to_the_login_page(agency, client_a):
    old = _leave(f.member(agency_obj=agency))
    r = client_a.get(reverse("members:rejoin_status"), {"nip": old.nip})
    assert r.status_code == 302 and "/masuk/" in r["Location"]


def test_the_form_asks_as_the_nip_and_nik_are_typed(agency, clerk):
    html = clerk.get(reverse("members:create")).content.decode()
    url = reverse("members:rejoin_status")
    assert html.count(f'hx-get="{url}"') == 2  # NIP and NIK
    assert 'id="rejoin-status"' in html


# --- on submit, without JavaScript ---------------------------------------------------


def _form(agency, m: Member, **kw) -> dict:
    return {
        "full_name": m.full_name,
        "nip": m.nip,
        "nik": m.nik,
        "agency": agency.pk,
        "join_date": "2025-01-06",
        **kw,
    }


def test_submit_asks_to_confirm_and_creates_nothing_until_confirmed(agency, clerk):
    old = _leave(f.member(agency_obj=agency))
    r = clerk.post(reverse("members:create"), _form(agency, old))
    html = r.content.decode()
    assert r.status_code == 200
    assert f"pernah terdaftar sebagai No. {old.number}, keluar tanggal 31 Mei 2024" in html
    assert "Ya, daftarkan sebagai keanggotaan baru" in html
    assert Member.objects.filter(nip=old.nip).count() == 1
    # a confirmation of another record (the form was left open, then the NIP changed)
    # asks again
    other = _leave(f.member(agency_obj=agency))
    r = clerk.post(reverse("members:create"), _form(agency, old, rejoin_of=other.pk))
    assert "Ya, daftarkan sebagai keanggotaan baru" in r.content.decode()
    assert Member.objects.filter(nip=old.nip).count() == 1
    r = clerk.post(reverse("members:create"), _form(agency, old, rejoin_of=old.pk))
    new = Member.objects.get(nip=old.nip, status="active")
    assert r.status_code == 302 and r["Location"] == reverse("members:detail", args=[new.pk])
    assert new.previous_member == old


def test_submit_of_a_new_person_needs_no_confirmation(agency, clerk):
    nip, nik = f.unique_ids()
    body = {
        "full_name": "Orang Baru",
        "nip": nip,
        "nik": nik,
        "agency": agency.pk,
        "join_date": "2025-01-06",
    }
    r = clerk.post(reverse("members:create"), body)
    assert r.status_code == 302
    assert Member.objects.get(nip=nip).previous_member is None


def test_submit_of_a_deceased_members_nip_is_refused_on_the_form(agency, clerk):
    dead = _leave(f.member(agency_obj=agency), "deceased", date(2024, 8, 17))
    r = clerk.post(reverse("members:create"), _form(agency, dead, rejoin_of=dead.pk))
    html = r.content.decode()
    assert r.status_code == 200
    assert "tidak dapat didaftarkan lagi" in html
    assert "Ya, daftarkan sebagai keanggotaan baru" not in html
    assert Member.objects.filter(nip=dead.nip).count() == 1
