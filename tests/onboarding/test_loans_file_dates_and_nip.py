"""Loans brought in from a treasurer's spreadsheet: a date column that Excel wrote as its
date serial (45292) is read as that date, an amount typed in it is refused naming the
row and column; a loan may name its member by NIP when the file has no member number."""

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import to_excel

from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.onboarding.files import rows_from_file
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post

from .helpers import loan_row, tb_rows

HEADER = ["no anggota", "kode produk", "no pinjaman", "pokok awal", "tanggal cair"]
HEADER += ["tenor", "sisa pokok", "angsuran dibayar"]


def _line(row: dict, disbursed) -> list:
    return [row["member_number"], "PINJ", row["loan_number"], 12000000, disbursed, 12, 5000000, 7]


def _csv(lines: list[list], header=HEADER) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows([header, *lines])
    return buf.getvalue().encode()


def _xlsx(lines: list[list], header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in [header, *lines]:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _errors(exc) -> dict:
    return {(r["row"], r["field"]): r["message"] for r in exc.value.fields["rows"]}


@pytest.mark.parametrize("make", [_csv, _xlsx])
def test_disbursement_date_as_an_excel_serial_is_read_as_that_date(
    make, move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    good = loan_row(members[0], cutover)
    disbursed = date.fromisoformat(good["disbursed_on"])
    serial = int(to_excel(disbursed))
    # a CSV holds the digits as text, a number-typed XLSX cell the number itself
    content = make([_line(good, str(serial) if make is _csv else serial)])
    name = "pinjaman.csv" if make is _csv else "pinjaman.xlsx"
    rows = rows_from_file(content=content, file_name=name, kind="loans")
    (loan,) = loans_import(move_in=move_in, rows=rows, by=by)
    assert Loan.objects.get(pk=loan.pk).disbursed_on == disbursed


@pytest.mark.parametrize("make", [_csv, _xlsx])
def test_an_amount_in_the_date_column_is_refused_naming_row_and_column(
    make, move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    good = loan_row(members[0], cutover)
    content = make([_line(good, 12000000 if make is _xlsx else "12000000")])
    name = "pinjaman.csv" if make is _csv else "pinjaman.xlsx"
    rows = rows_from_file(content=content, file_name=name, kind="loans")
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=move_in, rows=rows, by=by)
    errors = _errors(e)
    assert list(errors) == [(2, "disbursed_on")]
    assert "12000000" in errors[(2, "disbursed_on")]
    assert "bukan tanggal" in errors[(2, "disbursed_on")]
    assert not Loan.objects.exists()
