"""Member import: files made the way offices make them (generated here, not checked in).
Each is read right or refused with a reason; none is read wrong; none is a 500
(issue 26)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from core.common.errors import ApplicationError
from core.members.models import Member
from core.savings.member_import import import_parse, member_import_run, member_import_upload
from core.savings.models import SavingsAccount

from . import factories as f
from .test_import import OPENING

D = Decimal
HEADER = [
    "nomor_anggota",
    "nama_lengkap",
    "nip",
    "nik",
    "kode_instansi",
    "tanggal_masuk",
    "gaji_bersih",
    "saldo_pokok",
    "saldo_wajib",
    "saldo_sukarela",
]


@pytest.fixture
def by(in_tenant_a):
    from core.savings.seeding import savings_products_seed

    savings_products_seed()
    f.agency("DISDIK", "Dinas Pendidikan")
    return f.user("bendahara")


def person(**kw):
    nip, nik = f.unique_ids()
    row = {
        "nomor_anggota": "",
        "nama_lengkap": "Ani Lestari",
        "nip": nip,
        "nik": nik,
        "kode_instansi": "DISDIK",
        "tanggal_masuk": "2015-01-02",
        "gaji_bersih": "4500000",
        "saldo_pokok": "100000",
        "saldo_wajib": "1250000",
        "saldo_sukarela": "",
    }
    row.update(kw)
    return row


def to_csv(rows, *, delimiter=",", newline="\n", encoding="utf-8", before="") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=newline)
    w.writerow(HEADER)
    for r in rows:
        w.writerow([r[h] for h in HEADER])
    return (before + buf.getvalue()).encode(encoding)


def to_xlsx(rows, *, title_rows=(), first_sheet=None, prepare=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    if first_sheet:
        ws.title = first_sheet
        ws.append(["Petunjuk: data anggota ada di lembar berikutnya."])
        ws = wb.create_sheet("Data")
    for t in title_rows:
        ws.append(t)
    ws.append(HEADER)
    for r in rows:
        ws.append([r[h] for h in HEADER])
    if prepare:
        prepare(wb, ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(content, name, by):
    return member_import_upload(content=content, file_name=name, by=by)


def messages(batch, column=None):
    return " | ".join(e["message"] for e in batch.errors if column in (None, e["column"]))


# --- read right -----------------------------------------------------------------------


def test_amounts_as_offices_write_them_are_read_right_and_shown_on_the_preview(by):
    rows = [
        person(saldo_wajib="Rp 1.250.000", saldo_sukarela="Rp\u00a0250.000"),
        person(saldo_wajib="1,250,000", saldo_sukarela="250.000,-", gaji_bersih="Rp. 4.500.000"),
        person(saldo_wajib="RP 1.250.000", saldo_sukarela="-", gaji_bersih="4 500 000"),
    ]
    batch = upload(to_csv(rows), "a.csv", by)
    assert batch.status == "valid", batch.errors
    assert batch.summary["totals"]["wajib"] == "3750000"
    assert batch.summary["totals"]["sukarela"] == "500000"
    changed = {c["row"]: c["changes"] for c in batch.summary["changes"]}
    assert {"column": "saldo_sukarela", "was": "Rp 250.000", "now": "250000"} in changed[2]
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    m = Member.objects.get(nip=rows[1]["nip"])
    assert m.take_home_pay == D("4500000")
    balances = dict(SavingsAccount.objects.filter(member=m).values_list("product__kind", "balance"))
    assert balances == {"pokok": D("100000"), "wajib": D("1250000"), "sukarela": D("250000")}
    m3 = Member.objects.get(nip=rows[2]["nip"])
    assert not SavingsAccount.objects.filter(member=m3, product__kind="sukarela").exists()


@pytest.mark.parametrize(
    ("newline", "encoding", "delimiter", "before"),
    [
        ("\r", "utf-8", ",", ""),  # Excel for Mac "CSV (Macintosh)"
        ("\r\n", "utf-8-sig", ";", ""),
        ("\n", "utf-16-le", "\t", ""),  # UTF-16LE without a BOM
        ("\r\n", "utf-8", ";", "sep=;\r\n"),  # Excel's separator line
    ],
)
def test_csv_dialects_and_encodings_read_right(by, newline, encoding, delimiter, before):
    rows = [person(), person(nama_lengkap="Budi Ñoman")]
    content = to_csv(rows, delimiter=delimiter, newline=newline, encoding=encoding, before=before)
    batch = upload(content, "a.csv", by)
    assert batch.status == "valid", batch.errors
    assert [r["nip"] for r in batch.rows] == [r["nip"] for r in rows]
    assert batch.rows[1]["nama_lengkap"] == "Budi Ñoman"


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2 Januari 2015", date(2015, 1, 2)),
        ("02.01.2015", date(2015, 1, 2)),
        ("02/01/2015", date(2015, 1, 2)),
        ("17 Agustus 2010", date(2010, 8, 17)),
    ],
)
def test_dates_as_offices_write_them(by, written, day):
    rows = [person(tanggal_masuk=written)]
    batch = upload(to_csv(rows), "a.csv", by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    assert Member.objects.get(nip=rows[0]["nip"]).join_date == day


def test_nip_with_spaces_is_read_and_listed_as_changed(by):
    row = person()
    spaced = f"{row['nip'][:8]} {row['nip'][8:14]} {row['nip'][14]} {row['nip'][15:]}"
    batch = upload(to_csv([{**row, "nip": spaced}]), "a.csv", by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    assert Member.objects.filter(nip=row["nip"]).exists()


def test_header_below_a_title_block_and_error_rows_are_the_sheets_own(by):
    rows = [person(), person(saldo_wajib="1.234,56")]
    content = to_xlsx(rows, title_rows=[["KPRI Maju Bersama"], ["Data anggota per 2026"], []])
    batch = upload(content, "a.xlsx", by)
    assert batch.status == "invalid"
    # title (3 rows) + header (row 4) + first member (row 5): the bad row is row 6
    assert [(e["row"], e["column"]) for e in batch.errors] == [(6, "saldo_wajib")]
    assert "rupiah utuh" in batch.errors[0]["message"]


def test_data_on_another_sheet(by):
    rows = [person()]
    batch = upload(to_xlsx(rows, first_sheet="Petunjuk"), "a.xlsx", by)
    assert batch.status == "valid", batch.errors
    assert batch.rows[0]["_row"] == 2


def test_1904_date_system_and_zero_padded_member_numbers(by):
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    rows = [person(tanggal_masuk=date(2015, 1, 2), nomor_anggota=123)]

    def prepare(wb, ws):
        wb.epoch = CALENDAR_MAC_1904
        ws["F2"].number_format = "dd/mm/yyyy"
        ws["A2"].number_format = "000000"

    batch = upload(to_xlsx(rows, prepare=prepare), "a.xlsx", by)
    assert batch.status == "valid", batch.errors
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    m = Member.objects.get(nip=rows[0]["nip"])
    assert m.join_date == date(2015, 1, 2)
    assert m.number == "000123"


def test_join_date_as_a_bare_number_in_a_1904_workbook_is_read_with_that_system(by):
    """A Mac workbook (1904 date system) whose tanggal_masuk column is formatted General
    holds 2015-01-01 as 40543: it was read with the 1900 system, as 2010-12-31."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    rows = [person(tanggal_masuk=40543)]

    def prepare(wb, ws):
        wb.epoch = CALENDAR_MAC_1904

    batch = upload(to_xlsx(rows, prepare=prepare), "a.xlsx", by)
    assert batch.status == "valid", batch.errors
    changed = {c["row"]: c["changes"] for c in batch.summary["changes"]}
    assert {"column": "tanggal_masuk", "was": "40543", "now": "2015-01-01"} in changed[2]
    # the import runs on the rows kept at the upload (JSON): the date system goes with them
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    assert Member.objects.get(nip=rows[0]["nip"]).join_date == date(2015, 1, 1)


def test_hidden_rows_are_imported_and_said_on_the_preview(by):
    rows = [person(), person()]

    def prepare(wb, ws):
        ws.row_dimensions[3].hidden = True

    batch = upload(to_xlsx(rows, prepare=prepare), "a.xlsx", by)
    assert batch.status == "valid", batch.errors
    assert batch.summary["hidden_rows"] == [3]
    assert any(c["row"] == 3 for c in batch.summary["changes"])


# --- refused with a reason --------------------------------------------------------------


def test_nip_and_nik_with_digits_lost_to_excel_are_refused(by):
    a, b = person(), person()
    rows = [
        {**a, "nip": int(a["nip"][:15] + "000")},  # an Excel number cell
        {**b, "nik": b["nik"][:12] + "0000"},  # a CSV saved from such a cell
    ]
    batch = upload(to_xlsx(rows), "a.xlsx", by)
    assert batch.status == "invalid"
    assert "15 digit" in messages(batch, "nip") and "Teks" in messages(batch, "nip")
    assert "15 digit" in messages(batch, "nik")


def test_formula_without_a_cached_value_is_refused(by):
    rows = [person()]

    def prepare(wb, ws):
        ws["I2"] = "=1000000+250000"  # written by a program, never calculated by Excel

    batch = upload(to_xlsx(rows, prepare=prepare), "a.xlsx", by)
    assert batch.status == "invalid"
    assert "rumus" in messages(batch, "saldo_wajib")


def test_huge_number_in_a_date_cell_is_refused_not_a_500(by):
    rows = [person(tanggal_masuk=10**12)]

    def prepare(wb, ws):
        ws["F2"].number_format = "dd/mm/yyyy"

    batch = upload(to_xlsx(rows, prepare=prepare), "a.xlsx", by)
    assert batch.status == "invalid"
    assert "bukan tanggal" in messages(batch, "tanggal_masuk")


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("gaji_bersih", "123456789012345678", "terlalu besar"),  # 18 digits
        ("saldo_sukarela", "6271031503850001", "terlalu besar"),  # a NIK in the wrong column
        ("saldo_pokok", "150000", "melebihi"),  # above the product's pokok (100,000)
        ("saldo_wajib", "1.234,56", "rupiah utuh"),
        ("saldo_wajib", "1e30", "bukan angka"),
        ("saldo_wajib", "12abc", "bukan angka"),
        ("tanggal_masuk", "31/02/2015", "tidak valid"),
        ("tanggal_masuk", "1250000", "bukan tanggal"),  # an amount in the date column
        ("tanggal_masuk", "2015", "bukan tanggal"),  # a year is no date
    ],
)
def test_implausible_values_are_refused_at_upload(by, column, value, words):
    batch = upload(to_csv([person(**{column: value})]), "a.csv", by)
    assert batch.status == "invalid"
    assert words in messages(batch, column), batch.errors


def test_every_file_of_the_corpus_is_read_or_refused_never_a_crash(by):
    """Mangled variants of one good file: upload answers with a batch or an
    ApplicationError, never anything else."""
    good = to_xlsx([person(), person()])
    variants = [
        good[: len(good) // 2],
        good.replace(b"sheet1", b"sheetX"),
        b"PK\x03\x04" + b"\x00" * 50,
        to_csv([person()]).replace(b",", b"\x00"),
        "nama_lengkap,nip\n\u00ff".encode("utf-16-le"),
        b"\r\r\r",
        b"sep=;",
        to_csv([person()])[:-20],
    ]
    for content in variants:
        try:
            import_parse(content=content, file_name="a.xlsx" if content[:2] == b"PK" else "a.csv")
        except ApplicationError:
            continue


def test_the_preview_screen_shows_changed_values_and_hidden_rows(by, tenant_a):
    from django.test import Client

    from tenants.services import tenant_host

    rows = [person(saldo_wajib="Rp\u00a01.250.000"), person()]

    def prepare(wb, ws):
        ws.row_dimensions[3].hidden = True

    c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    c.force_login(by)
    f = io.BytesIO(to_xlsx(rows, prepare=prepare))
    f.name = "anggota.xlsx"
    r = c.post("/anggota/impor/", {"file": f})
    assert r.status_code == 302, r.content.decode()[-2000:]
    html = c.get(r.url).content.decode()
    assert "Baris yang dibaca berbeda dari tulisannya" in html
    assert "Rp 1.250.000" in html and "1250000" in html  # as written, as it will be written
    assert "tersembunyi" in html and "(baris 3)" in html


def test_wrong_columns_below_a_title_block_are_reported_from_the_header_row(by):
    def prepare(wb, ws):
        ws["D3"] = "nomor_identitas"  # the NIK column renamed (row 3: the header)

    content = to_xlsx([person()], title_rows=[["KPRI Maju Bersama"], []], prepare=prepare)
    with pytest.raises(ApplicationError) as e:
        import_parse(content=content, file_name="a.xlsx")
    assert e.value.code == "import_bad_columns"
    assert "kolom wajib tidak ada: nik" in e.value.message
    assert "nomor_identitas" in e.value.message and "kpri" not in e.value.message.lower()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_join_date_as_an_excel_serial_is_read_and_shown_on_the_preview(by, kind):
    """42006 is Excel's serial of 2 January 2015: a CSV saved from a date column
    formatted General holds those digits, a number-typed XLSX cell the number."""
    rows = [person(tanggal_masuk="42006" if kind == "csv" else 42006)]
    content = to_csv(rows) if kind == "csv" else to_xlsx(rows)
    batch = upload(content, f"a.{kind}", by)
    assert batch.status == "valid", batch.errors
    changed = {c["row"]: c["changes"] for c in batch.summary["changes"]}
    assert {"column": "tanggal_masuk", "was": "42006", "now": "2015-01-02"} in changed[2]
    member_import_run(batch=batch, opening_date=OPENING, by=by)
    assert Member.objects.get(nip=rows[0]["nip"]).join_date == date(2015, 1, 2)


# --- traps that read a wrong figure silently (issue: imports people feed money through) --


def test_percent_formatted_balance_cell_is_refused_not_read_as_a_hundredth(by):
    """Typed 1250000 into a cell formatted 0%, Excel keeps 12500 (shows 1250000%): it
    was imported as a wajib balance of Rp 12.500."""
    rows = [person(saldo_wajib=12500)]

    def prepare(wb, ws):
        ws["I2"].number_format = "0%"

    batch = upload(to_xlsx(rows, prepare=prepare), "a.xlsx", by)
    assert batch.status == "invalid"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "saldo_wajib")]
    assert "berformat persen (tampil 1.250.000%" in batch.errors[0]["message"]


def test_footnote_mark_after_a_balance_is_refused_not_read_as_a_digit(by):
    """``1250000²`` was imported as Rp 12.500.002."""
    batch = upload(to_csv([person(saldo_wajib="1250000²")]), "a.csv", by)
    assert batch.status == "invalid"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(2, "saldo_wajib")]
    assert "bukan 0-9" in batch.errors[0]["message"]


def test_unclosed_quote_that_swallows_the_next_members_is_refused(by):
    """A name typed ``"Ani`` took the rows below it into its cell: the file read as one
    member fewer per row swallowed."""
    rows = [person(), person(), person()]
    lines = to_csv(rows).decode().split("\n")
    lines[2] = lines[2].replace("Ani Lestari", '"Ani Lestari', 1)
    with pytest.raises(ApplicationError) as e:
        upload("\n".join(lines).encode(), "a.csv", by)
    assert e.value.code == "import_bad_format"
    assert "baris 3 tidak ditutup" in e.value.message
    assert not Member.objects.filter(nip__in=[r["nip"] for r in rows]).exists()


def test_members_on_two_sheets_are_refused_naming_the_sheets(by):
    """PNS on one sheet, PPPK on the next, both under the template's header: only the
    first was read and the preview said nothing of the second sheet's members."""
    pns, pppk = person(), person()

    def prepare(wb, ws):
        ws.title = "PNS"
        other = wb.create_sheet("PPPK")
        other.append(HEADER)
        other.append([pppk[h] for h in HEADER])

    with pytest.raises(ApplicationError) as e:
        upload(to_xlsx([pns], prepare=prepare), "a.xlsx", by)
    assert e.value.code == "import_many_sheets"
    assert "PNS, PPPK" in e.value.message
    assert not Member.objects.filter(nip__in=[pns["nip"], pppk["nip"]]).exists()


def test_a_second_sheet_with_only_the_header_is_no_second_list(by):
    def prepare(wb, ws):
        wb.create_sheet("Kosong").append(HEADER)

    batch = upload(to_xlsx([person()], prepare=prepare), "a.xlsx", by)
    assert batch.status == "valid", batch.errors


def test_a_totals_row_at_the_bottom_is_one_error_saying_what_it_is(by):
    """``JUMLAH`` under the list was five errors on its row (NIP, NIK, agency, date, a pokok
    above the product's) that did not say it is the totals row."""
    rows = [person(), person()]

    def prepare(wb, ws):
        ws.append(["", "JUMLAH", "", "", "", "", "", 200000, 2500000, ""])

    batch = upload(to_xlsx(rows, prepare=prepare), "a.xlsx", by)
    assert batch.status == "invalid"
    assert [(e["row"], e["column"]) for e in batch.errors] == [(4, "nama_lengkap")]
    assert "Baris jumlah (JUMLAH)" in batch.errors[0]["message"]
    assert batch.summary["totals"]["wajib"] == "2500000"  # the members' figures only
