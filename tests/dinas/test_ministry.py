"""The ministry's yearly export: the documented column layout (docs/dinas.md), one row
per cooperative, sums per regency and for the area."""

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from lumbung.dinas.exports import MINISTRY_COLUMNS
from lumbung.dinas.models import YearFigures

from .conftest import KAPUAS, KOBAR, verified_client

pytestmark = pytest.mark.django_db

DOCUMENTED = [
    "Tahun buku",
    "Provinsi",
    "Kabupaten/Kota",
    "Nama Koperasi",
    "Jenis Koperasi",
    "Nomor Badan Hukum",
    "NIK Koperasi",
    "Jumlah Anggota",
    "Modal Sendiri",
    "Modal Luar",
    "Volume Usaha",
    "Aset",
    "SHU",
    "RAT Dilaksanakan",
    "Tanggal RAT",
    "Jumlah Karyawan",
    "Tahun Buku Selesai",
    "Waktu Angka",
]


def test_layout_is_the_documented_one():
    assert [h for _k, h in MINISTRY_COLUMNS] == DOCUMENTED
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "dinas.md").read_text()
    for header in DOCUMENTED:
        assert f"| {header} |" in doc


def _book(resp):
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(resp.content))


def test_area_export(pembina_prov, shared_both):
    a, b = shared_both
    year = date.today().year - 1
    YearFigures.objects.filter(cooperative=a, year=year).update(
        members=100, own_capital=Decimal(500), rat_held=True, rat_date=date(year + 1, 3, 1)
    )
    YearFigures.objects.filter(cooperative=b, year=year).update(
        members=50, own_capital=Decimal(250)
    )
    wb = _book(verified_client(pembina_prov.user).get("/dinas/kementerian/", {"year": year}))
    rows = list(wb["Koperasi"].iter_rows(values_only=True))
    assert list(rows[0]) == DOCUMENTED
    by_name = {r[3]: r for r in rows[1:]}
    assert set(by_name) == {a.name, b.name}
    ra = by_name[a.name]
    assert ra[0] == year and ra[2] == KAPUAS and ra[7] == 100 and ra[8] == 500
    assert ra[13] == "Ya" and ra[14].date() == date(year + 1, 3, 1)
    assert by_name[b.name][13] == "Tidak"
    area = list(wb["Wilayah"].iter_rows(values_only=True))
    assert area[0][:4] == ("Tahun buku", "Wilayah", "Jumlah Koperasi", "Koperasi dengan RAT")
    by_area = {r[1]: r for r in area[1:]}
    assert by_area[KAPUAS][2] == 1 and by_area[KOBAR][2] == 1
    total = by_area[pembina_prov.area_label]
    assert total[2] == 2 and total[3] == 1 and total[4] == 150 and total[5] == 750


def test_regency_pembina_exports_its_regency_only(pembina_kapuas, shared_both):
    a, b = shared_both
    year = date.today().year
    wb = _book(verified_client(pembina_kapuas.user).get("/dinas/kementerian/", {"year": year}))
    names = [r[3] for r in list(wb["Koperasi"].iter_rows(values_only=True))[1:]]
    assert names == [a.name]


def test_per_cooperative_export(pembina_prov, shared_both):
    a, _b = shared_both
    year = date.today().year
    wb = _book(
        verified_client(pembina_prov.user).get(
            f"/dinas/koperasi/{a.pk}/kementerian/", {"year": year}
        )
    )
    rows = list(wb["Koperasi"].iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][3] == a.name and rows[1][0] == year


def test_no_year_means_last_year(pembina_prov, shared_both):
    """A bad year is refused (tests/dinas/test_bad_input.py), never replaced."""
    wb = _book(verified_client(pembina_prov.user).get("/dinas/kementerian/"))
    rows = list(wb["Koperasi"].iter_rows(values_only=True))
    assert len(rows) == 3 and all(r[0] == date.today().year - 1 for r in rows[1:])
