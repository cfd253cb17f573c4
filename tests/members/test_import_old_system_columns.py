"""A member list as the treasurer's old system keeps it, with its own column names and
order (*No. Agt*, *Nama*, *Unit Kerja* holding the agency's name, *Tgl Masuk*,
*No HP*, *Tgl Lahir*): read as the template's columns. Two columns read as one are
refused naming both; a birth date that is not the NIP's is the row's error."""

from datetime import date

import pytest

from core.common.errors import ApplicationError
from core.members.models import Member
from core.savings.member_import import member_import_run, member_import_upload
from tests.sheets import xlsx_bytes

from . import factories as f
from .test_import import OPENING


@pytest.fixture
def setup(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan Kota Palangka Raya")
    f.agency("RSUD", "RSUD dr. Doris Sylvanus")
    return f.user("bendahara")


def _birth(nip: str) -> date:
    return date(int(nip[:4]), int(nip[4:6]), int(nip[6:8]))


HEADER = ["No", "No. Agt", "Nama", "NIP", "No KTP", "Gol", "Unit Kerja", "Jabatan"]
HEADER += ["Tgl Lahir", "Tgl Masuk", "Alamat", "No HP", "Saldo Pokok", "Saldo Wajib"]


def _line(i: int, nip: str, nik: str, *, unit: str, born=None) -> list:
    return [
        i,
        f"A-{i:04d}",
        f"Anggota Lama {i}",
        nip,
        nik,
        "III/a",
        unit,
        "Guru",
        born or _birth(nip),
        "01/03/2019",
        "Jl. Tjilik Riwut",
        "0812 3456 7890",
        "100.000",
        "1.250.000",
    ]


def test_member_list_in_the_old_systems_own_column_names_is_imported(setup):
    (n1, k1), (n2, k2) = f.unique_ids(), f.unique_ids()
    content = xlsx_bytes(
        [
            ["DAFTAR ANGGOTA KPRI BINA SEJAHTERA"],
            [],
            HEADER,
            _line(1, n1, k1, unit="Dinas Pendidikan Kota Palangka Raya"),
            _line(2, n2, k2, unit="rsud  dr. doris sylvanus"),
        ]
    )

    batch = member_import_upload(content=content, file_name="anggota.xlsx", by=setup)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=setup)

    got = {
        (m.number, m.full_name, m.agency.code, m.join_date, m.phone, m.position, m.address)
        for m in Member.objects.filter(nip__in=[n1, n2])
    }
    assert got == {
        (
            "A-0001",
            "Anggota Lama 1",
            "DISDIK",
            date(2019, 3, 1),
            "+6281234567890",
            "Guru",
            "Jl. Tjilik Riwut",
        ),
        (
            "A-0002",
            "Anggota Lama 2",
            "RSUD",
            date(2019, 3, 1),
            "+6281234567890",
            "Guru",
            "Jl. Tjilik Riwut",
        ),
    }


def test_birth_date_that_is_not_the_nips_is_the_rows_error(setup):
    nip, nik = f.unique_ids()
    content = xlsx_bytes([HEADER, _line(1, nip, nik, unit="DISDIK", born=date(1960, 1, 1))])

    batch = member_import_upload(content=content, file_name="anggota.xlsx", by=setup)

    assert batch.status == "invalid"
    (err,) = batch.errors
    assert err["column"] == "tanggal_lahir"
    assert "tidak sama dengan tanggal lahir menurut NIP" in err["message"]


def test_two_columns_read_as_one_are_refused_naming_both(setup):
    nip, nik = f.unique_ids()
    header = [*HEADER, "Nama Lengkap"]
    line = [*_line(1, nip, nik, unit="DISDIK"), "Anggota Lama 1"]

    with pytest.raises(ApplicationError) as e:
        member_import_upload(content=xlsx_bytes([header, line]), file_name="a.xlsx", by=setup)

    assert e.value.code == "import_bad_columns"
    assert "kolom ganda: Nama, Nama Lengkap sama-sama dibaca sebagai nama_lengkap" in (
        e.value.message
    )
    assert not Member.objects.filter(nip=nip).exists()


def test_agency_name_two_agencies_share_is_refused_asking_for_the_code(setup):
    f.agency("DISDIK2", "Dinas Pendidikan Kota Palangka Raya")
    nip, nik = f.unique_ids()
    content = xlsx_bytes([HEADER, _line(1, nip, nik, unit="Dinas Pendidikan Kota Palangka Raya")])

    batch = member_import_upload(content=content, file_name="anggota.xlsx", by=setup)

    (err,) = batch.errors
    assert err["column"] == "kode_instansi"
    assert "dipakai 2 instansi (DISDIK, DISDIK2): tulis kodenya" in err["message"]


def test_a_no_column_without_a_member_number_column_is_refused_as_unclear(setup):
    nip, nik = f.unique_ids()
    header = [h for h in HEADER if h != "No. Agt"]
    line = [
        v for h, v in zip(HEADER, _line(1, nip, nik, unit="DISDIK"), strict=True) if h != "No. Agt"
    ]

    with pytest.raises(ApplicationError) as e:
        member_import_upload(content=xlsx_bytes([header, line]), file_name="a.xlsx", by=setup)

    assert "kolom No bisa nomor urut atau nomor anggota" in e.value.message
