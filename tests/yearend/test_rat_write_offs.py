"""The RAT pack lists the year's write-offs, whatever the route (a Macet loan written off
by the board while the member stays, a loan waived at a deceased member's exit), with
the principal and jasa written off, the allowance used and the expense, and the year's
recoveries on them; the totals tie to the write-off register as of 31 December."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from core.exits.services import exit_settlement_confirm
from core.ledger.selectors import balances_check
from core.loans.arrears import loans_arrears_update
from core.loans.models import LoanWriteOff
from core.loans.reports import report_write_offs
from core.loans.services import (
    loan_recovery_receive,
    loan_recovery_reverse,
    loan_write_off,
)
from core.members.services import heir_add
from core.yearend.rat import rat_pack_tables, rat_pack_xlsx
from core.yearend.services import yearend_close
from tests.loans.conftest import assert_reconciled

from .conftest import YEAR, close_preliminaries, loan_disbursed

D = Decimal
END = date(YEAR, 12, 31)


@pytest.fixture
def year_with_write_offs(year_data, staff):
    """In ``YEAR``: m3 (sukarela 1,000,000) takes 3,000,000 on 1 March and dies; the
    board waives it at the exit on 30 September (no allowance held: all PPAP expense).
    m2 takes 4,000,000 on 5 January and never pays: Macet at the run of 1 December
    (allowance 100%), written off by the board on 2 December. The heirs pay 500,000 on
    the first on 15 November; 1,000,000 comes in on the second on 10 December, and a
    200,000 entered by mistake on 11 December is reversed on 12 December."""
    by, ketua = staff["bendahara"], staff["ketua"]
    product = year_data["loan"].product
    m2, m3 = year_data["m2"], year_data["m3"]
    exit_loan = loan_disbursed(product, m3, staff, on=date(YEAR, 3, 1), principal="3000000")
    board_loan = loan_disbursed(product, m2, staff, on=date(YEAR, 1, 5), principal="4000000")
    heir_add(member=m3, by=by, full_name="Maria Tingang", relationship="istri")
    exit_settlement_confirm(
        member=m3,
        reason="deceased",
        on=date(YEAR, 9, 30),
        by=by,
        waive_loans=True,
        waiver_reason="Meninggal dunia",
        board_decision_ref="SK-3/IX",
    )
    loan_recovery_receive(loan=exit_loan, amount=D(500_000), by=by, on=date(YEAR, 11, 15))
    loans_arrears_update(on=date(YEAR, 12, 1), by=by)
    board_loan.refresh_from_db()
    assert (board_loan.kolektibilitas, board_loan.ppap_amount) == ("macet", D("4000000"))
    loan_write_off(
        loan=board_loan,
        by=ketua,
        on=date(YEAR, 12, 2),
        reason="Tidak tertagih",
        decision_ref="SK-12/XII",
    )
    loan_recovery_receive(loan=board_loan, amount=D(1_000_000), by=by, on=date(YEAR, 12, 10))
    wrong = loan_recovery_receive(loan=board_loan, amount=D(200_000), by=by, on=date(YEAR, 12, 11))
    loan_recovery_reverse(recovery=wrong, by=by, reason="Salah catat", on=date(YEAR, 12, 12))
    close_preliminaries(by)
    yearend_close(year=YEAR, by=by)
    return {"exit": exit_loan, "board": board_loan, "m2": m2, "m3": m3}


def _table(title: str) -> dict:
    return next(t for t in rat_pack_tables(year=YEAR) if str(t["title"]) == title)


def test_rat_pack_lists_the_years_write_offs_by_route_with_figures(year_with_write_offs):
    w = year_with_write_offs
    table = _table("CaLK: pinjaman dihapusbukukan")
    rows = [r["cells"] for r in table["rows"] if r["kind"] == "row"]
    (total,) = [r["cells"] for r in table["rows"] if r["kind"] == "total"]
    assert [str(c) for c in table["columns"]] == [
        "Pinjaman",
        "Anggota",
        "Tanggal",
        "Jalur",
        "Keputusan pengurus",
        "Pokok",
        "Piutang jasa",
        "Dari PPAP",
        "Beban PPAP",
    ]
    # by hand: the exit's loan had no allowance (no run before the exit): all expense;
    # the board's had 100% of its 4,000,000
    assert rows == [
        [
            w["exit"].number,
            f"{w['m3'].number} {w['m3'].full_name}",
            f"30 September {YEAR}",
            "Penyelesaian keluar anggota",
            "SK-3/IX",
            D("3000000"),
            D("0"),
            D("0"),
            D("3000000"),
        ],
        [
            w["board"].number,
            f"{w['m2'].number} {w['m2'].full_name}",
            f"2 Desember {YEAR}",
            "Keputusan pengurus",
            "SK-12/XII",
            D("4000000"),
            D("0"),
            D("4000000"),
            D("0"),
        ],
    ]
    assert total[5:] == [D("7000000"), D("0"), D("4000000"), D("3000000")]
    # ties to the write-off register as of 31 December
    reg = report_write_offs(on=END).totals
    assert total[5] + total[6] == reg["amount"]
    assert (total[7], total[8]) == (reg["ppap_used"], reg["expense"])
    assert LoanWriteOff.objects.filter(route="exit").count() == 1
    assert balances_check() == []
    assert_reconciled()


def test_rat_pack_lists_the_years_recoveries_tying_to_the_register(year_with_write_offs):
    w = year_with_write_offs
    table = _table("CaLK: penerimaan pinjaman dihapusbukukan")
    rows = [r["cells"] for r in table["rows"] if r["kind"] == "row"]
    (total,) = [r["cells"] for r in table["rows"] if r["kind"] == "total"]
    # the reversed 200,000 is not in the year's books
    assert [(r[0], r[2], r[4]) for r in rows] == [
        (w["exit"].number, f"15 November {YEAR}", D("500000")),
        (w["board"].number, f"10 Desember {YEAR}", D("1000000")),
    ]
    assert all(r[3].startswith(f"ANG-{YEAR}-") for r in rows)
    assert total[4] == D("1500000") == report_write_offs(on=END).totals["recovered"]


def test_rat_pack_xlsx_has_the_write_off_figures(year_with_write_offs):
    wb = load_workbook(BytesIO(rat_pack_xlsx(year=YEAR)))
    ws = next(
        wb[n] for n in wb.sheetnames if "calk pinjaman dihapusbukukan" in n.lower().replace(":", "")
    )
    values = [[c.value for c in row] for row in ws.iter_rows()]
    total = next(v for v in values if v[0] == "Jumlah")
    assert total[5:9] == [3000000 + 4000000, 0, 4000000, 3000000]
    ws = next(wb[n] for n in wb.sheetnames if "penerimaan pinjaman" in n.lower())
    total = next([c.value for c in row] for row in ws.iter_rows() if row[0].value == "Jumlah")
    assert total[4] == 1500000


def test_a_year_without_write_offs_says_none(ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    for title in (
        "CaLK: pinjaman dihapusbukukan",
        "CaLK: penerimaan pinjaman dihapusbukukan",
    ):
        rows = _table(title)["rows"]
        assert [r["cells"][1] for r in rows] == ["Tidak ada."]
