"""The files a treasurer brings from the old books, as the old system prints them: a
totals row under the list (``JUMLAH``, ``TOTAL``), the signature block below it and, in
a trial balance, a two-row header (``Saldo`` merged over ``Debet`` and ``Kredit``). The
totals row and the lines with nothing the step reads are not data: they are left out
(a trial balance's or jasa list's totals row checked against the rows above it, so a
file that lost a row is refused naming it), and the header is found."""

import io

import pytest
from openpyxl import Workbook

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.onboarding.contributions import shu_contributions_post
from core.onboarding.files import rows_from_file
from core.onboarding.services import trial_balance_post

from .helpers import arrears_row, loan_row, tb_rows


def _xlsx(rows: list[list], merges=()) -> bytes:
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _tb_sheet(total_debit="1.500.000", total_credit="1.500.000") -> list[list]:
    return [
        ["KPRI BINA SEJAHTERA"],
        ["NERACA SALDO PER 31 OKTOBER 2026"],
        [],
        ["Kode Akun", "Nama Akun", "Debet", "Kredit"],
        ["1101", "Kas Tunai", "1.000.000", "-"],
        ["1102", "Bank BRI", "500.000", "-"],
        [],
        ["3103", "Cadangan", "-", "1.500.000"],
        [],
        ["", "JUMLAH", total_debit, total_credit],
        [],
        ["", "Palangka Raya, 31 Oktober 2026"],
        ["", "Bendahara,"],
    ]


def test_trial_balance_totals_row_and_signature_lines_are_not_read_as_accounts(move_in, by):
    content = _xlsx(_tb_sheet())
    rows = rows_from_file(content=content, file_name="neraca.xlsx", kind="trial_balance")
    assert [(r["row"], r["account"]) for r in rows] == [(5, "1101"), (6, "1102"), (8, "3103")]

    entry = trial_balance_post(move_in=move_in, rows=rows, by=by)

    figures = {(ln.account.code, ln.debit, ln.credit) for ln in entry.lines.all()}
    assert figures == {("1101", 1000000, 0), ("1102", 500000, 0), ("3103", 0, 1500000)}


def test_trial_balance_totals_row_that_disagrees_with_the_rows_is_refused_naming_it(move_in):
    content = _xlsx(_tb_sheet(total_debit="2.500.000"))
    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=content, file_name="neraca.xlsx", kind="trial_balance")
    assert e.value.code == "onboarding_rows_invalid"
    (err,) = e.value.fields["rows"]
    assert (err["row"], err["field"]) == (10, "debit")
    assert "2.500.000" in err["message"] and "1.500.000" in err["message"]
    assert not JournalEntry.objects.exists()


def test_trial_balance_with_saldo_merged_over_debet_and_kredit_is_read(move_in, by):
    sheet = _tb_sheet()
    sheet[3:4] = [["Kode Akun", "Nama Akun", "Saldo", None], [None, None, "Debet", "Kredit"]]
    content = _xlsx(sheet, merges=("A4:A5", "B4:B5", "C4:D4"))

    rows = rows_from_file(content=content, file_name="neraca.xlsx", kind="trial_balance")

    assert [(r["row"], r["account"], r["debit"], r["credit"]) for r in rows] == [
        (6, "1101", "1.000.000", "-"),
        (7, "1102", "500.000", "-"),
        (9, "3103", "-", "1.500.000"),
    ]


def test_loans_file_totals_row_is_not_read_as_a_loan(move_in, by, members, product, cutover):
    row = loan_row(members[0], cutover)
    header = ["No. Anggota", "Kode Produk", "Pokok Awal", "Tanggal Cair", "Tenor"]
    header += ["Sisa Pokok", "Angsuran Dibayar"]
    keys = ["member_number", "product_code", "principal", "disbursed_on", "tenor"]
    keys += ["outstanding", "instalments_paid"]
    content = _xlsx(
        [
            header,
            [row[k] for k in keys],
            [],
            ["JUMLAH", None, "12.000.000", None, None, "5.000.000"],
        ]
    )
    rows = rows_from_file(content=content, file_name="pinjaman.xlsx", kind="loans")
    assert [r["row"] for r in rows] == [2]


def test_jasa_list_totals_row_is_checked_and_left_out(move_in, by, members):
    header = ["No. Anggota", "Nama", "Jasa Pinjaman"]
    lines = [[m.number, m.full_name, "120.000"] for m in members[:2]]
    good = _xlsx([header, *lines, ["TOTAL", "", "240.000"]])
    rows = rows_from_file(content=good, file_name="jasa.xlsx", kind="shu_contributions")
    assert [r["row"] for r in rows] == [2, 3]
    saved = shu_contributions_post(move_in=move_in, rows=rows, by=by)
    assert saved["total"] == 240000

    short = _xlsx([header, *lines, ["TOTAL", "", "360.000"]])
    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=short, file_name="jasa.xlsx", kind="shu_contributions")
    assert [(x["row"], x["field"]) for x in e.value.fields["rows"]] == [(4, "jasa")]


def test_a_row_with_an_amount_but_no_account_is_still_refused(move_in, by):
    sheet = _tb_sheet()
    sheet[5] = ["", "Bank BRI", "500.000", "-"]
    rows = rows_from_file(content=_xlsx(sheet), file_name="neraca.xlsx", kind="trial_balance")
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert [(x["row"], x["field"]) for x in e.value.fields["rows"]] == [(6, "account")]


def test_rows_given_as_data_are_unchanged(move_in, by):
    assert trial_balance_post(move_in=move_in, rows=tb_rows(), by=by).source == "opening"


LOAN_HEADER = ["No. Anggota", "Nama", "Kode Produk", "Pokok Awal", "Tanggal Cair", "Tenor"]
LOAN_HEADER += ["Sisa Pokok", "Angsuran Dibayar", "Tunggakan Jasa", "Tunggakan Pokok"]
LOAN_KEYS = ["member_number", "name", "product_code", "principal", "disbursed_on", "tenor"]
LOAN_KEYS += ["outstanding", "instalments_paid", "arrears_jasa", "arrears_principal"]


def _loans_sheet(members, cutover, totals: list) -> list[list]:
    rows = [loan_row(members[0], cutover), arrears_row(members[1], cutover)]
    return [
        ["DAFTAR PINJAMAN BERJALAN"],
        LOAN_HEADER,
        *[[r.get(k, "") for k in LOAN_KEYS] for r in rows],
        ["JUMLAH", None, None, *totals],
        [],
        [None, "Bendahara,"],
    ]


# principal, disbursed, tenor, outstanding, paid, arrears jasa, arrears principal
LOANS_TOTALS = ["24.000.000", None, None, "12.000.000", None, "240.000", "2.000.000"]


def test_loans_file_totals_row_is_checked_and_left_out(move_in, members, product, cutover):
    content = _xlsx(_loans_sheet(members, cutover, LOANS_TOTALS))
    rows = rows_from_file(content=content, file_name="pinjaman.xlsx", kind="loans")
    assert [r["row"] for r in rows] == [3, 4]


@pytest.mark.parametrize(
    "column,figure,rows_sum",
    [
        (3, "12.500.000", "12.000.000"),  # sisa pokok: a loan lost or mistyped
        (0, "12.000.000", "24.000.000"),  # pokok awal
        (5, "0", "240.000"),  # tunggakan jasa
    ],
)
def test_loans_file_totals_row_that_disagrees_is_refused_naming_it(
    move_in, members, product, cutover, column, figure, rows_sum
):
    totals = list(LOANS_TOTALS)
    totals[column] = figure
    content = _xlsx(_loans_sheet(members, cutover, totals))
    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=content, file_name="pinjaman.xlsx", kind="loans")
    assert e.value.code == "onboarding_rows_invalid"
    (err,) = e.value.fields["rows"]
    field = ["principal", None, None, "outstanding", None, "arrears_jasa"][column]
    assert (err["row"], err["field"]) == (5, field)
    assert f"Rp {figure}" in err["message"] and f"Rp {rows_sum}" in err["message"]


def _capital_sheet(members, totals: list) -> list[list]:
    m0, m1 = members[0], members[1]
    return [
        ["No. Anggota", "Nama", "Bulan", "Pokok", "Wajib", "Sukarela"],
        [m0.number, m0.full_name, "1", "100.000", "1.000.000", "50.000"],
        [m1.number, m1.full_name, "1", "100.000", "2.000.000", ""],
        ["", "JUMLAH", "", *totals],
        [],
        ["", "Ketua,"],
        ["", "Bendahara,"],
    ]


def test_capital_file_totals_row_is_checked_and_left_out(move_in, members):
    content = _xlsx(_capital_sheet(members, ["200.000", "3.000.000", "50.000"]))
    rows = rows_from_file(content=content, file_name="modal.xlsx", kind="capital_balances")
    assert [r["row"] for r in rows] == [2, 3]

    content = _xlsx(_capital_sheet(members, ["200.000", "2.000.000", "50.000"]))
    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=content, file_name="modal.xlsx", kind="capital_balances")
    (err,) = e.value.fields["rows"]
    assert (err["row"], err["field"]) == (4, "wajib")
    assert "Rp 2.000.000" in err["message"] and "Rp 3.000.000" in err["message"]
