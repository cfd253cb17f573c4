"""Moving in from a treasurer's spreadsheets: what the old files really hold (NIPs
written with spaces, Excel error cells such as ``#N/A`` from a failed VLOOKUP) is either
brought in right or refused naming the row and column; an undo leaves nothing behind."""

import io
import re
import zipfile

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import Workbook

from core.common.errors import ApplicationError
from core.loans.models import Loan
from core.members.models import Member
from core.onboarding.files import rows_from_file
from core.onboarding.loans_import import loans_import
from core.onboarding.selectors import move_in_reconciliation
from core.onboarding.services import move_in_start, move_in_undo, trial_balance_post
from core.savings.member_import import member_import_run, member_import_upload
from core.savings.models import SavingsAccount
from tests.members.test_import import rows as member_rows
from tests.members.test_import import to_csv
from tests.sheets import xlsx_bytes

from .helpers import loan_row, tb_rows


def _spaced(nip: str) -> str:
    """A NIP as it is printed on a civil servant's papers: 19750101 200001 1 001."""
    return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"


def test_undo_removes_imported_members_whose_nip_was_written_with_spaces(
    move_in, by, staff, cutover, agencies
):
    before = set(Member.objects.values_list("pk", flat=True))
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    data = member_rows(3)
    for r in data:
        r["nip"] = _spaced(r["nip"])
    # a member who joined but has no savings balance yet
    data[2].update(saldo_pokok="", saldo_wajib="", saldo_sukarela="")
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=cutover, by=by)
    assert Member.objects.count() == len(before) + 3

    move_in_undo(move_in=move_in, reason="salah berkas", by=staff["admin"])

    assert set(Member.objects.values_list("pk", flat=True)) == before
    assert not SavingsAccount.objects.exists()
    # and the same file can be imported again in a new move-in
    again = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=by)
    assert again.status == "valid", again.errors


def test_loans_row_whose_member_number_is_an_excel_error_is_refused_not_skipped(
    move_in, by, members, product, cutover
):
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    good = loan_row(members[0], cutover)
    header = ["no anggota", "kode produk", "no pinjaman", "pokok awal", "tanggal cair"]
    header += ["tenor", "sisa pokok", "angsuran dibayar"]
    line = [good["member_number"], "PINJ", "LAMA-002", 12000000, good["disbursed_on"]]
    line += [12, 5000000, 7]
    content = xlsx_bytes([header, line, ["#N/A", "PINJ", "LAMA-003"] + line[3:]])
    rows = rows_from_file(content=content, file_name="pinjaman.xlsx", kind="loans")
    assert [r["row"] for r in rows] == [2, 3]  # the #N/A row is data, not a note
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=move_in, rows=rows, by=by)
    errors = e.value.fields["rows"]
    assert [(x["row"], x["field"]) for x in errors] == [(3, "member_number")]
    assert "#N/A" in errors[0]["message"]
    assert not Loan.objects.exists()


def test_csv_trial_balance_row_whose_account_is_n_a_is_refused_not_skipped(move_in, by):
    text = "akun;debit;kredit\n1101;1.500.000;\n#N/A;500.000;\n3103;;1.500.000\n"
    rows = rows_from_file(content=text.encode(), file_name="neraca.csv", kind="trial_balance")
    assert [r["row"] for r in rows] == [2, 3, 4]
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert [(x["row"], x["field"]) for x in e.value.fields["rows"]] == [(3, "account")]


def test_template_notes_starting_with_hash_are_still_skipped(move_in):
    text = "akun;debit;kredit\n# contoh, hapus baris ini;;\n1101;1.500.000;\n"
    rows = rows_from_file(content=text.encode(), file_name="neraca.csv", kind="trial_balance")
    assert [r["row"] for r in rows] == [3]


def test_undo_removes_a_member_import_dated_other_than_the_cutover(
    move_in, by, staff, cutover, agencies
):
    """The import screen proposed today and the treasurer kept it: go-live is refused
    (the savings are not in the books at the cut-over); the undo that starts over takes
    the import with it, so the same file can be imported again with the right date."""
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    data = member_rows(2)
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=by)
    member_import_run(batch=batch, opening_date=timezone.localdate(), by=by)
    assert not move_in_reconciliation(move_in=move_in)["agrees"]

    move_in_undo(move_in=move_in, reason="tanggal saldo awal salah", by=staff["admin"])

    assert not Member.objects.exists() and not SavingsAccount.objects.exists()
    again = move_in_start(cutover_date=cutover, by=by)
    trial_balance_post(move_in=again, rows=tb_rows(), by=by)
    batch = member_import_upload(content=to_csv(data), file_name="anggota.csv", by=by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=cutover, by=by)
    rec = move_in_reconciliation(move_in=again)
    savings = {r["account"]: r["difference"] for r in rec["rows"]}
    assert savings["3101"] == savings["3102"] == savings["2101"] == "0"


def test_member_import_opened_from_the_wizard_proposes_the_cutover_date(
    move_in, staff, cutover, agencies
):
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(staff["bendahara"])
    page = c.get("/pindah/").content.decode()
    link = re.search(r'href="(/anggota/impor/[^"]*)"', page).group(1).replace("&amp;", "&")
    assert cutover.isoformat() in link
    f = io.BytesIO(to_csv(member_rows(2)))
    f.name = "anggota.csv"
    r = c.post(link, {"file": f})
    assert r.status_code == 302, r.content.decode()[:2000]
    detail = c.get(r["Location"]).content.decode()
    assert f'name="opening_date" value="{cutover.isoformat()}"' in detail


def test_money_in_refusals_is_written_as_rupiah_are_read_here(
    move_in, by, members, product, cutover
):
    """``1,500,000`` reads as one and a half to a treasurer: amounts in the messages use
    dot thousands, as everywhere else."""
    rows = [
        {"row": 2, "account": "1101", "debit": "51.500.000", "credit": ""},
        {"row": 3, "account": "3103", "debit": "", "credit": "50.000.000"},
    ]
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=move_in, rows=rows, by=by)
    assert "debit Rp 51.500.000, kredit Rp 50.000.000, selisih Rp 1.500.000" in e.value.message
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    bad = loan_row(members[0], cutover, outstanding="5.000.001", arrears_principal="1.000.000")
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=move_in, rows=[bad], by=by)
    message = e.value.fields["rows"][0]["message"]
    assert "Tunggakan pokok Rp 1.000.000" in message and "," not in message.split("(")[1]


def test_hidden_sheet_with_last_years_figures_is_not_read_before_the_visible_one(move_in, by):
    """LibreOffice (and openpyxl) write ``state="visible"`` on every visible sheet; the
    treasurer's hidden copy of last year's trial balance, first in the book, must not be
    taken for this one."""
    wb = Workbook()
    old = wb.active
    old.title = "lama"
    old.sheet_state = "hidden"
    for r in (["akun", "debit", "kredit"], ["1101", 1000, None], ["3103", None, 1000]):
        old.append(r)
    new = wb.create_sheet("Data")
    for r in (["akun", "debit", "kredit"], ["1101", 2500000, None], ["3103", None, 2500000]):
        new.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    assert b'state="visible"' in zipfile.ZipFile(buf).read("xl/workbook.xml")
    rows = rows_from_file(content=buf.getvalue(), file_name="neraca.xlsx", kind="trial_balance")
    assert [(r["account"], r["debit"], r["credit"]) for r in rows] == [
        ("1101", 2500000, None),
        ("3103", None, 2500000),
    ]


def test_a_brought_in_loan_number_in_lumbungs_own_pattern_is_never_given_twice(
    move_in, by, members, product, cutover
):
    """A file (an export of an earlier attempt, or an old system with the same pattern)
    keeps PJ-<year>-000001 on one loan and leaves the next one without a number: the
    number Lumbung gives that one, and the next loan applied for, are new ones."""
    from core.loans.models import LoanSettings

    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    seq = LoanSettings.objects.get_or_create(id=1)[0].next_loan_seq
    taken = f"PJ-{cutover:%Y}-{seq:06d}"
    rows = [
        loan_row(members[0], cutover, row=2, loan_number=taken),
        loan_row(members[1], cutover, row=3, loan_number=""),
    ]
    loans = loans_import(move_in=move_in, rows=rows, by=by)
    numbers = [ln.number for ln in loans]
    assert numbers[0] == taken and numbers[1] != taken and numbers[1].startswith("PJ-")
    assert LoanSettings.objects.get(id=1).next_loan_seq > int(numbers[1][-6:])


def test_comma_csv_with_unquoted_decimal_commas_is_refused_not_shifted(by, agencies):
    """``100.000,00`` written unquoted in a comma-separated file splits in two and moves
    every later amount one column right: wajib would read ``00`` and sukarela the wajib.
    The file is refused naming the rows, nothing imported."""
    data = member_rows(2)
    header = list(data[0])
    lines = [",".join(header)]
    for r in data:
        r.update(saldo_pokok="100.000,00", saldo_wajib="1.250.000,00", saldo_sukarela="0,00")
        lines.append(",".join(str(r[h]) for h in header))
    content = ("\n".join(lines) + "\n").encode()
    with pytest.raises(ApplicationError) as e:
        member_import_upload(content=content, file_name="anggota.csv", by=by)
    assert "2, 3" in e.value.message and "kutip" in e.value.message
    assert not Member.objects.exists()


def test_trial_balance_csv_with_a_split_amount_is_refused_naming_the_row(move_in, by):
    text = 'akun,debit,kredit\n1101,"1.500.000,00",\n3103,,1.500.000,00\n'
    with pytest.raises(ApplicationError) as e:
        rows_from_file(content=text.encode(), file_name="neraca.csv", kind="trial_balance")
    assert [(x["row"], x["field"]) for x in e.value.fields["rows"]] == [(3, "")]
    assert "Baris 3 " in e.value.message


def test_wizard_error_report_names_the_column_as_the_file_titles_it(
    move_in, by, staff, members, product, cutover
):
    """The treasurer's file says ``sisa pokok``, ``tanggal cair``, ``kredit``; the report
    names those columns, not the program's field names."""
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(staff["bendahara"])
    row = loan_row(members[0], cutover, outstanding="13.000.000", disbursed_on="31/02/2025")
    header = ["no anggota", "kode produk", "pokok awal", "tanggal cair", "tenor"]
    header += ["sisa pokok", "angsuran dibayar"]
    keys = ["member_number", "product_code", "principal", "disbursed_on", "tenor"]
    keys += ["outstanding", "instalments_paid"]
    f = io.BytesIO((";".join(header) + "\n" + ";".join(row[k] for k in keys) + "\n").encode())
    f.name = "pinjaman.csv"
    page = c.post("/pindah/", {"action": "loans", "file": f}).content.decode()
    report = page.split("Laporan kesalahan per baris")[1].split("</table>")[0]
    cells = re.findall(r'<td class="mono">([^<]*)</td>', report)
    assert cells == ["tanggal cair", "sisa pokok"], cells


def test_semicolon_csv_with_an_untitled_notes_column_is_still_read(move_in):
    text = "akun;debit;kredit\n1101;1.500.000;;kas di brankas\n3103;;1.500.000;\n"
    rows = rows_from_file(content=text.encode(), file_name="neraca.csv", kind="trial_balance")
    assert [(r["account"], r["debit"], r["credit"]) for r in rows] == [
        ("1101", "1.500.000", ""),
        ("3103", "", "1.500.000"),
    ]
