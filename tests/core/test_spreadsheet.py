"""The shared spreadsheet reader (core.common.spreadsheet): what offices send is read
right or refused with a reason, never a crash (issue 26)."""

import codecs
import contextlib
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from core.common.spreadsheet import (
    CellProblem,
    Percent,
    SheetError,
    _read_xlsx_openpyxl,
    cell_date,
    cell_identifier,
    cell_rupiah,
    nik_cell,
    nip_cell,
    read_workbook,
    read_xlsx_fast,
)

NIP = "198503152010011001"


def xlsx(build) -> bytes:
    wb = Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cells(book, sheet=0):
    return [(r.number, r.cells, r.hidden) for r in book.sheets[sheet].rows]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_csv_line_endings_all_read_the_same(newline):
    text = newline.join(["NIP,Jumlah", f"{NIP},250000", f"{NIP},1"]) + newline
    book = read_workbook(content=text.encode(), file_name="r.csv")
    assert [r.cells for r in book.sheets[0].rows] == [
        ["NIP", "Jumlah"],
        [NIP, "250000"],
        [NIP, "1"],
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_csv_encodings_with_or_without_bom(encoding):
    text = f"Nama;NIP;Jumlah\nÑoman Sürya;{NIP};250.000\n"
    book = read_workbook(content=text.encode(encoding), file_name="r.csv")
    assert book.sheets[0].rows[1].cells == ["Ñoman Sürya", NIP, "250.000"]


def test_csv_other_encodings_are_refused_with_the_fix():
    with pytest.raises(SheetError) as e:
        read_workbook(content="Nama\nÑoman\n".encode("cp1252"), file_name="r.csv")
    assert e.value.code == "encoding" and "UTF-8" in e.value.message


def test_csv_from_excel_on_windows_is_read_as_windows_1252_when_the_caller_says_so():
    # what Excel on Indonesian Windows saves as "CSV (Comma delimited)": not UTF-8
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(
        [["Nama", "NIP", "Jumlah"], ["Sitì Ñurhayati", NIP, "1.250.000"], ["Budi", NIP, "€ 5"]]
    )
    content = buf.getvalue().encode("cp1252")
    book = read_workbook(content=content, file_name="r.csv", windows_1252=True)
    assert book.encoding == "cp1252"
    assert [r.cells for r in book.sheets[0].rows][1:] == [
        ["Sitì Ñurhayati", NIP, "1.250.000"],
        ["Budi", NIP, "€ 5"],
    ]
    # UTF-8 is tried first, and said to be UTF-8 (with or without its BOM)
    for enc in ("utf-8", "utf-8-sig"):
        text = buf.getvalue().encode(enc)
        book = read_workbook(content=text, file_name="r.csv", windows_1252=True)
        assert book.encoding == "utf-8"
        assert book.sheets[0].rows[1].cells[0] == "Sitì Ñurhayati"


def test_csv_that_is_neither_utf8_nor_windows_1252_is_still_refused():
    # 0x81 and 0x9D have no character in Windows-1252; a UTF-8 BOM before bytes that are
    # not UTF-8 is a damaged file, not a Windows one
    for content in (b"Nama\nA\x81b\n", codecs.BOM_UTF8 + "Nama\nSitì\n".encode("cp1252")):
        with pytest.raises(SheetError) as e:
            read_workbook(content=content, file_name="r.csv", windows_1252=True)
        assert e.value.code == "encoding"


def test_csv_sep_line_and_row_numbers():
    text = "sep=;\nNIP;Jumlah\n" + f"{NIP};1,250,000\n"
    rows = read_workbook(content=text.encode(), file_name="r.csv").sheets[0].rows
    assert rows[0].number == 1 and rows[0].cells == ["NIP", "Jumlah"]
    assert rows[1].cells == [NIP, "1,250,000"]


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_found_from_the_rows(sep):
    lines = [sep.join(["NIP", "Nama", "Jumlah"])] + [
        sep.join([NIP, "Ani, S.Pd.", "1.250.000"]) for _ in range(3)
    ]
    if sep == ",":  # a comma inside a cell is quoted by every spreadsheet program
        lines = ["NIP,Nama,Jumlah"] + [f'{NIP},"Ani, S.Pd.",1.250.000'] * 3
    rows = read_workbook(content="\n".join(lines).encode(), file_name="r.csv").sheets[0].rows
    assert rows[1].cells == [NIP, "Ani, S.Pd.", "1.250.000"]


def test_xlsx_1904_date_system_is_honoured():
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    def build(wb):
        wb.epoch = CALENDAR_MAC_1904
        ws = wb.active
        ws.append(["tanggal"])
        ws.append([date(2015, 1, 2)])
        ws["A2"].number_format = "dd/mm/yyyy"

    book = read_workbook(content=xlsx(build), file_name="a.xlsx")
    assert book.sheets[0].rows[1].cells == [date(2015, 1, 2)]


def _book_1904_general(wb):
    """A Mac workbook (1904 date system) whose date column is formatted General: Excel
    keeps 2015-01-01 as the bare number 40543 there (it would be 42005 in 1900)."""
    from openpyxl.utils.datetime import CALENDAR_MAC_1904

    wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    ws.append(["tanggal", "jumlah"])
    ws.append([40543, 40543])


@pytest.mark.parametrize("reader", [read_xlsx_fast, _read_xlsx_openpyxl])
def test_a_bare_number_in_a_1904_workbook_is_read_as_a_date_of_that_system(reader):
    (sheet,) = reader(xlsx(_book_1904_general))
    assert sheet.date1904 is True
    date_cell, amount_cell = sheet.rows[1].cells
    assert amount_cell == 40543  # a number stays that number: only a date reader converts
    assert cell_date(date_cell, label="Tanggal", date1904=sheet.date1904) == date(2015, 1, 1)


def test_a_workbook_says_which_date_system_it_uses():
    assert read_workbook(content=xlsx(_book_1904_general), file_name="a.xlsx").date1904
    assert not read_workbook(
        content=xlsx(lambda wb: wb.active.append([1])), file_name="a.xlsx"
    ).date1904
    assert not read_workbook(content=b"tanggal\n40543\n", file_name="a.csv").date1904


@pytest.mark.parametrize(
    ("serial", "day"),
    [
        (40543, date(2015, 1, 1)),
        (40543.0, date(2015, 1, 1)),
        ("40543", date(2015, 1, 1)),
        (9497, date(1930, 1, 1)),  # the window is the same dates as in 1900: 1930 to 2100
        (71953, date(2100, 12, 31)),
    ],
)
def test_date_serials_of_the_1904_system(serial, day):
    assert cell_date(serial, label="Tanggal", date1904=True) == day


@pytest.mark.parametrize("amount", [9496, 71954, 2015, 12000000])
def test_a_number_outside_the_1904_date_serials_is_refused_as_no_date(amount):
    with pytest.raises(ValidationError) as e:
        cell_date(amount, label="Tanggal cair", date1904=True)
    assert "bukan tanggal" in e.value.messages[0]


def test_xlsx_formula_without_value_hidden_rows_bad_dates_and_padded_numbers():
    def build(wb):
        ws = wb.active
        ws.append(["no", "jumlah", "tanggal"])
        ws.append([123, "=2*3", 10**12])
        ws["A2"].number_format = "000000"
        ws["C2"].number_format = "dd/mm/yyyy"
        ws.append([124, 5, -3])
        ws["C3"].number_format = "dd/mm/yyyy"
        ws.row_dimensions[3].hidden = True

    rows = read_workbook(content=xlsx(build), file_name="a.xlsx").sheets[0].rows
    no, amount, when = rows[1].cells
    assert no == "000123"
    assert isinstance(amount, CellProblem) and amount.kind == "formula"
    assert isinstance(when, CellProblem) and when.kind == "date"
    with pytest.raises(ValidationError, match="rumus"):
        cell_rupiah(amount, label="Jumlah")
    with pytest.raises(ValidationError, match="bukan tanggal"):
        cell_date(when)
    assert rows[2].hidden and not rows[1].hidden
    assert isinstance(rows[2].cells[2], CellProblem)


def _percent_cells(wb):
    ws = wb.active
    ws.append(["jasa", "jasa", "jasa", "teks", "jumlah", "kode"])
    # what Excel keeps when 1%, 1,5%, 0,75% are typed; a quoted % is no percent format
    ws.append([0.01, 0.015, 0.0075, 0.01, 250000, 7])
    ws["A2"].number_format = "0%"  # built-in 9
    ws["B2"].number_format = "0.00%"  # built-in 10
    ws["C2"].number_format = "0.000%"  # custom
    ws["D2"].number_format = '0.00" %"'  # the % is text: the value is not ×100
    ws["E2"].number_format = "#,##0"
    ws["F2"].number_format = "000"


@pytest.mark.parametrize("reader", [read_xlsx_fast, _read_xlsx_openpyxl])
def test_xlsx_percent_cells_give_the_percent_typed_other_cells_unchanged(reader):
    a, b, c, d, amount, code = reader(xlsx(_percent_cells))[0].rows[1].cells
    assert [type(v) for v in (a, b, c)] == [Percent] * 3
    assert (a.percent, b.percent, c.percent) == (1, Decimal("1.5"), Decimal("0.75"))
    assert a == 0.01  # as a plain number, the value Excel stores
    assert not isinstance(d, Percent) and d == 0.01
    assert not isinstance(amount, Percent) and amount == 250000
    assert cell_rupiah(amount, label="Jumlah") == 250000
    if reader is read_xlsx_fast:
        assert code == "007"


def test_percent_cell_reads_at_excels_fifteen_digits():
    # =1,1%*1 computed by Excel: 0.011000000000000001 in the file, 1,1% on screen
    assert Percent(0.011000000000000001).percent == Decimal("1.1")


def test_xlsx_every_sheet_with_its_own_row_numbers():
    def build(wb):
        wb.active.title = "Petunjuk"
        wb.active.append(["Isi lembar Data"])
        ws = wb.create_sheet("Data")
        ws["A5"] = "NIP"
        ws["A7"] = NIP

    book = read_workbook(content=xlsx(build), file_name="a.xlsx")
    assert [s.name for s in book.sheets] == ["Petunjuk", "Data"]
    assert [(r.number, r.cells) for r in book.sheets[1].rows] == [(5, ["NIP"]), (7, [NIP])]


@pytest.mark.parametrize(
    "value",
    [198503122010011000, 1.98503122010011e17, "197902142005011000", "1.98503E+17"],
)
def test_nip_with_digits_lost_to_excel_is_refused_naming_the_limit(value):
    with pytest.raises(ValidationError) as e:
        nip_cell(value)
    assert "15 digit" in e.value.messages[0] and "Teks" in e.value.messages[0]


def test_nik_with_digits_lost_is_refused_and_spaces_are_removed():
    with pytest.raises(ValidationError):
        nik_cell(6271031503850000)
    assert nik_cell("6271 0315 0385 0001") == "6271031503850001"
    assert nip_cell("19850315 201001 1 001") == NIP
    assert nip_cell("'198503152010011001") == NIP
    assert cell_identifier(123, label="x", length=18, zero_tail=3) == "123"


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2015-01-02", date(2015, 1, 2)),
        ("02/01/2015", date(2015, 1, 2)),
        ("02-01-2015", date(2015, 1, 2)),
        ("02.01.2015", date(2015, 1, 2)),
        ("2 Januari 2015", date(2015, 1, 2)),
        ("2 Jan 2015", date(2015, 1, 2)),
        ("17 Agustus 1945", date(1945, 8, 17)),
        ("1 Nopember 2020", date(2020, 11, 1)),
    ],
)
def test_dates_as_offices_write_them(text, day):
    assert cell_date(text) == day


@pytest.mark.parametrize("bad", ["31/02/2015", "2015", "besok", "2 Smarch 2015", ""])
def test_bad_dates_refused(bad):
    with pytest.raises(ValidationError):
        cell_date(bad)


@pytest.mark.parametrize(
    ("serial", "day"),
    [
        (45292, date(2024, 1, 1)),  # a number-typed XLSX cell
        (45292.0, date(2024, 1, 1)),
        ("45292", date(2024, 1, 1)),  # a CSV saved from a General-formatted date column
        (" 42006 ", date(2015, 1, 2)),
        (10959, date(1930, 1, 1)),
        (73415, date(2100, 12, 31)),
    ],
)
def test_excel_date_serials_are_read_with_the_1900_date_system(serial, day):
    assert cell_date(serial, label="Tanggal cair") == day


@pytest.mark.parametrize(
    "amount", [12000000, "12000000", 73416, 10958, 2015, "2015", 45292.5, -45292, "45292,0", True]
)
def test_a_number_outside_the_date_serials_is_refused_as_no_date(amount):
    with pytest.raises(ValidationError) as e:
        cell_date(amount, label="Tanggal cair")
    assert "Tanggal cair" in e.value.messages[0]


@given(st.binary(max_size=300), st.sampled_from(["a.csv", "a.xlsx", "a.txt"]))
@settings(max_examples=150, deadline=None)
def test_any_bytes_are_read_or_refused_never_a_crash(content, name):
    with contextlib.suppress(SheetError):
        read_workbook(content=content, file_name=name)


@pytest.mark.parametrize("reader", [read_xlsx_fast, _read_xlsx_openpyxl])
def test_a_percent_formatted_cell_in_an_amount_column_is_refused(reader):
    """Typed 1250000 into a cell formatted 0%, Excel keeps 12500 and shows 1250000%: read
    as an amount it was Rp 12.500, silently."""

    def build(wb):
        wb.active.append(["NIP", "Jumlah"])
        wb.active.append([NIP, 12500])
        wb.active["B2"].number_format = "0%"

    value = reader(xlsx(build))[0].rows[1].cells[1]
    with pytest.raises(ValidationError) as e:
        cell_rupiah(value, label="Jumlah")
    assert "persen" in e.value.messages[0] and "Jumlah" in e.value.messages[0]


def test_csv_quote_left_open_that_swallows_the_next_rows_is_refused_naming_the_row():
    """``"Ani`` with no closing quote: the CSV reader takes every following line into that
    one cell until the next quote, and the rows below vanish from the file."""
    text = f'NIP,Nama,Jumlah\n{NIP},Budi,1000\n{NIP},"Ani,2000\n{NIP},Citra,3000\n{NIP},Dedi,4000\n'
    with pytest.raises(SheetError) as e:
        read_workbook(content=text.encode(), file_name="a.csv")
    assert e.value.code == "format"
    assert "baris 3" in e.value.message and "kutip" in e.value.message


def test_csv_cell_of_several_lines_is_still_one_cell():
    """An address typed with Alt+Enter in Excel is saved quoted over two lines."""
    text = f'NIP,Alamat,Jumlah\n{NIP},"Jl. Melati 5,\nRT 01, RW 02",1000\n{NIP},Jl. Mawar,2000\n'
    book = read_workbook(content=text.encode(), file_name="a.csv")
    assert [r.cells for r in book.sheets[0].rows][1:] == [
        [NIP, "Jl. Melati 5,\nRT 01, RW 02", "1000"],
        [NIP, "Jl. Mawar", "2000"],
    ]


def test_nip_that_lost_digits_is_named_as_excel_shows_it_not_as_the_double_holds_it():
    """Excel keeps 196805121994031002 typed as a number as 1.96805121994031E+17 and shows
    196805121994031000; the double read from the file is 196805121994031008. The
    message names the number the treasurer sees in the cell."""
    with pytest.raises(ValidationError) as e:
        nip_cell(float("1.96805121994031E+17"))
    assert "196805121994031000" in e.value.messages[0]
    assert "196805121994031008" not in e.value.messages[0]
    with pytest.raises(ValidationError) as e:
        nik_cell(float("6.27103120568E+15"))
    assert "6271031205680000" in e.value.messages[0]
