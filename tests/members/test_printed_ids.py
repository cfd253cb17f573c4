"""A NIP or NIK typed as printed on the civil servant's papers: ``19800101 200501 1 001``
(spaces), ``19800101.200501.1.001`` (dots), ``3271-0101-0180-0001`` (hyphens). The
registration form, the edit form, the API (create, update) and the rejoin check take
it as its digits and store those; a wrong number of digits or a letter is still refused
with the format message, nothing written. (The search took printed numbers already.)"""

import json
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from core.members.models import Member
from core.members.services import member_status_set
from tests.members import factories as f

NIP = "198001012005011001"
NIK = "3271010101800001"  # born 01-01-80, a man: agrees with the NIP
NIP_PRINTED = "19800101 200501 1 001"
NIK_PRINTED = "3271-0101-0180-0001"
NIP_FORMAT = "NIP harus 18 digit angka"
NIK_FORMAT = "NIK harus 16 digit angka"


@pytest.fixture
def agency(in_tenant_a):
    return f.agency()


@pytest.fixture
def clerk(client_a, agency):
    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("petugas"))
    return c


def _form(agency, **kw) -> dict:
    return {
        "full_name": "Rahmat Hidayat",
        "nip": NIP_PRINTED,
        "nik": NIK_PRINTED,
        "agency": agency.pk,
        "join_date": "2024-01-02",
        **kw,
    }


def _api(clerk, method: str, url: str, body: dict):
    return getattr(clerk, method)(url, json.dumps(body), "application/json")


def test_form_registers_a_printed_nip_and_nik_as_their_digits(agency, clerk):
    r = clerk.post("/anggota/baru/", _form(agency))
    assert r.status_code == 302, r.context["form"].errors if r.context else r.content[:300]
    m = Member.objects.get()
    assert (m.nip, m.nik) == (NIP, NIK)
    assert (m.birth_date, m.gender) == (date(1980, 1, 1), "L")


def test_form_with_dots_registers_the_digits(agency, clerk):
    r = clerk.post(
        "/anggota/baru/", _form(agency, nip="19800101.200501.1.001", nik="32.71.01.010180.0001")
    )
    assert r.status_code == 302
    assert Member.objects.filter(nip=NIP, nik=NIK).exists()


def test_form_inputs_let_the_printed_form_be_typed_whole(agency, clerk):
    html = clerk.get("/anggota/baru/").content.decode()
    for name, printed in (("nip", NIP_PRINTED), ("nik", NIK_PRINTED)):
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        limit = re.search(r'maxlength="(\d+)"', tag)
        assert limit is None or int(limit.group(1)) >= len(printed) + 3, tag


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nip", "19800101 200501 1 00", NIP_FORMAT),  # 17 digits
        ("nip", "19800101 20050A 1 001", NIP_FORMAT),  # a letter
        ("nik", "3271-0101-0180-001", NIK_FORMAT),  # 15 digits
        ("nik", "3271-0101-0180-00O1", NIK_FORMAT),  # the letter O
    ],
)
def test_form_still_refuses_a_wrong_count_or_a_letter(agency, clerk, field, value, message):
    r = clerk.post("/anggota/baru/", _form(agency, **{field: value}))
    assert r.status_code == 200
    assert message in " ".join(r.context["form"].errors[field])
    assert not Member.objects.exists()


def test_edit_form_takes_a_printed_nip(agency, clerk):
    m = f.member(agency_obj=agency)
    new_nip = f.make_nip(77, birth=(m.birth_date.year, m.birth_date.month, m.birth_date.day))
    printed = f"{new_nip[:8]} {new_nip[8:14]} {new_nip[14]} {new_nip[15:]}"
    data = {**f_initial(m), "nip": printed, "reason": "salah ketik"}
    r = clerk.post(f"/anggota/{m.pk}/ubah/", data)
    assert r.status_code == 302, r.context["form"].errors if r.context else r.content[:300]
    m.refresh_from_db()
    assert m.nip == new_nip


def f_initial(m: Member) -> dict:
    return {
        "full_name": m.full_name,
        "nip": m.nip,
        "nik": m.nik,
        "agency": m.agency_id,
        "golongan": m.golongan,
    }


def test_api_registers_a_printed_nip_and_nik_as_their_digits(agency, clerk):
    r = _api(
        clerk,
        "post",
        "/api/v1/members/",
        {
            "full_name": "Rahmat Hidayat",
            "nip": NIP_PRINTED,
            "nik": NIK_PRINTED,
            "agency": agency.pk,
            "join_date": "2024-01-02",
        },
    )
    assert r.status_code == 201, r.content[:400]
    assert (r.json()["nip"], r.json()["nik"]) == (NIP, NIK)
    assert Member.objects.filter(nip=NIP, nik=NIK).exists()


def test_api_update_takes_a_printed_nip(agency, clerk):
    m = f.member(agency_obj=agency)
    new_nip = f.make_nip(78, birth=(m.birth_date.year, m.birth_date.month, m.birth_date.day))
    printed = f"{new_nip[:8]}.{new_nip[8:14]}.{new_nip[14]}.{new_nip[15:]}"
    r = _api(clerk, "patch", f"/api/v1/members/{m.pk}/", {"nip": printed, "reason": "salah"})
    assert r.status_code == 200, r.content[:400]
    assert r.json()["nip"] == new_nip
    m.refresh_from_db()
    assert m.nip == new_nip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("nip", "19800101 200501 1 00", NIP_FORMAT),
        ("nip", "19800101 20050A 1 001", NIP_FORMAT),
        ("nik", "3271-0101-0180-001", NIK_FORMAT),
    ],
)
def test_api_still_refuses_a_wrong_count_or_a_letter(agency, clerk, field, value, message):
    body = {
        "full_name": "Rahmat Hidayat",
        "nip": NIP_PRINTED,
        "nik": NIK_PRINTED,
        "agency": agency.pk,
        "join_date": "2024-01-02",
        field: value,
    }
    r = _api(clerk, "post", "/api/v1/members/", body)
    assert r.status_code == 400, r.content[:400]
    assert message in " ".join(r.json()["error"]["fields"][field])
    assert not Member.objects.exists()


def _former(agency) -> Member:
    old = f.member(agency_obj=agency, nip=NIP, nik=NIK, full_name="Rahmat Hidayat")
    return member_status_set(
        member=old, status="resigned", on=date(2024, 5, 31), reason="uji", by="tests"
    )


def test_api_rejoin_check_takes_a_printed_nip(agency, clerk):
    old = _former(agency)
    r = clerk.get("/api/v1/members/rejoin-check/", {"nip": NIP_PRINTED})
    assert r.status_code == 200, r.content[:400]
    assert r.json()["rejoin"] is True
    assert r.json()["previous_member"]["number"] == old.number
    r = clerk.get("/api/v1/members/rejoin-check/", {"nik": NIK_PRINTED})
    assert r.status_code == 200, r.content[:400]
    assert r.json()["previous_member"]["number"] == old.number


def test_api_rejoin_check_refuses_a_printed_nip_short_of_a_digit(agency, clerk):
    r = clerk.get("/api/v1/members/rejoin-check/", {"nip": "19800101 200501 1 00"})
    assert r.status_code == 400
    assert NIP_FORMAT in json.dumps(r.json(), ensure_ascii=False)


def test_live_check_names_the_former_member_of_a_printed_nip(agency, clerk):
    old = _former(agency)
    html = clerk.get(reverse("members:rejoin_status"), {"nip": NIP_PRINTED, "nik": ""})
    assert f"No. {old.number}, keluar tanggal 31 Mei 2024" in html.content.decode()


def test_form_rejoin_with_a_printed_nip_asks_to_confirm_then_registers(agency, clerk):
    old = _former(agency)
    r = clerk.post("/anggota/baru/", _form(agency))
    assert r.status_code == 200
    assert f"No. {old.number}, keluar tanggal 31 Mei 2024" in r.content.decode()
    r = clerk.post("/anggota/baru/", {**_form(agency), "rejoin_of": str(old.pk)})
    assert r.status_code == 302
    new = Member.objects.get(status="active")
    assert (new.nip, new.previous_member_id) == (NIP, old.pk)


def test_member_import_takes_printed_nips_and_niks_as_their_digits(agency):
    from core.savings.member_import import member_import_run, member_import_upload
    from core.savings.seeding import savings_products_seed
    from tests.members.test_import import to_csv

    savings_products_seed()
    nip2, nik2 = f.unique_ids()
    data = [
        {
            "nama_lengkap": "Rahmat Hidayat",
            "nip": NIP_PRINTED,
            "nik": NIK_PRINTED,
            "kode_instansi": agency.code,
            "tanggal_masuk": "2019-03-01",
        },
        {
            "nama_lengkap": "Siti Aminah",
            "nip": f"{nip2[:8]}.{nip2[8:14]}.{nip2[14]}.{nip2[15:]}",
            "nik": f"{nik2[:2]}.{nik2[2:4]}.{nik2[4:6]}.{nik2[6:12]}.{nik2[12:]}",
            "kode_instansi": agency.code,
            "tanggal_masuk": "2019-03-01",
        },
    ]
    by = f.user("bendahara")
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=date(2026, 1, 1), by=by)
    assert Member.objects.filter(nip=NIP, nik=NIK).exists()
    assert Member.objects.filter(nip=nip2, nik=nik2).exists()


def test_payroll_return_file_takes_a_printed_nip_as_its_digits():
    from core.deductions.parsing import parse_realized

    content = f"NIP;Realisasi\n{NIP_PRINTED};150.000\n19800101-200501-1-002;0\n".encode()
    parsed = parse_realized(content=content, file_name="realisasi.csv")
    assert [(r.nip, r.error) for r in parsed.rows] == [
        (NIP, ""),
        ("198001012005011002", ""),
    ]


def test_heir_nik_typed_as_printed_is_kept_as_its_digits(agency, clerk):
    m = f.member(agency_obj=agency)
    r = clerk.post(
        reverse("members:detail", args=[m.pk]),
        {
            "full_name": "Siti Aminah",
            "relationship": "istri",
            "nik": "3271.01.410180.0002",
            "share_percent": "100",
        },
    )
    assert r.status_code == 302, r.context["heir_form"].errors if r.context else r.content[:300]
    assert m.heirs.get().nik == "3271014101800002"


def test_heir_nik_short_of_a_digit_is_refused_on_its_field(agency, clerk):
    m = f.member(agency_obj=agency)
    r = clerk.post(
        reverse("members:detail", args=[m.pk]),
        {
            "full_name": "Siti Aminah",
            "relationship": "istri",
            "nik": "3271 0141 0180 002",
            "share_percent": "100",
        },
    )
    assert r.status_code == 200
    assert NIK_FORMAT in " ".join(r.context["heir_form"].errors["nik"])
    assert not m.heirs.exists()
