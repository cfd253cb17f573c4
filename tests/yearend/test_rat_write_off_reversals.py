"""The RAT pack's notes explain every write-off entry of the year and every reversal of
one: a board write-off of an earlier year reversed in this year is listed among the
year's reversals, and a write-off made and reversed within the year is listed as
written off (marked reversed) and among the reversals. Their totals tie to the loans
receivable movement's "Pinjaman dihapusbukukan" line and the PPAP movement's "Dipakai
untuk pinjaman dihapusbukukan" line of the same pack."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.ledger.services import fiscal_year_ensure
from core.loans.arrears import loans_arrears_update
from core.loans.services import (
    loan_write_off,
    loan_write_off_reverse,
)
from core.yearend.rat import rat_pack_tables, rat_pack_xlsx
from core.yearend.services import yearend_close

from .conftest import YEAR, close_preliminaries, loan_disbursed

D = Decimal
LAST = YEAR - 1  # year 1: the write-off; YEAR (year 2): its reversal, the pack


@pytest.fixture
def two_years(year_data, staff):
    """Year 1 (``LAST``): m2 takes 4,000,000 on 5 January and never pays; Macet at the run
    of 1 December (allowance 100%), written off by the board on 2 December (SK-1). Year 2
    (``YEAR``): that write-off is reversed on 15 January (the loan runs again, still
    Macet); m3 takes 3,000,000 on 5 January and never pays, is written off on 2 December
    (SK-2) and the write-off reversed on 10 December. Both years are closed."""
    by, ketua = staff["bendahara"], staff["ketua"]
    product = year_data["loan"].product
    m2, m3 = year_data["m2"], year_data["m3"]
    fiscal_year_ensure(year=LAST)
    old = loan_disbursed(product, m2, staff, on=date(LAST, 1, 5), principal="4000000")
    loans_arrears_update(on=date(LAST, 12, 1), by=by)
    old.refresh_from_db()
    assert (old.kolektibilitas, old.ppap_amount) == ("macet", D("4000000"))
    wo_old = loan_write_off(
        loan=old, by=ketua, on=date(LAST, 12, 2), reason="Tidak tertagih", decision_ref="SK-1"
    )
    # reversed in January, while year 1's December is still open (as the service asks);
    # year 1 is closed after it
    loan_write_off_reverse(write_off=wo_old, by=ketua, reason="Salah", on=date(YEAR, 1, 15))
    close_preliminaries(by, year=LAST)
    yearend_close(year=LAST, by=by)
    new = loan_disbursed(product, m3, staff, on=date(YEAR, 1, 5), principal="3000000")
    loans_arrears_update(on=date(YEAR, 12, 1), by=by)
    new.refresh_from_db()
    assert (new.kolektibilitas, new.ppap_amount) == ("macet", D("3000000"))
    wo_new = loan_write_off(
        loan=new, by=ketua, on=date(YEAR, 12, 2), reason="Tidak tertagih", decision_ref="SK-2"
    )
    loan_write_off_reverse(write_off=wo_new, by=ketua, reason="Keliru", on=date(YEAR, 12, 10))
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    return {"old": old, "new": new, "m2": m2, "m3": m3}


def _tables() -> dict:
    return {str(t["title"]): t for t in rat_pack_tables(year=YEAR)}


def _line(table: dict, label: str) -> list:
    return next(r["cells"][2:] for r in table["rows"] if str(r["cells"][1]) == label)


def test_year_two_lists_the_reversal_of_year_ones_write_off_and_ties_the_movements(two_years):
    w = two_years
    t = _tables()
    written = t["CaLK: pinjaman dihapusbukukan"]
    # made in the year: the one of 2 December, reversed within the year, so marked
    assert [r["cells"] for r in written["rows"]] == [
        [
            w["new"].number,
            f"{w['m3'].number} {w['m3'].full_name}",
            f"2 Desember {YEAR}, dibatalkan 10 Desember {YEAR}",
            "Keputusan pengurus",
            "SK-2",
            D("3000000"),
            D("0"),
            D("3000000"),
            D("0"),
        ],
        ["Jumlah", "", "", "", "", D("3000000"), D("0"), D("3000000"), D("0")],
    ]
    reversed_ = t["CaLK: pembatalan hapus buku pinjaman"]
    assert [str(c) for c in reversed_["columns"]] == [
        "Pinjaman",
        "Anggota",
        "Tanggal hapus buku",
        "Tanggal pembatalan",
        "Keputusan pengurus",
        "Pokok",
        "Piutang jasa",
        "Dari PPAP",
        "Beban PPAP",
    ]
    # by date of the reversal: year 1's write-off (its date says which year) first
    assert [r["cells"] for r in reversed_["rows"]] == [
        [
            w["old"].number,
            f"{w['m2'].number} {w['m2'].full_name}",
            f"2 Desember {LAST}",
            f"15 Januari {YEAR}",
            "SK-1",
            D("4000000"),
            D("0"),
            D("4000000"),
            D("0"),
        ],
        [
            w["new"].number,
            f"{w['m3'].number} {w['m3'].full_name}",
            f"2 Desember {YEAR}",
            f"10 Desember {YEAR}",
            "SK-2",
            D("3000000"),
            D("0"),
            D("3000000"),
            D("0"),
        ],
        ["Jumlah", "", "", "", "", D("7000000"), D("0"), D("7000000"), D("0")],
    ]
    # the movements: the ledger's figures, tied by the notes' own figures
    receivable = _line(t["CaLK: mutasi piutang pinjaman anggota"], "Pinjaman dihapusbukukan")
    ppap = _line(
        t["CaLK: mutasi penyisihan penghapusan piutang (PPAP)"],
        "Dipakai untuk pinjaman dihapusbukukan",
    )
    assert receivable == [D("4000000")] == [D("7000000") - D("3000000")]
    assert ppap == [D("4000000")]
    tie = t["CaLK: hapus buku pinjaman terhadap mutasi piutang dan PPAP"]
    assert [r["cells"] for r in tie["rows"]] == [
        ["", "Dihapusbukukan dalam tahun (keputusan pengurus)", D("-3000000"), D("-3000000")],
        ["", "Pembatalan hapus buku dalam tahun", D("7000000"), D("7000000")],
        ["", "Mutasi bersih", receivable[0], ppap[0]],
    ]


def test_year_one_lists_its_write_off_standing_and_no_reversal(two_years):
    """Year 1's books show the write-off of 2 December standing on 31 December (its
    reversal is an entry of year 2): listed unmarked, no reversal, and the movements tie."""
    w = two_years
    t = {str(x["title"]): x for x in rat_pack_tables(year=LAST)}
    assert [r["cells"][:5] for r in t["CaLK: pinjaman dihapusbukukan"]["rows"]] == [
        [
            w["old"].number,
            f"{w['m2'].number} {w['m2'].full_name}",
            f"2 Desember {LAST}",
            "Keputusan pengurus",
            "SK-1",
        ],
        ["Jumlah", "", "", "", ""],
    ]
    assert [r["cells"][1] for r in t["CaLK: pembatalan hapus buku pinjaman"]["rows"]] == [
        "Tidak ada."
    ]
    receivable = _line(t["CaLK: mutasi piutang pinjaman anggota"], "Pinjaman dihapusbukukan")
    assert receivable == [D("-4000000")]
    tie = t["CaLK: hapus buku pinjaman terhadap mutasi piutang dan PPAP"]
    assert tie["rows"][-1]["cells"] == ["", "Mutasi bersih", D("-4000000"), D("-4000000")]


def test_year_two_xlsx_has_the_reversals_sheet(two_years):
    wb = load_workbook(BytesIO(rat_pack_xlsx(year=YEAR)))
    ws = next(wb[n] for n in wb.sheetnames if "pembatalan hapus buku" in n.lower())
    total = next([c.value for c in row] for row in ws.iter_rows() if row[0].value == "Jumlah")
    assert total[5:9] == [7000000, 0, 7000000, 0]
