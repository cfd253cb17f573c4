"""The RAT pack: PDF with the letterhead and every section, XLSX with its tables, the
board's texts saved per year; refused before the year is closed."""

import copy
import io
from datetime import date

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.yearend.rat import rat_pack_pdf, rat_pack_tables, rat_pack_xlsx
from core.yearend.services import rat_texts_set, shu_post, yearend_close
from tenants.services import tenant_host

from .conftest import YEAR


@pytest.fixture
def staff(year_once, in_tenant_a):
    """The module's staff (``year_once``: built once for the module, never committed),
    copied for the test."""
    return copy.deepcopy(year_once["staff"])


@pytest.fixture
def year_data(year_once, staff):
    """The module's 2025 (``year_once``), its objects copied for the test."""
    return copy.deepcopy(year_once["year"])


def test_rat_pack_refused_before_close(year_data):
    with pytest.raises(ApplicationError) as e:
        rat_pack_tables(year=YEAR)
    assert e.value.code == "year_not_closed"


def test_texts_saved_per_year_and_audited(staff):
    rat_texts_set(year=YEAR, by=staff["ketua"], board_report="Tahun yang baik.")
    row = rat_texts_set(year=YEAR, by=staff["bendahara"], agenda="1. Pembukaan")
    assert (row.board_report, row.agenda) == ("Tahun yang baik.", "1. Pembukaan")
    assert row.policies  # the default policies text is kept
    assert AuditEvent.objects.filter(action="yearend.rat_texts.set").count() == 2
    with pytest.raises(ApplicationError) as e:
        rat_texts_set(year=YEAR, by=staff["petugas"], agenda="x")
    assert e.value.status_code == 403
    with pytest.raises(ApplicationError):
        rat_texts_set(year=YEAR, by=staff["ketua"], colour="x")


def test_pack_tables_pdf_and_xlsx(ready, staff):
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    titles = [str(t["title"]) for t in rat_pack_tables(year=YEAR)]  # draft SHU before RAT
    for expected in (
        "Neraca",
        "Laporan Perhitungan Hasil Usaha",
        "Laporan Perubahan Ekuitas",
        "Laporan Arus Kas",
        "CaLK: mutasi penyisihan penghapusan piutang (PPAP)",
        f"Pembagian SHU tahun buku {YEAR}",
        f"SHU per anggota tahun buku {YEAR}",
        f"Statistik anggota tahun {YEAR}",
        "Portofolio simpanan",
        "Portofolio pinjaman",
        "Kolektibilitas pinjaman dan NPL",
        "Pinjaman yang direstrukturisasi",
    ):
        assert expected in titles
    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="02/RAT", by=by)
    rat_texts_set(year=YEAR, by=by, board_report="Laporan pengurus uji")
    pdf = rat_pack_pdf(year=YEAR)
    assert pdf[:4] == b"%PDF" and len(pdf) > 10000
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(rat_pack_xlsx(year=YEAR)))
    assert len(wb.sheetnames) == len(titles)
    ws = next(wb[n] for n in wb.sheetnames if "SHU per anggota" in n)
    numbers = [r[0].value for r in ws.iter_rows()]
    assert ready["m1"].number in numbers


def test_rat_pages_and_api(tenant_a, ready, staff):
    by = staff["bendahara"]
    yearend_close(year=YEAR, by=by)
    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(by)
    assert c.get(f"/tutup-buku/{YEAR}/rat/").status_code == 200
    r = c.post(f"/tutup-buku/{YEAR}/rat/", {"agenda": "Acara", "board_report": "Isi"})
    assert r.status_code == 302
    r = c.get(f"/tutup-buku/{YEAR}/rat.pdf")
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    r = c.get(f"/api/v1/yearend/{YEAR}/rat-pack/?file=xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get(f"/api/v1/yearend/{YEAR}/rat-texts/")
    assert r.json()["agenda"] == "Acara"
    r = c.get(f"/api/v1/yearend/{YEAR + 1}/rat-pack/")
    assert r.status_code == 400 and r.json()["error"]["code"] == "year_not_closed"
    p = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    p.force_login(staff["pengawas"])
    assert p.get(f"/tutup-buku/{YEAR}/rat.pdf").status_code == 200
    assert p.post(f"/tutup-buku/{YEAR}/rat/", {"agenda": "x"}).status_code == 403


def test_long_member_list_printed_as_text_blocks_with_headers():
    from decimal import Decimal

    from core.yearend.rat import COMPACT_LINES, compact_blocks

    rows = [
        {"kind": "row", "cells": [f"A{i:05d}", f"Anggota {i}", Decimal("1500000"), 0, 1, 2, 3]}
        for i in range(COMPACT_LINES * 2 + 5)
    ]
    blocks = compact_blocks({"columns": ["No", "Nama", "M", "J", "A", "B", "S"], "rows": rows})
    assert len(blocks) == 3
    assert all(b.splitlines()[0].startswith("No") for b in blocks)
    assert "A00000" in blocks[0] and "1.500.000" in blocks[0]
    assert sum(len(b.splitlines()) - 2 for b in blocks) == len(rows)


def test_collectibility_is_as_of_year_end_not_as_printed(ready, staff):
    """m1's loan was behind at 31 December (last paid in June) and is paid off in
    January: the RAT pack still reports it, with the grade the 31 December run gave."""
    from core.ledger.services import fiscal_year_ensure
    from core.loans.arrears import loans_arrears_update
    from core.loans.models import LoanGradeSnapshot
    from core.loans.selectors import collectibility_summary
    from core.loans.services import loan_payoff

    by = staff["bendahara"]
    loan = ready["loan"]
    loan.refresh_from_db()
    grade, outstanding = loan.kolektibilitas, loan.principal_outstanding
    assert grade not in ("lancar", "") and outstanding == 6_000_000
    snap = LoanGradeSnapshot.objects.get(on=date(YEAR, 12, 31), loan=loan)
    assert (snap.kolektibilitas, snap.principal_outstanding) == (grade, outstanding)
    yearend_close(year=YEAR, by=by)
    fiscal_year_ensure(year=YEAR + 1)
    loan_payoff(loan=loan, by=by, on=date(YEAR + 1, 1, 15))
    loans_arrears_update(on=date(YEAR + 1, 1, 20), by=by)  # not a month end: no snapshot
    loans_arrears_update(on=date(YEAR + 1, 1, 31), by=by)
    assert collectibility_summary()["total"] == 0  # today: nothing running
    s = collectibility_summary(as_of=date(YEAR, 12, 31))
    assert s["as_of"] == date(YEAR, 12, 31)
    assert s["total"] == outstanding
    assert {g["grade"]: g["count"] for g in s["grades"]}[grade] == 1
    table = next(
        t for t in rat_pack_tables(year=YEAR) if t["title"] == "Kolektibilitas pinjaman dan NPL"
    )
    assert f"31 Des {YEAR}" in str(table["subtitle"])
    total_row = next(r for r in table["rows"] if r["kind"] == "total")
    assert total_row["cells"][3] == outstanding
    assert LoanGradeSnapshot.objects.filter(on=date(YEAR + 1, 1, 31)).count() == 0


def test_close_checklist_wants_an_arrears_run_dated_31_december(year_data, staff):
    from core.loans.arrears import loans_arrears_update
    from core.yearend.selectors import close_checklist

    loans_arrears_update(on=date(YEAR + 1, 1, 5), by=staff["bendahara"])
    items = {i.key: i for i in close_checklist(year=YEAR)}
    assert not items["arrears_run"].ok
    loans_arrears_update(on=date(YEAR, 12, 31), by=staff["bendahara"])
    items = {i.key: i for i in close_checklist(year=YEAR)}
    assert items["arrears_run"].ok
