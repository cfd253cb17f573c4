"""Loans brought in from a treasurer's spreadsheet: a date column that Excel wrote as its
date serial (45292) is read as that date, an amount typed in it is refused naming the
row and column; a loan may name its member by NIP when the file has no member number."""

import csv
import io
from datetime import date

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904, to_excel

from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.onboarding.files import rows_from_file
from core.onboarding.loans_import import loans_import
from core.onboarding.services import trial_balance_post

from .helpers import confirm_form, loan_row, tb_rows

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


def test_a_disbursement_date_as_a_bare_number_in_a_1904_workbook_is_that_systems_date(
    move_in, by, members, product, cutover
):
    """A Mac workbook (1904 date system) with the date column formatted General: its
    serial was read with the 1900 system, four years and a day early."""
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    good = loan_row(members[0], cutover)
    disbursed = date.fromisoformat(good["disbursed_on"])
    wb = Workbook()
    wb.epoch = CALENDAR_MAC_1904
    for r in [HEADER, _line(good, int(to_excel(disbursed, epoch=CALENDAR_MAC_1904)))]:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    rows = rows_from_file(content=buf.getvalue(), file_name="pinjaman.xlsx", kind="loans")
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


# --- the member by NIP -------------------------------------------------------------

NIP_HEADER = ["nip", *HEADER[1:]]


def _spaced(nip: str) -> str:
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


@pytest.mark.parametrize("make", [_csv, _xlsx])
def test_loans_linked_by_nip_when_the_file_has_no_member_number_column(
    make, move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    a = loan_row(members[0], cutover, row=2)
    b = loan_row(members[1], cutover, row=3)
    lines = [
        [members[0].nip, *_line(a, a["disbursed_on"])[1:]],
        [_spaced(members[1].nip), *_line(b, b["disbursed_on"])[1:]],  # as on the SK
    ]
    name = "pinjaman.csv" if make is _csv else "pinjaman.xlsx"
    rows = rows_from_file(content=make(lines, header=NIP_HEADER), file_name=name, kind="loans")
    loans = loans_import(move_in=move_in, rows=rows, by=by)
    assert [Loan.objects.get(pk=x.pk).member for x in loans] == [members[0], members[1]]


def test_nip_used_for_a_row_whose_member_number_is_empty(move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    a = loan_row(members[0], cutover, row=2)
    b = loan_row(members[1], cutover, row=3)
    header = ["no anggota", "nip", *HEADER[1:]]
    lines = [
        [members[0].number, "", *_line(a, a["disbursed_on"])[1:]],
        ["", members[1].nip, *_line(b, b["disbursed_on"])[1:]],
    ]
    rows = rows_from_file(content=_csv(lines, header=header), file_name="p.csv", kind="loans")
    loans = loans_import(move_in=move_in, rows=rows, by=by)
    assert [Loan.objects.get(pk=x.pk).member for x in loans] == [members[0], members[1]]


def test_nip_matching_no_member_or_unreadable_or_missing_is_refused_per_row(
    move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    header = ["no anggota", "nip", *HEADER[1:]]
    lines = []
    unknown = "199001012015031002"
    for i, (number, nip) in enumerate(
        [
            ("", unknown),  # no member has it
            ("", "19900101201503100"),  # 17 digits
            ("", "1.99001012015031E+17"),  # Excel's scientific notation: digits lost
            ("", ""),  # neither
            (members[2].number, members[0].nip),  # both, naming different members
        ],
        start=2,
    ):
        r = loan_row(members[0], cutover, row=i)
        lines.append([number, nip, *_line(r, r["disbursed_on"])[1:]])
    rows = rows_from_file(content=_csv(lines, header=header), file_name="p.csv", kind="loans")
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=move_in, rows=rows, by=by)
    errors = _errors(e)
    assert list(errors) == [(2, "nip"), (3, "nip"), (4, "nip"), (5, "member_number"), (6, "nip")]
    assert unknown in errors[(2, "nip")] and "tidak ada" in errors[(2, "nip")]
    assert "18 digit" in errors[(3, "nip")]
    assert "15 digit" in errors[(4, "nip")]
    assert "NIP" in errors[(5, "member_number")]
    assert members[2].number in errors[(6, "nip")] and members[0].number in errors[(6, "nip")]
    assert not Loan.objects.exists()


def test_a_loans_file_with_neither_member_number_nor_nip_column_is_refused(move_in):
    content = _csv([["PINJ", "LAMA-1", 12000000, "2025-01-15", 12, 5000000, 7]], HEADER[1:])
    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=content, file_name="p.csv", kind="loans")
    assert "no anggota" in e.value.message and "nip" in e.value.message


# --- a CSV saved by Excel on Windows (Windows-1252) ---------------------------------


def test_windows_1252_loans_csv_is_brought_in_and_the_message_says_how_it_was_read(
    move_in, by, members, product, cutover
):
    from django.contrib.messages import get_messages
    from django.test import Client

    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    good = loan_row(members[0], cutover)
    line = _line({**good, "loan_number": "LAMA–002"}, good["disbursed_on"])  # an en dash
    content = _csv([line]).decode().encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    f = io.BytesIO(content)
    f.name = "pinjaman.csv"
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    # *Unggah dan pratinjau* shows the preview, saying how the file was read; nothing saved
    r = c.post("/pindah/", {"action": "loans", "file": f})
    page = r.content.decode()
    assert "Windows-1252" in page and not Loan.objects.exists()
    r = c.post("/pindah/", confirm_form(page, "loans_confirm"))
    assert r.status_code == 302, r.content.decode()[-1500:]
    (loan,) = Loan.objects.all()
    assert loan.number == "LAMA–002" and loan.principal_outstanding == 5000000
    (msg,) = [str(m) for m in get_messages(r.wsgi_request)]
    assert "1 pinjaman berjalan dibawa" in msg
    assert "Windows-1252" in msg and "LAMA–002" in msg


def test_windows_1252_trial_balance_through_the_api_says_how_it_was_read(move_in, by):
    from django.test import Client

    text = "akun;debit;kredit\n1101;1.500.000;\n3103;;1.500.000\n# catatan – bendahara;;\n"
    f = io.BytesIO(text.encode("cp1252"))
    f.name = "neraca.csv"
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    r = c.post("/api/v1/onboarding/trial-balance/", {"file": f})
    assert r.status_code == 201, r.content
    assert r.json()["encoding"] == "windows-1252"
