"""The totals row agencies append under a payroll return ("Total Potongan", "JUMLAH",
"TOTAL", in whichever column they put it) is recognised as the members' import
recognises it (``core.common.spreadsheet.totals_label``), skipped, and its amount
checked against the sum of the rows above it: a file whose total says more or less than
its rows may be cut short, and is refused saying so."""

from decimal import Decimal as D

import pytest

from core.common.spreadsheet import totals_label
from core.deductions.models import DeductionLine

from .conftest import make_run
from .test_return_corpus import csv_of, upload, xlsx


@pytest.fixture
def month(coop, cutoffs):
    return coop, make_run(on=cutoffs[1], by=coop["by"])


@pytest.mark.parametrize(
    "header,total_row",
    [
        ("NIP,Nama,Jumlah", ",Total Potongan,{t}"),
        ("No,NIP,Nama,Jumlah", ",,JUMLAH,{t}"),
        ("NIP,Nama,Jumlah", "TOTAL,,{t}"),
        ("NIP,Nama,Jumlah", "Jumlah Total,,{t}"),
    ],
)
def test_a_totals_row_is_skipped_not_a_row_error(month, header, total_row):
    coop, run = month
    m1, m2 = coop["m"][:2]
    cols = header.split(",")
    lead = "1," if cols[0] == "No" else ""
    content = csv_of(
        [
            header,
            f"{lead}{m1.nip},A,100000",
            f"{lead}{m2.nip},B,50000",
            total_row.format(t=150000),
        ]
    )
    imp = upload(coop, run, content)
    assert imp.status == "valid", (imp.file_errors, imp.errors)
    assert imp.total_realized == D(150000) and len(imp.rows) == 2


def test_a_totals_row_that_does_not_match_its_rows_is_refused_as_cut_short(month):
    coop, run = month
    m1, m2 = coop["m"][:2]
    content = csv_of(
        [
            "NIP,Nama,Jumlah",
            f"{m1.nip},A,100000",
            f"{m2.nip},B,50000",
            ',Total Potongan,"1.250.000"',
        ]
    )
    imp = upload(coop, run, content)
    assert imp.status == "invalid" and not imp.errors, imp.errors
    (msg,) = [e["message"] for e in imp.file_errors]
    assert "Total Potongan" in msg and "baris 4" in msg, msg
    assert "Rp 1.250.000" in msg and "Rp 150.000" in msg and "terpotong" in msg, msg


def test_a_totals_row_in_an_xlsx_with_a_formula_total_is_skipped(month):
    """The export's own TOTAL row: its Realisasi is =SUM(), without a value when the
    file was not opened in Excel: nothing to compare, not an error."""
    coop, run = month
    m1 = coop["m"][0]

    def build(wb, ws):
        ws.append(["NIP", "Nama", "Realisasi"])
        ws.append([m1.nip, "A", 100000])
        ws.append(["", "JUMLAH", "=SUM(C2:C2)"])

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "valid", (imp.file_errors, imp.errors)
    assert imp.total_realized == D(100000)


def test_a_member_named_like_a_total_with_a_member_number_is_a_member(month):
    coop, run = month
    m1 = coop["m"][0]
    asked = DeductionLine.objects.get(run=run, member=m1).total
    content = csv_of(["No. Anggota,Nama,Jumlah", f"{m1.number},Totalia,{int(asked)}"])
    imp = upload(coop, run, content)
    assert imp.status == "valid", (imp.file_errors, imp.errors)
    assert imp.total_realized == asked


def test_totals_label_is_the_members_import_rule():
    assert totals_label("Total Potongan") and totals_label(" JUMLAH ")
    assert totals_label("Grand Total") and totals_label("Sub-total")
    assert not totals_label("Siti") and not totals_label("") and not totals_label(None)
