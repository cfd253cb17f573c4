"""The RAT pack's XLSX holds numbers a spreadsheet can add up: counts (members, savings
accounts, loans) as whole numbers, money as exact rupiah amounts; the PDF prints them
formatted."""

import io
from decimal import Decimal

from openpyxl import load_workbook

from core.yearend.rat import printable_table, rat_pack_xlsx
from core.yearend.services import yearend_close

from .conftest import YEAR

COUNT_FORMAT = "#,##0"
RUPIAH_FORMAT = '"Rp" #,##0;-"Rp" #,##0'


def _sheet(wb, title: str):
    return next(wb[n] for n in wb.sheetnames if title in n)


def _row(ws, label: str):
    return next(r for r in ws.iter_rows() if r[1].value == label)


def test_rat_pack_xlsx_counts_are_whole_numbers(ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    wb = load_workbook(io.BytesIO(rat_pack_xlsx(year=YEAR)))

    stats = _sheet(wb, "Statistik anggota")
    for label, n in (
        ("Anggota awal tahun", 3),
        ("Masuk selama tahun", 0),
        ("Keluar selama tahun", 0),
    ):
        cell = _row(stats, label)[2]
        assert (cell.value, cell.data_type, cell.number_format) == (n, "n", COUNT_FORMAT)
    at_end = _row(stats, "Anggota akhir tahun")[2]
    assert at_end.value == 3 and at_end.number_format == COUNT_FORMAT

    savings = _sheet(wb, "Portofolio simpanan")
    rows = [r for r in savings.iter_rows(min_row=6) if r[0].value]
    assert rows and all(isinstance(r[2].value, int) for r in rows), [r[2].value for r in rows]
    total = _row(savings, "Jumlah")
    assert total[2].value == sum(r[2].value for r in rows) == 7  # 2 pokok, 2 wajib, 3 sukarela
    assert total[3].number_format == RUPIAH_FORMAT and total[3].data_type == "n"

    loans = _sheet(wb, "Portofolio pinjaman")
    disbursed = _row(loans, "Pinjaman dicairkan (jumlah)")[2]
    assert (disbursed.value, disbursed.number_format) == (1, COUNT_FORMAT)
    principal = _row(loans, "Pinjaman dicairkan (pokok)")[2]
    assert (principal.value, principal.number_format) == (10_000_000, RUPIAH_FORMAT)

    kolek = _sheet(wb, "Kolektibilitas")
    assert _row(kolek, "Jumlah")[2].value == 1


def test_pdf_prints_counts_with_thousands_and_money_as_rupiah():
    table = {
        "title": "t",
        "subtitle": "",
        "columns": ["", "Uraian", "Jumlah", "Saldo"],
        "rows": [{"kind": "row", "cells": ["", "Anggota", 12345, Decimal("1500000")]}],
    }
    [row] = printable_table(table)["rows"]
    assert [c["value"] for c in row["cells"]][2] == "12.345"
    assert row["cells"][3] == {"value": Decimal("1500000"), "money": True, "text": "Rp 1.500.000"}


def test_pdf_shows_sen_when_the_table_has_sen_so_lines_add_up_to_the_total():
    """A table with sen is printed with two decimals in every money cell (as the ledger
    reports do): 0,50 + 0,50 = 1,00 on paper, not 1 + 1 = 1."""
    table = {
        "title": "t",
        "subtitle": "",
        "columns": ["", "Uraian", "Saldo"],
        "rows": [
            {"kind": "row", "cells": ["", "A", Decimal("0.50")]},
            {"kind": "row", "cells": ["", "B", Decimal("0.50")]},
            {"kind": "total", "cells": ["", "Jumlah", Decimal("1.00")]},
        ],
    }
    texts = [r["cells"][2]["text"] for r in printable_table(table)["rows"]]
    assert texts == ["Rp 0,50", "Rp 0,50", "Rp 1,00"]


def test_rat_pack_xlsx_sheets_say_when_printed(ready, staff):
    """Each sheet an auditor takes away names the cooperative, the year and when it was
    printed, as the PDF's pages do."""
    from django.db import connection
    from django.utils import timezone

    from core.common.dates import format_tanggal

    yearend_close(year=YEAR, by=staff["bendahara"])
    wb = load_workbook(io.BytesIO(rat_pack_xlsx(year=YEAR)))
    # the moment printed, not the cooperative's today: this module fixes that to a later
    # day when the suite runs early in January (``yearend_today``)
    today = format_tanggal(timezone.localtime().date())
    for ws in wb.worksheets:
        head = [str(c) for r in ws.iter_rows(max_row=4, values_only=True) for c in r if c]
        assert connection.tenant.name in head, ws.title
        assert any(t.startswith("Dicetak ") and today in t for t in head), (ws.title, head)
