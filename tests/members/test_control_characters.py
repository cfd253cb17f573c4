"""Control characters (``\\x01``, ``\\x0b``, ``\\x1f``, DEL…) in a member's or an agency's
text are refused wherever the text comes in: the API (a 400 in the one error shape, on the
field, in Indonesian), the screens (the form's error on the field) and the member import
(that row's error); nothing is written. A newline is allowed in an address (multi-line)
and refused in a name (single line)."""

import json
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from core.common.errors import ApplicationError
from core.members.models import Agency, Member, MemberChange
from core.savings.member_import import member_import_run, member_import_upload
from tests.members import factories as f

from .test_import import rows, to_csv, to_xlsx

HOST = "alpha.localhost"
NAME_REFUSED = "Nama lengkap tidak boleh berisi karakter kontrol (tak terlihat)."


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


@pytest.fixture
def clerk(in_tenant_a):
    return f.user("petugas")


@pytest.fixture
def api(clerk):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(clerk)
    return c


def _create(api, **extra):
    nip, nik = f.unique_ids()
    body = {
        "full_name": "Rina Ranan",
        "nip": nip,
        "nik": nik,
        "agency": f.agency().pk,
        "join_date": "2023-02-01",
        **extra,
    }
    return api.post("/api/v1/members/", json.dumps(body), "application/json")


@pytest.mark.parametrize("bad", ["Rina\x01Ranan", "Rina\x0bRanan", "Rina\x1fRanan", "Rina\x7f"])
def test_api_member_create_refuses_a_control_character_in_the_name(api, bad):
    before = Member.objects.count()
    r = _create(api, full_name=bad)
    assert r.status_code == 400, r.content
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert err["fields"] == {"full_name": [NAME_REFUSED]}
    assert Member.objects.count() == before


def test_api_member_create_refuses_a_line_break_in_the_name(api):
    r = _create(api, full_name="Rina\nRanan")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"] == {
        "full_name": ["Nama lengkap harus satu baris: tidak boleh berisi baris baru atau tab."]
    }
    assert not Member.objects.filter(full_name__startswith="Rina").exists()


def test_api_member_address_may_have_lines_but_no_control_character(api):
    r = _create(api, address="Jl. Tjilik Riwut km 5\r\nPalangka Raya\t73112")
    assert r.status_code == 201, r.content
    assert Member.objects.get(pk=r.json()["id"]).address.startswith("Jl. Tjilik Riwut km 5\r\n")
    r = _create(api, address="Jl. Tjilik Riwut\x0bkm 5")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"] == {
        "address": ["Alamat tidak boleh berisi karakter kontrol (tak terlihat)."]
    }


def test_api_member_update_refuses_a_control_character_nothing_changes(api):
    m = f.member(full_name="Sri Handayani")
    r = api.patch(
        f"/api/v1/members/{m.pk}/", json.dumps({"full_name": "Sri\x01Putri"}), "application/json"
    )
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"] == {"full_name": [NAME_REFUSED]}
    assert Member.objects.get(pk=m.pk).full_name == "Sri Handayani"
    assert not MemberChange.objects.filter(member=m).exists()


def test_api_member_update_refuses_a_control_character_in_the_reason(api):
    m = f.member(full_name="Sri Handayani")
    body = {"full_name": "Sri Putri", "reason": "salah\x01ketik"}
    r = api.patch(f"/api/v1/members/{m.pk}/", json.dumps(body), "application/json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"] == {
        "reason": ["Alasan perubahan tidak boleh berisi karakter kontrol (tak terlihat)."]
    }
    assert Member.objects.get(pk=m.pk).full_name == "Sri Handayani"
    body = {"full_name": "Sri Putri", "reason": "salah ketik\nsesuai SK"}  # lines: fine
    r = api.patch(f"/api/v1/members/{m.pk}/", json.dumps(body), "application/json")
    assert r.status_code == 200, r.content


def test_api_agency_create_refuses_a_control_character_in_its_name(in_tenant_a):
    c = Client(HTTP_HOST=HOST, raise_request_exception=False)
    c.force_login(f.user("bendahara"))
    body = {"code": "DINKES", "name": "Dinas\x01Kesehatan"}
    r = c.post("/api/v1/agencies/", json.dumps(body), "application/json")
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"] == {
        "name": ["Nama instansi tidak boleh berisi karakter kontrol (tak terlihat)."]
    }
    assert not Agency.objects.filter(code="DINKES").exists()


def test_screen_registration_refuses_a_control_character_in_indonesian(clerk):
    c = Client(HTTP_HOST=HOST)
    c.force_login(clerk)
    nip, nik = f.unique_ids()
    before = Member.objects.count()
    r = c.post(
        reverse("members:create"),
        {
            "full_name": "Rina\x01Ranan",
            "nip": nip,
            "nik": nik,
            "agency": f.agency().pk,
            "join_date": "2023-02-01",
        },
    )
    assert r.status_code == 200
    assert r.context["form"].errors["full_name"] == [NAME_REFUSED]
    assert NAME_REFUSED in r.content.decode()
    assert Member.objects.count() == before


def test_screen_agency_form_refuses_a_control_character(in_tenant_a):
    c = Client(HTTP_HOST=HOST)
    c.force_login(f.user("bendahara"))
    r = c.post(
        reverse("members:agency_create"),
        {"code": "DINKES", "name": "Dinas Kesehatan", "address": "Jl. A\x1fB", "is_active": "on"},
    )
    assert r.status_code == 200
    assert r.context["form"].errors["address"] == [
        "Alamat tidak boleh berisi karakter kontrol (tak terlihat)."
    ]
    assert not Agency.objects.filter(code="DINKES").exists()


@pytest.fixture
def setup(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan Kota Palangka Raya")
    f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    return f.user("bendahara")


@pytest.mark.parametrize("to_file", [to_csv, to_xlsx])
def test_import_row_with_a_control_character_is_that_rows_error(setup, to_file):
    data = rows(3, alamat="")
    data[1]["nama_lengkap"] = "Anggota\x01Impor"
    data[2]["alamat"] = "Jl. Kenanga\x7f"
    if to_file is to_xlsx:  # XML cannot hold \x01 at all: a cell of the same kind openpyxl takes
        data[1]["nama_lengkap"] = "Anggota\x7fImpor"
    before = Member.objects.count()
    name = "anggota.xlsx" if to_file is to_xlsx else "anggota.csv"
    batch = member_import_upload(content=to_file(data), file_name=name, by=setup)
    assert batch.status == "invalid", batch.errors
    got = {(e["row"], e["column"]): e["message"] for e in batch.errors}
    assert got == {
        (3, "nama_lengkap"): "Nama lengkap tidak boleh berisi karakter kontrol (tak terlihat).",
        (4, "alamat"): "Alamat tidak boleh berisi karakter kontrol (tak terlihat).",
    }
    with pytest.raises(ApplicationError) as e:
        member_import_run(batch=batch, opening_date=date(2026, 1, 1), by=setup)
    assert e.value.code == "import_invalid_rows"
    assert Member.objects.count() == before


def test_windows_1252_list_of_cells_to_check_shows_no_control_character(setup):
    """A refused name of a Windows-1252 CSV is listed (to check its letters) without
    its control character: the list is kept with the import."""
    data = rows(2, alamat="")
    data[1]["nama_lengkap"] = "Sitì\x01 Aminah"
    batch = member_import_upload(
        content=to_csv(data, encoding="cp1252"), file_name="anggota.csv", by=setup
    )
    assert batch.status == "invalid"
    assert {(e["row"], e["column"]) for e in batch.errors} == {(3, "nama_lengkap")}
    assert batch.summary["non_ascii"] == [
        {"row": 3, "column": "nama_lengkap", "text": "Sitì Aminah"}
    ]
