"""Every kind of bad realized file is reported per file or per row, and nothing posts
until it is fixed or the bad rows are explicitly excluded."""

import io
from decimal import Decimal as D

import pytest

from core.common.errors import ApplicationError
from core.deductions.exports import agency_xlsx
from core.deductions.models import DeductionLine
from core.deductions.services import (
    deduction_import_exclude,
    deduction_import_post,
    deduction_import_upload,
)
from core.ledger.models import JournalEntry
from tests.members import factories as f

from .conftest import csv_bytes, filled_xlsx, make_run


@pytest.fixture
def month(coop, cutoffs):
    run = make_run(on=cutoffs[1], by=coop["by"])
    return coop, run


def upload(coop, run, content, name="r.csv", agency=None):
    return deduction_import_upload(
        run=run,
        agency=agency or coop["agencies"][0],
        content=content,
        file_name=name,
        by=coop["by"],
    )


def messages(imp):
    return " | ".join(e["message"] for e in imp.errors) + " | ".join(
        e["message"] for e in imp.file_errors
    )


def test_wrong_columns_is_a_file_error(month):
    coop, run = month
    imp = upload(coop, run, csv_bytes([("x", 1)], header=("Nama", "Gaji")))
    assert imp.status == "invalid" and "Kolom salah" in imp.file_errors[0]["message"]
    imp2 = upload(coop, run, csv_bytes([(coop["m"][0].nip, 1)], header=("NIP", "Keterangan")))
    assert imp2.status == "invalid" and "kolom jumlah" in imp2.file_errors[0]["message"]


def test_wrong_encoding_is_a_file_error(month):
    coop, run = month
    content = "NIP,Jumlah,Nama\n{},100000,Siti Aisyah Nasution Ärz\n".format(coop["m"][0].nip)
    # Windows-1252 (Excel's plain "CSV" on Windows) is read, and said: test_windows_1252;
    # 0x81 has no character in Windows-1252 either: neither reading fits, refused
    bad = content.encode("cp1252").replace(b"\xc4rz", b"\x81rz")
    imp = upload(coop, run, bad)
    assert imp.status == "invalid" and "Pengodean" in imp.file_errors[0]["message"]
    imp = upload(coop, run, content.encode("cp1252"))
    assert imp.status == "valid" and imp.posted_data["encoding"] == "windows-1252"
    # UTF-16 (with or without its BOM) is unambiguous: read, not refused (issue 26)
    imp = upload(coop, run, content.encode("utf-16"))
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    imp = upload(coop, run, b"\x00\x01garbage", name="r.xlsx")
    assert imp.status == "invalid" and "XLSX" in imp.file_errors[0]["message"]


def test_text_negative_fraction_and_empty_amounts_are_row_errors(month):
    coop, run = month
    m1, m2, m3, _m4 = coop["m"]
    other = f.member(agency_obj=coop["agencies"][0])
    imp = upload(
        coop,
        run,
        csv_bytes(
            [
                (m1.nip, "seratus ribu"),
                (m2.nip, "-50000"),
                (m3.nip, "1000.50"),
                ("199001012015011999", "10000"),  # unknown
                (m1.nip, "10000"),  # duplicate of row 2
                (coop["m"][3].nip, "10000"),  # another agency's member
                (other.nip, "10000"),  # joined today: not in the run
            ]
        ),
    )
    assert imp.status == "invalid"
    by_row = {e["row"]: e["message"] for e in imp.errors}
    assert "bukan angka" in by_row[2]
    assert "negatif" in by_row[3]
    assert "rupiah utuh" in by_row[4]
    assert "tidak dikenal" in by_row[5]
    assert "Duplikat" in by_row[6]
    assert "Dinas Kesehatan" in by_row[7]
    assert "tidak ada dalam daftar" in by_row[8]
    with pytest.raises(ApplicationError) as e:
        deduction_import_post(imp=imp, by=coop["by"])
    assert e.value.code == "deduction_file_invalid"
    assert not JournalEntry.objects.filter(source="deduction").exists()


def test_empty_realized_cell_in_export_is_a_row_error(month):
    coop, run = month
    content = agency_xlsx(run=run, agency=coop["agencies"][0])
    filled = filled_xlsx(content, {coop["m"][0].nip: 100000, coop["m"][1].nip: None})
    imp = upload(coop, run, filled, name="r.xlsx")
    assert imp.status == "invalid"
    assert any("kosong" in e["message"] for e in imp.errors)


def test_nip_typed_as_a_number_loses_digits_and_is_reported(month):
    from openpyxl import Workbook

    coop, run = month
    wb = Workbook()
    ws = wb.active
    ws.append(["NIP", "Jumlah"])
    ws.append([float(coop["m"][0].nip), 100000])
    buf = io.BytesIO()
    wb.save(buf)
    imp = upload(coop, run, buf.getvalue(), name="r.xlsx")
    assert imp.status == "invalid" and "teks" in imp.errors[0]["message"]


def test_member_number_matches_too_and_amount_above_asked_is_a_warning(month):
    coop, run = month
    m1 = coop["m"][0]
    line = DeductionLine.objects.get(run=run, member=m1)
    imp = upload(
        coop,
        run,
        csv_bytes([(m1.number, int(line.total) + 1)], header=("No. Anggota", "Realisasi")),
    )
    assert imp.status == "valid"
    assert "melebihi" in imp.posted_data["warnings"][0]["message"]


def test_bad_rows_excluded_explicitly_then_post(month):
    coop, run = month
    m1, m2 = coop["m"][0], coop["m"][1]
    imp = upload(coop, run, csv_bytes([(m1.nip, "abc"), (m2.nip, "100000")]))
    assert imp.status == "invalid"
    with pytest.raises(ApplicationError):
        deduction_import_exclude(imp=imp, rows=[3], by=coop["by"])  # row 3 is fine
    imp = deduction_import_exclude(imp=imp, rows=[2], by=coop["by"])
    assert imp.status == "valid"
    imp = deduction_import_post(imp=imp, by=coop["by"])
    assert imp.total_realized == D("100000")
    assert DeductionLine.objects.get(run=run, member=m1).realized == 0


def test_pengawas_cannot_upload(month):
    coop, run = month
    with pytest.raises(ApplicationError) as e:
        deduction_import_upload(
            run=run,
            agency=coop["agencies"][0],
            content=csv_bytes([]),
            file_name="x.csv",
            by=coop["staff"]["pengawas"],
        )
    assert e.value.status_code == 403


def _exit(coop, member, on):
    from core.exits.services import exit_settlement_confirm

    exit_settlement_confirm(member=member, reason="retired", on=on, by=coop["staff"]["bendahara"])


def _asked(run, *members):
    lines = {ln.member_id: ln for ln in DeductionLine.objects.filter(run=run)}
    return [(m, int(lines[m.pk].total)) for m in members]


def test_member_who_left_after_the_list_is_a_row_error_that_can_be_excluded(month, cutoffs):
    """m3 retired (exit settled) after the list was made, and the agency still cut m3's
    dues. The upload flags m3's row with the reason (it used to say "valid", then the
    posting refused the whole agency and the row could not be excluded); excluded, the
    batch posts m1's and m2's money and m3 counts as not deducted."""
    from .conftest import assert_reconciled

    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    _exit(coop, m3, cutoffs[1])
    imp = upload(coop, run, csv_bytes([(m.nip, a) for m, a in _asked(run, m1, m2, m3)]))
    assert imp.status == "invalid"
    assert [e["row"] for e in imp.errors] == [4]
    assert "sudah tidak aktif (Pensiun)" in messages(imp)
    imp = deduction_import_exclude(imp=imp, rows=[4], by=coop["by"])
    assert imp.status == "valid"
    deduction_import_post(imp=imp, by=coop["by"])
    lines = {ln.member_id: ln for ln in DeductionLine.objects.filter(run=run)}
    assert lines[m1.pk].realized == lines[m1.pk].total
    assert lines[m3.pk].realized == 0
    assert_reconciled()


def test_member_who_left_with_nothing_cut_is_not_an_error(month, cutoffs):
    """A retired member's row with 0 (the agency cut nothing) is the normal case."""
    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    _exit(coop, m3, cutoffs[1])
    imp = upload(coop, run, csv_bytes([(m1.nip, 0), (m2.nip, 1000), (m3.nip, 0)]))
    assert imp.status == "valid", imp.errors
    deduction_import_post(imp=imp, by=coop["by"])


def test_member_who_left_after_the_upload_is_refused_by_row_then_excluded(month, cutoffs):
    """The file was checked while m3 was active; m3's exit is settled before posting. The
    posting is refused naming m3's row (not an opaque savings error for the agency),
    nothing is posted, the row is marked as an error on the import, and once excluded
    the batch posts."""
    from .conftest import assert_reconciled

    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    imp = upload(coop, run, csv_bytes([(m.nip, a) for m, a in _asked(run, m1, m2, m3)]))
    assert imp.status == "valid", imp.errors
    _exit(coop, m3, cutoffs[1])
    entries = JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as exc:
        deduction_import_post(imp=imp, by=coop["by"])
    assert exc.value.code == "deduction_member_inactive"
    assert "Baris 4" in exc.value.message and exc.value.fields["rows"]
    assert JournalEntry.objects.count() == entries
    assert not DeductionLine.objects.filter(run=run, realized__isnull=False).exists()
    imp.refresh_from_db()
    assert imp.status == "invalid" and [e["row"] for e in imp.errors] == [4]
    imp = deduction_import_exclude(imp=imp, rows=[4], by=coop["by"])
    deduction_import_post(imp=imp, by=coop["by"])
    assert DeductionLine.objects.get(run=run, member=m1).realized > 0
    assert_reconciled()


def test_a_file_of_too_many_rows_is_one_file_error_and_stores_no_rows(month, monkeypatch):
    """The agency's whole payroll (not only the cooperative's members) sent back: a
    10 MB CSV of 380,000 rows took 16 s, kept 380,000 row errors ("tidak dikenal") on the
    import and made its page 60 MB (13 s). More rows than one agency's list can have is
    now one file error naming the limit, and no row is kept."""
    from core.deductions import parsing

    monkeypatch.setattr(parsing, "MAX_ROWS", 50)
    coop, run = month
    m1 = coop["m"][0]
    rows = [(int(m1.nip) + i + 1, 1000) for i in range(50)]
    imp = upload(coop, run, csv_bytes([(m1.nip, 1000), *rows]))
    assert imp.status == "invalid"
    assert [e["message"] for e in imp.file_errors] == [
        "Berkas berisi 51 baris data; paling banyak 50 baris. Unggah realisasi anggota "
        "koperasi dari satu instansi saja."
    ]
    assert imp.rows == [] and imp.errors == []
    # at the limit it is read as usual
    imp = upload(coop, run, csv_bytes([(m1.nip, 1000), *rows[:49]]))
    assert imp.file_errors == [] and len(imp.errors) == 49


def test_signature_and_note_rows_below_the_list_are_not_row_errors(month):
    """The payroll clerk's file ends with the signature block ("Mengetahui", "Bendahara
    Gaji", a name): rows with no NIP / member number and no amount carry no member and no
    money. They are passed over like blank rows instead of each becoming a "NIP kosong"
    error to exclude by hand. A row with an amount but no NIP is still an error."""
    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    asked = _asked(run, m1, m2, m3)
    body = "Nama,NIP,Jumlah\n" + "".join(
        f"X,{nip},{amount}\n" for nip, amount in [(m.nip, a) for m, a in asked]
    )
    body += ",,\nMengetahui,,\nBendahara Gaji Dinas Pendidikan,,\nSiti Aminah,,\n"
    imp = upload(coop, run, body.encode())
    assert imp.status == "valid", messages(imp)
    assert imp.errors == []
    money_no_nip = body + "Lain-lain,,50000\n"
    imp = upload(coop, run, money_no_nip.encode())
    assert imp.status == "invalid" and "NIP / No. Anggota kosong" in messages(imp)


def test_the_import_page_excludes_every_bad_row_at_once(month):
    """A file with many rows the cooperative does not know (an agency's whole payroll
    section) must not need a click per row: *Kecualikan semua baris yang salah* excludes
    every row with an error; the page says how many."""
    from .conftest import login

    coop, run = month
    m1, m2 = coop["m"][0], coop["m"][1]
    strangers = [(f"1990010120150{i:05d}", "50000") for i in range(1, 31)]
    imp = upload(coop, run, csv_bytes([(m1.nip, "abc"), (m2.nip, "100000"), *strangers]))
    assert imp.status == "invalid" and len(imp.errors) == 31
    c = login(coop["by"])
    page = c.get(f"/potong-gaji/impor/{imp.pk}/").content.decode()
    assert "Kecualikan semua baris yang salah (31)" in page
    r = c.post(
        f"/potong-gaji/impor/{imp.pk}/", {"action": "exclude", "all_rows": "on"}, follow=True
    )
    assert r.status_code == 200, r
    assert [str(m) for m in r.context["messages"]] == []
    imp.refresh_from_db()
    assert imp.excluded_rows == sorted(e["row"] for e in imp.errors)
    assert imp.status == "valid" and imp.total_realized == D("100000")
