"""The RAT is held every year: a year closed with a deficit still gets its pack (the
statements, notes, member statistics, loan quality), which says there is no SHU to
share out and states the deficit in place of the split and the per-member list."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from openpyxl import load_workbook

from core.yearend.rat import rat_pack_pdf, rat_pack_tables, rat_pack_xlsx
from core.yearend.services import yearend_close
from tenants.services import tenant_host
from tests.members import factories as f

from .conftest import YEAR, _deposit, close_preliminaries, year_result_post

D = Decimal


@pytest.fixture
def deficit_year(staff):
    """One member; Rp 50,000 of expense and no income: closed with a deficit."""
    from core.ledger.services import fiscal_year_ensure

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    _deposit(f.member(full_name="Satu"), "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(
        by, "50000", debit="savings_interest_expense", credit="cash", description="Beban kantor"
    )
    close_preliminaries(by)
    ye = yearend_close(year=YEAR, by=by)
    assert ye.shu_after_tax == D("-50000")
    return ye


def test_rat_pack_tables_of_a_deficit_year_state_the_deficit(deficit_year):
    tables = rat_pack_tables(year=YEAR)
    titles = [str(t["title"]) for t in tables]
    for expected in (
        "Neraca",
        "Laporan Perhitungan Hasil Usaha",
        "Laporan Perubahan Ekuitas",
        "Laporan Arus Kas",
        "CaLK: mutasi penyisihan penghapusan piutang (PPAP)",
        f"Pembagian SHU tahun buku {YEAR}",
        f"Statistik anggota tahun {YEAR}",
        "Portofolio simpanan",
        "Portofolio pinjaman",
        "Kolektibilitas pinjaman dan NPL",
        "Pinjaman yang direstrukturisasi",
    ):
        assert expected in titles
    assert f"SHU per anggota tahun buku {YEAR}" not in titles  # nothing to share
    shu = next(t for t in tables if str(t["title"]) == f"Pembagian SHU tahun buku {YEAR}")
    cells = [c for r in shu["rows"] for c in r["cells"]]
    assert D("-50000") in cells  # SHU setelah pajak
    text = " ".join(str(c) for c in cells)
    assert "defisit Rp 50.000" in text and "tidak ada SHU yang dibagi" in text
    assert "Defisit" in str(shu["subtitle"])


def test_rat_pack_pdf_and_xlsx_of_a_deficit_year(deficit_year):
    pdf = rat_pack_pdf(year=YEAR)
    assert pdf[:4] == b"%PDF" and len(pdf) > 10000
    wb = load_workbook(io.BytesIO(rat_pack_xlsx(year=YEAR)))
    assert len(wb.sheetnames) == len(rat_pack_tables(year=YEAR))
    ws = next(wb[n] for n in wb.sheetnames if "Pembagian SHU" in n)
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "defisit Rp 50.000" in text


def test_rat_screens_and_api_of_a_deficit_year(tenant_a, deficit_year, staff):
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(staff["bendahara"])
    assert c.get(f"/tutup-buku/{YEAR}/rat/").status_code == 200
    page = c.get(f"/tutup-buku/{YEAR}/")
    html = page.content.decode()
    # nothing to post after the RAT: the page says why instead of offering the posting
    assert page.status_code == 200 and 'id="no-shu"' in html and "defisit" in html
    assert 'value="post"' not in html
    r = c.get(f"/tutup-buku/{YEAR}/rat.pdf")
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    r = c.get(f"/tutup-buku/{YEAR}/rat.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get(f"/api/v1/yearend/{YEAR}/rat-pack/?file=pdf")
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    # the SHU preview itself stays refused, with its reason
    r = c.get(f"/api/v1/yearend/{YEAR}/preview/")
    assert r.status_code == 400 and r.json()["error"]["code"] == "shu_deficit"


def test_rat_pack_of_a_year_without_surplus_or_deficit(staff):
    from core.ledger.services import fiscal_year_ensure

    by = staff["bendahara"]
    fiscal_year_ensure(year=YEAR)
    _deposit(f.member(full_name="Satu"), "pokok", "100000", date(YEAR, 1, 10), by)
    year_result_post(
        by, "50000", debit="savings_interest_expense", description="Pendapatan dan beban sama"
    )
    close_preliminaries(by)
    assert yearend_close(year=YEAR, by=by).shu_after_tax == 0
    shu = next(t for t in rat_pack_tables(year=YEAR) if "Pembagian SHU" in str(t["title"]))
    text = " ".join(str(c) for r in shu["rows"] for c in r["cells"])
    assert "tidak menghasilkan SHU" in text
