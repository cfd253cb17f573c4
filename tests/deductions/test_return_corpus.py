"""The payroll return import: files made the way agency treasurers make them (generated
here, not checked in). Each is read right or refused with a reason; none is read wrong;
none is a 500 (issue 26)."""

import copy
import io
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook

from core.deductions.exports import agency_xlsx, all_agencies_xlsx
from core.deductions.models import DeductionLine
from core.deductions.services import deduction_import_post, deduction_import_upload
from tests.module_coop import uncommitted_add

from .conftest import (
    _cutoff_day,
    _cutoffs,
    assert_reconciled,
    filled_xlsx,
    make_run,
)


@pytest.fixture(scope="module")
def run_once(coop_once, django_db_blocker):
    """This month's run, generated once for the module (every test here reads it)."""
    this = _cutoffs(_cutoff_day())[1]
    return uncommitted_add(django_db_blocker, lambda: make_run(on=this, by=coop_once["by"]))


@pytest.fixture
def month(coop, run_once):
    return coop, copy.deepcopy(run_once)


def upload(coop, run, content, name="r.csv", agency=None):
    return deduction_import_upload(
        run=run,
        agency=agency or coop["agencies"][0],
        content=content,
        file_name=name,
        by=coop["by"],
    )


def asked(run, member) -> D:
    return DeductionLine.objects.get(run=run, member=member).total


def amounts(imp) -> dict[int, D]:
    lines = dict(DeductionLine.objects.filter(run=imp.run).values_list("id", "member_id"))
    return {lines[r["line_id"]]: D(r["amount"]) for r in imp.rows}


def csv_of(lines, *, newline="\n", encoding="utf-8") -> bytes:
    return (newline.join(lines) + newline).encode(encoding)


def by_row(imp):
    return {e["row"]: e["message"] for e in imp.errors}


def xlsx(build) -> bytes:
    wb = Workbook()
    build(wb, wb.active)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- read right -----------------------------------------------------------------------


def test_english_locale_thousands_are_thousands_not_decimals(month):
    """The defect: "1,135,000" and "610,000" posted as Rp 1,605."""
    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    content = csv_of(
        [
            "NIP,Realisasi",
            f'{m1.nip},"1,135,000"',
            f'{m2.nip},"610,000"',
            f'{m3.nip},"75,000"',
        ]
    )
    imp = upload(coop, run, content)
    assert imp.status == "valid", imp.errors
    assert amounts(imp) == {m1.pk: D(1135000), m2.pk: D(610000), m3.pk: D(75000)}
    assert imp.total_realized == D(1820000)


def test_rupiah_as_treasurers_write_it(month):
    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    content = csv_of(
        [
            "sep=;",
            "NIP;Jumlah",
            f"{m1.nip};Rp\u00a0250.000",
            f"{m2.nip};RP 1.100.000,-",
            f"{m3.nip};-",
        ]
    )
    imp = upload(coop, run, content)
    assert imp.status == "valid", imp.errors
    assert amounts(imp) == {m1.pk: D(250000), m2.pk: D(1100000), m3.pk: D(0)}
    changed = {r["row"]: r["preview"] for r in imp.rows if r.get("preview")}
    assert changed[2]["written"] == "Rp\u00a0250.000" and changed[2]["member"]


@pytest.mark.parametrize(
    ("newline", "encoding"),
    [("\r", "utf-8"), ("\r\n", "utf-16-le"), ("\n", "utf-16"), ("\r\n", "utf-8-sig")],
)
def test_line_endings_and_encodings(month, newline, encoding):
    coop, run = month
    m1 = coop["m"][0]
    imp = upload(
        coop, run, csv_of(["NIP,Jumlah", f"{m1.nip},100000"], newline=newline, encoding=encoding)
    )
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    assert amounts(imp) == {m1.pk: D(100000)}


def test_nip_with_spaces_and_header_below_a_title_block(month):
    coop, run = month
    m1 = coop["m"][0]
    spaced = f"{m1.nip[:8]} {m1.nip[8:14]} {m1.nip[14]} {m1.nip[15:]}"
    content = csv_of(
        [
            "PEMERINTAH KOTA PALANGKA RAYA,",
            "Daftar potongan koperasi,",
            ",",
            "NIP,Jumlah Dipotong",
            f"{spaced},100.000",
        ]
    )
    imp = upload(coop, run, content)
    assert imp.status == "valid", imp.errors
    assert amounts(imp) == {m1.pk: D(100000)}
    assert imp.rows[0]["row"] == 5


def test_the_export_filled_in_is_read_with_its_mark(month):
    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    agency = coop["agencies"][0]
    content = filled_xlsx(
        agency_xlsx(run=run, agency=agency),
        {m1.nip: int(asked(run, m1)), m2.nip: int(asked(run, m2)), m3.nip: 0},
    )
    imp = upload(coop, run, content, name="r.xlsx")
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    assert imp.posted_data["file_warnings"] == []
    deduction_import_post(imp=imp, by=coop["by"])
    assert_reconciled()


def test_the_all_agencies_workbook_reads_the_sheet_of_the_agency(month):
    coop, run = month
    m4 = coop["m"][3]
    wb = load_workbook(io.BytesIO(all_agencies_xlsx(run=run)))
    ws = wb[coop["agencies"][1].code]
    for row in ws.iter_rows():
        if row[2].value == m4.nip:
            row[9].value = 5000
    buf = io.BytesIO()
    wb.save(buf)
    imp = upload(coop, run, buf.getvalue(), name="r.xlsx", agency=coop["agencies"][1])
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    assert amounts(imp) == {m4.pk: D(5000)}


def test_member_number_used_when_the_nip_is_damaged_and_said_so(month):
    coop, run = month
    m1 = coop["m"][0]

    def build(wb, ws):
        ws.append(["No. Anggota", "NIP", "Realisasi"])
        ws.append([m1.number, float(m1.nip), 100000])

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "valid", imp.errors
    assert amounts(imp) == {m1.pk: D(100000)}
    assert any("No. Anggota" in w["message"] for w in imp.posted_data["warnings"])
    assert imp.rows[0]["preview"]["guessed"]


def test_hidden_rows_are_imported_and_said(month):
    coop, run = month
    m1, m2 = coop["m"][:2]

    def build(wb, ws):
        ws.append(["NIP", "Jumlah"])
        ws.append([m1.nip, 1000])
        ws.append([m2.nip, 2000])
        ws.row_dimensions[3].hidden = True

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "valid", imp.errors
    assert amounts(imp) == {m1.pk: D(1000), m2.pk: D(2000)}
    assert [w["row"] for w in imp.posted_data["warnings"] if "tersembunyi" in w["message"]] == [3]


def test_data_on_another_sheet_with_the_sheets_row_numbers(month):
    coop, run = month
    m1 = coop["m"][0]

    def build(wb, ws):
        ws.title = "Catatan"
        ws.append(["Dikirim oleh bendahara gaji"])
        data = wb.create_sheet("Potongan")
        data["A3"] = "NIP"
        data["B3"] = "Jumlah"
        data["A6"] = m1.nip
        data["B6"] = "abc"

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "invalid"
    assert "bukan angka" in by_row(imp)[6]


# --- refused with a reason ------------------------------------------------------------


def test_a_return_file_of_another_run_is_refused(month):
    coop, run = month
    agency = coop["agencies"][0]
    wb = load_workbook(io.BytesIO(agency_xlsx(run=run, agency=agency)))
    ws = wb.worksheets[0]
    mark = next(c for c in ws[1] if isinstance(c.value, str) and "LUMBUNG-RUN" in c.value)
    assert mark.value == f"LUMBUNG-RUN {run.pk} {run.year:04d}-{run.month:02d} {agency.code}"
    mark.value = f"LUMBUNG-RUN {run.pk + 1000} 2026-01 {agency.code}"  # November's file
    buf = io.BytesIO()
    wb.save(buf)
    content = filled_xlsx(buf.getvalue(), {m.nip: 1000 for m in coop["m"][:3]})
    imp = upload(coop, run, content, name="r.xlsx")
    assert imp.status == "invalid"
    assert (
        "Januari 2026" in imp.file_errors[0]["message"]
        and run.month_shown in imp.file_errors[0]["message"]
    )


def test_an_export_of_another_agency_is_refused(month):
    coop, run = month
    content = filled_xlsx(agency_xlsx(run=run, agency=coop["agencies"][1]), {})
    imp = upload(coop, run, content, name="r.xlsx", agency=coop["agencies"][0])
    assert imp.status == "invalid"
    assert coop["agencies"][1].code in imp.file_errors[0]["message"]


def test_an_unmarked_file_is_compared_with_the_asked_amounts_and_warned_loudly(month):
    coop, run = month
    m1, m2 = coop["m"][:2]
    imp = upload(coop, run, csv_of(["NIP,Jumlah", f"{m1.nip},1000", f"{m2.nip},2000"]))
    assert imp.status == "valid"
    (warning,) = [w["message"] for w in imp.posted_data["file_warnings"]]
    assert "PERHATIAN" in warning and "0 dari 2 baris" in warning


def test_an_unmarked_file_titled_with_another_month_is_refused(month):
    coop, run = month
    m1 = coop["m"][0]
    other = "Januari" if run.month != 1 else "Februari"
    content = csv_of([f"Daftar Potong Gaji Bulan {other} 2019,", "NIP,Jumlah", f"{m1.nip},1000"])
    imp = upload(coop, run, content)
    assert imp.status == "invalid" and "2019" in imp.file_errors[0]["message"]


def test_nip_and_member_number_that_contradict_are_refused_naming_both(month):
    coop, run = month
    m1, m2 = coop["m"][:2]
    content = csv_of(["No. Anggota,NIP,Jumlah", f"{m1.number},{m2.nip},1000"])
    imp = upload(coop, run, content)
    assert imp.status == "invalid"
    msg = by_row(imp)[2]
    assert m1.full_name in msg and m2.full_name in msg


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ('"1.234,56"', "rupiah utuh"),
        ('"1,234.56"', "rupiah utuh"),
        ("6271031503850001", "terlalu besar"),  # a NIK in the amount column
        ("1e30", "bukan angka"),
        ("", "kosong"),
    ],
)
def test_amounts_that_cannot_be_whole_rupiah_are_row_errors(month, cell, words):
    coop, run = month
    imp = upload(coop, run, csv_of(["NIP,Jumlah", f"{coop['m'][0].nip},{cell}"]))
    assert imp.status == "invalid"
    assert words in by_row(imp)[2]


def test_nip_with_digits_lost_and_no_member_number_is_refused_naming_excel(month):
    coop, run = month
    nip = coop["m"][0].nip[:15] + "000"
    imp = upload(coop, run, csv_of(["NIP,Jumlah", f"{nip},1000"]))
    assert imp.status == "invalid" and "15 digit" in by_row(imp)[2]


def test_formula_without_a_value_is_refused(month):
    coop, run = month

    def build(wb, ws):
        ws.append(["NIP", "Jumlah"])
        ws.append([coop["m"][0].nip, "=1000*2"])

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "invalid" and "rumus" in by_row(imp)[2]


def test_corpus_of_mangled_files_never_crashes(month):
    coop, run = month
    good = agency_xlsx(run=run, agency=coop["agencies"][0])
    variants = [
        (good[: len(good) // 2], "r.xlsx"),
        (b"PK\x03\x04" + b"\x00" * 40, "r.xlsx"),
        (b"\r\r\r", "r.csv"),
        (b"sep=;", "r.csv"),
        ("NIP\n\u00ff".encode("utf-16-le"), "r.csv"),
        (b"NIP,Jumlah\n\x00\x00\x00,1", "r.csv"),
        (b"%PDF-1.4", "r.pdf"),
        (("NIP,Jumlah\n" + "9" * 400 + ",1\n").encode(), "r.csv"),
    ]
    for content, name in variants:
        imp = upload(coop, run, content, name=name)
        assert imp.status == "invalid", (name, content[:20])


def test_member_number_typed_as_a_number_gets_its_zeros_back_and_is_said(month):
    coop, run = month
    m1 = coop["m"][0]
    type(m1).objects.filter(pk=m1.pk).update(number="000777")

    def build(wb, ws):
        ws.append(["No. Anggota", "Jumlah"])
        ws.append([777, 1000])  # Excel dropped the zeros of 000777

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "valid", imp.errors
    assert amounts(imp) == {m1.pk: D(1000)}
    assert any("nol di depan" in w["message"] for w in imp.posted_data["warnings"])


def test_the_upload_screen_and_api_show_the_warning_and_the_changed_rows(month):
    from django.test import Client

    coop, run = month
    m1 = coop["m"][0]
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(coop["by"])
    f = io.BytesIO(csv_of(["NIP;Jumlah", f"{m1.nip};Rp\u00a0250.000,-"]))
    f.name = "r.csv"
    r = c.post(
        f"/potong-gaji/{run.pk}/", {"upload": "1", "agency": coop["agencies"][0].pk, "file": f}
    )
    assert r.status_code == 302
    html = c.get(r.url).content.decode()
    assert "PERHATIAN" in html
    assert "Baris yang dibaca berbeda dari tulisannya" in html
    assert m1.full_name in html and "Rp 250.000" in html
    imp_id = r.url.rstrip("/").split("/")[-1]
    body = c.get(f"/api/v1/deductions/imports/{imp_id}/").json()
    assert body["file_warnings"] and body["changed_rows"][0]["amount"] == "250000"


def test_the_export_of_an_agency_whose_code_has_a_space_is_its_own(month):
    """Agency codes may hold spaces ("DINAS PENDIDIKAN"): the mark was read up to the
    first space ("DINAS"), so the agency's own filled export was refused as another
    agency's, and that of "DINAS PENDIDIKAN" taken for agency "DINAS"."""
    coop, run = month
    ag_a, ag_b = coop["agencies"]
    type(ag_a).objects.filter(pk=ag_a.pk).update(code="DINAS PENDIDIKAN")
    type(ag_b).objects.filter(pk=ag_b.pk).update(code="DINAS")
    ag_a.refresh_from_db()
    ag_b.refresh_from_db()
    m1 = coop["m"][0]
    content = filled_xlsx(agency_xlsx(run=run, agency=ag_a), {m1.nip: 1000})
    imp = upload(coop, run, content, name="r.xlsx", agency=ag_a)
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    m2, m3 = coop["m"][1:3]
    assert amounts(imp) == {m1.pk: D(1000), m2.pk: D(0), m3.pk: D(0)}
    assert imp.posted_data["file_warnings"] == []
    # the same file uploaded for "DINAS" is refused as the file of "DINAS PENDIDIKAN"
    wrong = upload(coop, run, content, name="r.xlsx", agency=ag_b)
    assert wrong.status == "invalid"
    assert "DINAS PENDIDIKAN" in wrong.file_errors[0]["message"]
    # the all-agencies workbook: the sheet marked for the agency
    wb = load_workbook(io.BytesIO(all_agencies_xlsx(run=run)))
    sheet = next(
        ws
        for ws in wb.worksheets
        if any(isinstance(c.value, str) and c.value.endswith(" DINAS PENDIDIKAN") for c in ws[1])
    )
    for row in sheet.iter_rows():
        if row[2].value in (m1.nip, m2.nip, m3.nip):
            row[9].value = 2000 if row[2].value == m1.nip else 0
    buf = io.BytesIO()
    wb.save(buf)
    imp = upload(coop, run, buf.getvalue(), name="all.xlsx", agency=ag_a)
    assert imp.status == "valid", (imp.errors, imp.file_errors)
    assert amounts(imp) == {m1.pk: D(2000), m2.pk: D(0), m3.pk: D(0)}


def test_a_cell_beyond_excels_last_column_is_refused_at_once(month):
    """A 5 KB file whose cell reference names column "ZZZZZZ" (Excel stops at XFD,
    16,384 columns) made the reader pad the row with 321 million empty cells: 11 s and
    gigabytes of memory (one letter more and the worker is killed). It is refused as a
    damaged file now, at once."""
    import time
    import zipfile

    coop, run = month
    m1 = coop["m"][0]

    def build(wb, ws):
        ws.append(["NIP", "Jumlah"])
        ws.append([m1.nip, 1000])

    src = zipfile.ZipFile(io.BytesIO(xlsx(build)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b'r="B2"' in data
                data = data.replace(b'r="B2"', b'r="ZZZZZZ2"')
            z.writestr(info, data)
    started = time.monotonic()
    imp = upload(coop, run, out.getvalue(), name="r.xlsx")
    assert time.monotonic() - started < 5
    assert imp.status == "invalid" and "XLSX" in imp.file_errors[0]["message"]


def test_an_xlsx_that_unpacks_to_more_than_the_limit_is_refused_unread(month, monkeypatch):
    """An XLSX is a zip: 10 MB of repeated rows unpacks to gigabytes of sheet XML, which
    the reader expanded whole (then every row) before any check. The unpacked size the
    zip declares is checked first now (``spreadsheet.MAX_UNPACKED``, 300 MB; 2 MB here)."""
    from core.common import spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_UNPACKED", 2_000_000)
    coop, run = month
    m1 = coop["m"][0]

    def build(wb, ws):
        ws.append(["NIP", "Jumlah"])
        ws.append([m1.nip, 1000])
        for _i in range(60_000):
            ws.append([None, 0])

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "invalid" and imp.rows == []
    assert "terlalu besar" in imp.file_errors[0]["message"]


# --- traps that read a wrong figure silently --------------------------------------------


def test_percent_formatted_amount_cell_is_a_row_error_not_a_hundredth(month):
    """Typed 250000 into a cell formatted 0%, Excel keeps 2500 (shows 250000%): it was
    read as Rp 2.500 cut."""
    coop, run = month

    def build(wb, ws):
        ws.append(["NIP", "Jumlah"])
        ws.append([coop["m"][0].nip, 2500])
        ws["B2"].number_format = "0%"

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "invalid"
    assert "berformat persen (tampil 250.000%" in by_row(imp)[2]


def test_footnote_mark_after_an_amount_is_a_row_error_not_a_digit(month):
    """``250000¹`` was read as Rp 2.500.001 cut."""
    coop, run = month
    imp = upload(coop, run, csv_of(["NIP,Jumlah", f"{coop['m'][0].nip},250000¹"]))
    assert imp.status == "invalid"
    assert "bukan 0-9" in by_row(imp)[2]


def test_unclosed_quote_that_swallows_the_next_rows_is_refused_as_a_file(month):
    """``"Ani`` with no closing quote took the rows below into its cell: row 2 was an
    error (no amount) and, once excluded, the others were simply not in the file."""
    coop, run = month
    m1, m2, m3 = coop["m"][:3]
    content = csv_of(
        [
            "NIP,Nama,Jumlah",
            f'{m1.nip},"{m1.full_name},1000',
            f"{m2.nip},{m2.full_name},2000",
            f"{m3.nip},{m3.full_name},3000",
        ]
    )
    imp = upload(coop, run, content)
    assert imp.status == "invalid"
    assert imp.rows == []
    assert "baris 2 tidak ditutup" in imp.file_errors[0]["message"]


def test_a_list_on_two_sheets_is_refused_naming_the_sheets(month):
    """The treasurer's own file with PNS on one sheet and PPPK on the next: only the first
    was read, the second sheet's members counted as not deducted."""
    coop, run = month
    m1, m2 = coop["m"][:2]

    def build(wb, ws):
        ws.title = "PNS"
        ws.append(["NIP", "Jumlah"])
        ws.append([m1.nip, 1000])
        other = wb.create_sheet("PPPK")
        other.append(["NIP", "Jumlah"])
        other.append([m2.nip, 2000])

    imp = upload(coop, run, xlsx(build), name="r.xlsx")
    assert imp.status == "invalid"
    assert imp.rows == []
    assert "PNS, PPPK" in imp.file_errors[0]["message"]
