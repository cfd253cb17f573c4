"""The signature block under an old system's list (*Mengetahui,*, *Ketua*, the names and
NIP under them, the place and date) is the footer it is, even where its lines fall in a
column the step reads (*Mengetahui,* under *No. Anggota*, *Bendahara,* under *Tanggal
Cair*): under a totals row, or after the last data row when it starts with such a line,
it is left out and listed (``left_out_rows``, reason ``signature``). A row with a member
number (an account) and an amount is data wherever it is, and a line before the last
data row, or a trailing one that starts no signature, is still read (and refused as the
bad row it is): nothing of the treasurer's is dropped silently."""

import io
import re

import pytest

from core.common.errors import ApplicationError
from core.onboarding.files import read_file
from core.onboarding.services import trial_balance_post

from .helpers import tb_rows
from .test_screens import login
from .test_treasurer_files import LOANS_TOTALS, _loans_sheet, _xlsx

SIGNATURE = "bagian tanda tangan di bawah daftar"
URL = "/pindah/"


def _signature_in_read_columns() -> list[list]:
    # No. Anggota, Nama, Kode Produk, Pokok Awal, Tanggal Cair, ...
    return [
        [None, None, None, None, "Palangka Raya, 31 Oktober 2026"],
        ["Mengetahui,", None, None, None, "Bendahara,"],
        ["Ketua", None, None, None, None],
        [],
        ["Drs. Budi Santoso", None, None, None, "Siti Aminah, S.E."],
        ["NIP. 19650101 199003 1 001", None, None, None, "NIP. 19700202 199503 2 002"],
    ]


def _loans(members, cutover, tail, totals=True) -> bytes:
    sheet = _loans_sheet(members, cutover, LOANS_TOTALS)[: 5 if totals else 4]
    return _xlsx([*sheet, [], *tail])


def test_a_signature_under_the_totals_row_in_read_columns_is_left_out(
    move_in, members, product, cutover
):
    content = _loans(members, cutover, _signature_in_read_columns())
    read = read_file(content=content, file_name="p.xlsx", kind="loans")
    assert [r["row"] for r in read.rows] == [3, 4]
    signature = [(x["row"], x["text"]) for x in read.left_out if x["reason"] == "signature"]
    assert signature == [
        (7, "Palangka Raya, 31 Oktober 2026"),
        (8, "Mengetahui, · Bendahara,"),
        (9, "Ketua"),
        (11, "Drs. Budi Santoso · Siti Aminah, S.E."),
        (12, "NIP. 19650101 199003 1 001 · NIP. 19700202 199503 2 002"),
    ]
    assert {x["message"] for x in read.left_out if x["reason"] == "signature"} == {SIGNATURE}


def test_a_signature_after_the_last_row_without_totals_is_left_out(
    move_in, members, product, cutover
):
    content = _loans(members, cutover, _signature_in_read_columns(), totals=False)
    read = read_file(content=content, file_name="p.xlsx", kind="loans")
    assert [r["row"] for r in read.rows] == [3, 4]
    assert [x["row"] for x in read.left_out if x["reason"] == "signature"] == [6, 7, 8, 10, 11]


def test_a_trial_balance_signed_in_the_account_column_posts(move_in, by):
    sheet = [
        ["Kode Akun", "Debet", "Kredit"],
        ["1101", "1.000.000", "-"],
        ["3103", "-", "1.000.000"],
        [],
        ["Mengetahui,"],
        ["Ketua KPRI"],
        ["Drs. Budi Santoso"],
    ]
    read = read_file(content=_xlsx(sheet), file_name="n.xlsx", kind="trial_balance")
    assert [r["account"] for r in read.rows] == ["1101", "3103"]
    assert [x["row"] for x in read.left_out] == [5, 6, 7]
    assert trial_balance_post(move_in=move_in, rows=read.rows, by=by).source == "opening"


def test_a_data_row_after_the_signature_is_still_read(move_in, members, product, cutover):
    late = _loans_sheet(members, cutover, LOANS_TOTALS)[2]
    content = _loans(members, cutover, [*_signature_in_read_columns(), late])
    read = read_file(content=content, file_name="p.xlsx", kind="loans")
    # the loan under the signature is data: read (and its duplicate refused by the step)
    assert [r["row"] for r in read.rows] == [3, 4, 7, 8, 9, 11, 12, 13]
    # the signature lines above a data row are not a trailing footer: read as rows
    assert not [x for x in read.left_out if x["reason"] == "signature"]


def test_a_trailing_line_that_starts_no_signature_is_still_a_row(move_in, by):
    sheet = [
        ["Kode Akun", "Debet", "Kredit"],
        ["1101", "1.000.000", "-"],
        ["3103", "-", "1.000.000"],
        ["Kas kecil"],  # an account whose amount was lost, not a signature
    ]
    read = read_file(content=_xlsx(sheet), file_name="n.xlsx", kind="trial_balance")
    assert [r["account"] for r in read.rows] == ["1101", "3103", "Kas kecil"]
    with pytest.raises(ApplicationError):
        trial_balance_post(move_in=move_in, rows=read.rows, by=by)


def test_the_loans_preview_lists_the_signature_lines(staff, move_in, by, members, product, cutover):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = login(staff["bendahara"])
    f = io.BytesIO(_loans(members, cutover, _signature_in_read_columns()))
    f.name = "p.xlsx"
    r = c.post(URL, {"action": "loans", "move_in": move_in.pk, "file": f})
    page = re.sub(r"\s+", " ", r.content.decode())
    assert "Pratinjau: belum disimpan" in page, page
    assert f'<td class="num">8</td><td>Mengetahui, · Bendahara,</td><td>{SIGNATURE}</td>' in page


def test_a_signature_beside_the_place_and_date_in_the_amount_columns_is_left_out(move_in, by):
    """The place and date, *Bendahara,* and the names printed under the debit column: text,
    no amount, so the lines are the signature, not accounts with a bad debit."""
    sheet = [
        ["Kode Akun", "Nama Akun", "Saldo", None],
        [None, None, "Debet", "Kredit"],
        ["1101", "Kas Tunai", "1.000.000", "-"],
        ["3103", "Cadangan", "-", "1.000.000"],
        ["", "JUMLAH", "1.000.000", "1.000.000"],
        ["Mengetahui,", None, "Palangka Raya, 31 Oktober 2026"],
        ["Ketua", None, "Bendahara,"],
        ["Drs. Budi Santoso", None, "Siti Aminah, S.E."],
        ["NIP. 19650101 199003 1 001", None, "NIP. 19700202 199503 2 002"],
        ["1102", "Bank", "1,250,000", None],  # an amount typed otherwise: data, refused
    ]
    read = read_file(
        content=_xlsx(sheet, merges=["C1:D1"]), file_name="n.xlsx", kind="trial_balance"
    )
    assert [r["row"] for r in read.rows] == [3, 4, 6, 7, 8, 9, 10]  # a data row below: all read
    sheet.pop()
    read = read_file(
        content=_xlsx(sheet, merges=["C1:D1"]), file_name="n.xlsx", kind="trial_balance"
    )
    assert [r["row"] for r in read.rows] == [3, 4]
    assert [x["row"] for x in read.left_out if x["reason"] == "signature"] == [6, 7, 8, 9]
    assert trial_balance_post(move_in=move_in, rows=read.rows, by=by).source == "opening"
