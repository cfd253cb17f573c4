"""One reader for the spreadsheets offices send (XLSX or CSV), shared by the member
import and the payroll-deduction return import.

``read_workbook`` gives every sheet as rows of plain cell values (str, int, float, bool,
``datetime.date`` or None) with the sheet's own row numbers and whether Excel hides the
row. What cannot be read right is never guessed:

- CSV: UTF-8 (with or without BOM) or UTF-16 (with or without BOM); ``,`` ``;`` tab or
  ``|`` found from the rows themselves or from an Excel ``sep=;`` first line; CR-only
  (Excel for Mac), LF or CRLF line ends. Other encodings are refused with the fix, except
  that a caller with a preview may ask for Windows-1252 (``windows_1252=True``: what
  Excel on Indonesian Windows saves as "CSV") when the bytes are not UTF-8; the book then
  says so (``Book.encoding``) for the preview to tell the treasurer. Digits, separators
  and the rupiah sign are the same bytes in both, so amounts never read differently.
  A cell holding Excel's text formula ``="…"`` (what Lumbung's CSV exports write for a
  NIP, NIK or phone so that Excel keeps it text) is read as the text inside.
- XLSX: every sheet (hidden sheets last), the 1904 date system (date cells read with
  it; ``Sheet.date1904`` for the bare numbers ``cell_date`` reads), zero-padded number
  formats (``000123`` stays ``000123``), percent formats (a ``Percent``: Excel keeps a
  typed ``1%`` as 0.01), dates out of range and formulas without a cached
  value (a file written by a program, never opened in Excel) come back as a
  ``CellProblem`` that the importer refuses with the message.

Cell helpers read the values importers need with one rule each: ``cell_rupiah`` (the one
rupiah parser), ``cell_identifier`` (NIP / NIK: spaces removed, Excel's 15-digit limit
detected), ``cell_text`` (``cell_plain_text`` for text that is kept: a control character
left in it is refused, see ``core.common.text``) and ``cell_date``. They raise ``ValidationError`` with a
message a treasurer can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from xml.etree.ElementTree import iterparse

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904, from_excel

from .money import MAX_RUPIAH, _shown_number, excel_decimal, parse_rupiah
from .text import control_characters_check, control_characters_message

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
BUILTIN_PERCENT_FORMATS = {9, 10}  # 0% and 0.00%
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
EPOCH_1900 = datetime(1899, 12, 30)
EPOCH_1904 = datetime(1904, 1, 1)
MAX_COLUMNS = 16_384  # Excel's last column is XFD
MAX_UNPACKED = 300 * 1024 * 1024  # an XLSX's parts once unzipped (a 10 MB upload: ~50 MB)
MAX_SCAN = 30  # rows searched for a header (title blocks above it)


# why a file cannot be read (``SheetError.key``): its message, rendered in the active
# language with ``SheetError.params`` by ``sheet_error_message`` (an import that keeps the
# error shows it to each reader in theirs)
SHEET_MESSAGES = {
    "file_type": gettext_noop("Jenis berkas tidak didukung: unggah .xlsx atau .csv."),
    "empty": gettext_noop("Berkas kosong."),
    "not_utf8": gettext_noop(
        "Pengodean berkas salah: berkas CSV harus UTF-8 (byte tidak dikenal di "
        "posisi %(p)s). Simpan ulang dari Excel sebagai 'CSV UTF-8 (dipisahkan "
        "koma)' atau gunakan XLSX."
    ),
    "nul": gettext_noop(
        "Pengodean berkas salah: berkas berisi karakter nol. Simpan ulang dari Excel "
        "sebagai 'CSV UTF-8 (dipisahkan koma)'."
    ),
    "csv_unreadable": gettext_noop("Berkas CSV tidak dapat dibaca: %(e)s."),
    "quote_open": gettext_noop(
        'Tanda kutip (") di baris %(r)s tidak ditutup: baris-baris sesudahnya '
        "terbaca sebagai isi satu sel dan hilang dari daftar. Hapus tanda kutip itu "
        "atau tutup dengan tanda kutip kedua, lalu unggah lagi."
    ),
    "xlsx_too_large": gettext_noop(
        "Berkas XLSX terlalu besar setelah dibuka; unggah hanya daftar yang diperlukan."
    ),
    "xlsx_unreadable": gettext_noop("Berkas XLSX tidak dapat dibaca (rusak atau bukan XLSX)."),
}


def sheet_error_message(key: str, params: dict | None = None) -> str:
    """The message of a ``SheetError`` of ``key`` in the active language."""
    msgid = _(SHEET_MESSAGES[key])
    return msgid % params if params else msgid


class SheetError(Exception):
    """The file as a whole cannot be read. ``code``: ``format``, ``encoding`` or
    ``empty``; ``key`` (``SHEET_MESSAGES``) and ``params`` say which message, for a
    caller that keeps the error and shows it later in its reader's language."""

    def __init__(self, code: str, key: str, params: dict | None = None) -> None:
        message = sheet_error_message(key, params)
        super().__init__(message)
        self.code = code
        self.key = key
        self.params = dict(params or {})
        self.message = message


@dataclass(frozen=True)
class CellProblem:
    """A cell whose value cannot be known: ``formula`` (no cached value), ``date`` (a
    number in a date format that is no date) or ``error`` (``#N/A``, ``#REF!``...); or,
    marked by an importer, ``control``: text with a control character, never echoed
    (``raw`` empty; ``label`` names the column in the message)."""

    kind: str
    raw: str = ""
    label: str = ""

    @property
    def message(self) -> str:
        if self.kind == "formula":
            return _(
                "Sel berisi rumus yang belum dihitung; buka dan simpan berkas di Excel, "
                "lalu unggah lagi."
            )
        if self.kind == "control":
            return control_characters_message(self.label)
        if self.kind == "date":
            return _("Sel berformat tanggal berisi angka %(v)s yang bukan tanggal.") % {
                "v": self.raw[:20]
            }
        return _("Sel berisi galat Excel %(v)s.") % {"v": self.raw[:20]}

    def __str__(self) -> str:
        return self.raw


class Percent(float):
    """A number from a percent-formatted cell: Excel keeps a typed ``1%`` as 0.01 shown
    with the format ``0%``. It is that float, so a column that takes no percent reads it
    as before; ``percent`` is the figure the person typed (1 for ``1%``), read at
    Excel's 15 significant digits. Importers of a percent column use ``percent``."""

    __slots__ = ()

    @property
    def percent(self) -> Decimal:
        return excel_decimal(float(self)).scaleb(2)


def is_percent_format(code: str) -> bool:
    """A number format that shows the value ×100 with ``%``: a ``%`` outside quoted text,
    ``[...]`` sections and backslash-escaped characters."""
    return "%" in re.sub(r'"[^"]*"|\[[^\]]*\]|\\.', "", code or "")


@dataclass
class Row:
    number: int  # the sheet's own row number (what Excel shows at the left)
    cells: list
    hidden: bool = False

    def get(self, index: int | None):
        if index is None or index >= len(self.cells):
            return None
        return self.cells[index]

    @property
    def blank(self) -> bool:
        return not any(_filled(c) for c in self.cells)

    def blank_at(self, indices) -> bool:
        """No value in any of these columns (``None`` ones are left out)."""
        return not any(_filled(self.get(i)) for i in indices if i is not None)


def _filled(value) -> bool:
    return value is not None and bool(str(value).strip())


@dataclass
class Sheet:
    name: str
    rows: list[Row] = field(default_factory=list)
    hidden: bool = False
    delimiter: str = ""  # a CSV's separator
    encoding: str = ""  # a CSV's: "utf-8", "utf-16" or "cp1252"
    # The workbook uses Excel's 1904 date system (Excel for Mac's old default): a date
    # cell is already a ``date``, but a bare number in a date column (formatted General)
    # is a 1904 serial: ``cell_date(v, date1904=sheet.date1904)``.
    date1904: bool = False


@dataclass
class Book:
    kind: str  # "csv" | "xlsx"
    sheets: list[Sheet] = field(default_factory=list)

    @property
    def encoding(self) -> str:
        """How a CSV's bytes were read (``cp1252``: Windows-1252); "" for an XLSX."""
        return self.sheets[0].encoding if self.kind == "csv" and self.sheets else ""

    @property
    def date1904(self) -> bool:
        """An XLSX in Excel's 1904 date system (its sheets say so too)."""
        return any(s.date1904 for s in self.sheets)


def norm_header(value) -> str:
    """``No. Anggota`` → ``noanggota``: the comparable form of a header cell."""
    return re.sub(r"[^a-z0-9]", "", str(value or "").lower())


# the first word of the totals row people append under a list ("JUMLAH", "Total
# Potongan", "Grand Total", "Sub-total")
TOTAL_LABELS = ("jumlah", "total", "grandtotal", "subtotal")


def totals_label(value) -> bool:
    """A cell that labels a totals row under a list. A member's name may start the same
    way ("Totalia"): the caller decides by the row's identifier cells."""
    if not isinstance(value, str) or value[:1] in "0123456789":  # a NIP, an amount: no label
        return False
    return norm_header(value).startswith(TOTAL_LABELS)


# --- reading ------------------------------------------------------------------------


WINDOWS_1252 = "cp1252"


def read_workbook(*, content: bytes, file_name: str, windows_1252: bool = False) -> Book:
    """The file's sheets. ``windows_1252``: a CSV whose bytes are not UTF-8 is read as
    Windows-1252 instead of refused (``Book.encoding`` says so) — only for a caller that
    tells the treasurer before anything is written."""
    name = (file_name or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        book = Book(kind="xlsx", sheets=_read_xlsx(content))
    elif name.endswith((".csv", ".txt")):
        book = Book(kind="csv", sheets=[_read_csv(content, windows_1252=windows_1252)])
    else:
        raise SheetError("format", "file_type")
    if not any(not r.blank for s in book.sheets for r in s.rows):
        raise SheetError("empty", "empty")
    return book


def find_header(
    book: Book,
    matches: Callable[[list[str]], bool],
    *,
    scan: int = MAX_SCAN,
    key: Callable[[object], str] = norm_header,
) -> tuple[Sheet, int] | None:
    """The first sheet (visible ones first) and the index in ``sheet.rows`` of the first
    row whose normalised cells (``key``, by default ``norm_header``) satisfy ``matches`` —
    a header below a title block, or on another sheet than the first."""
    for sheet in sorted(book.sheets, key=lambda s: s.hidden):
        for i, row in enumerate(sheet.rows[:scan]):
            if matches([key(c) for c in row.cells]):
                return sheet, i
    return None


def split_rows(book: Book, sheet: Sheet, header_at: int) -> list[int]:
    """The CSV rows below the header with a value right of its last titled column: a
    field split at a separator inside it (``100.000,00`` unquoted in a comma-separated
    file), which moves every later value one column right. Empty for an XLSX, whose
    cells never split, and for other separators (an untitled notes column is theirs)."""
    if book.kind != "csv" or sheet.delimiter != ",":
        return []
    header = sheet.rows[header_at].cells
    width = max((i + 1 for i, c in enumerate(header) if _filled(c)), default=0)
    return [r.number for r in sheet.rows[header_at + 1 :] if not Row(0, r.cells[width:]).blank]


def split_rows_message(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:10]) + (", ..." if len(numbers) > 10 else "")
    return _(
        "Baris %(r)s berisi lebih banyak kolom daripada judulnya: angka berkoma (mis. "
        "1.250.000,00) di CSV berpemisah koma harus diberi tanda kutip, atau nilainya "
        "bergeser ke kolom lain. Simpan ulang dari Excel, pakai pemisah titik koma, atau "
        "unggah XLSX."
    ) % {"r": shown}


def _decode(content: bytes, *, windows_1252: bool = False) -> tuple[str, str]:
    """(text, encoding). UTF-8 unless a BOM or the zero bytes say UTF-16; bytes that are
    not UTF-8 and carry no BOM are read as Windows-1252 when ``windows_1252``."""
    boms = (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    )
    encoding = "utf-8"
    bom_found = False
    for bom, enc in boms:
        if content.startswith(bom):
            content, encoding, bom_found = content[len(bom) :], enc, True
            break
    else:
        sample = content[:4096]
        if sample and sample.count(0) * 4 > len(sample):  # UTF-16 without a BOM
            odd, even = sample[1::2].count(0), sample[0::2].count(0)
            encoding = "utf-16-le" if odd >= even else "utf-16-be"
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as e:
        if windows_1252 and encoding == "utf-8" and not bom_found:
            try:
                text, encoding = content.decode(WINDOWS_1252), WINDOWS_1252
            except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D: not Windows-1252
                pass
            else:
                return _text_checked(text), encoding
        raise SheetError("encoding", "not_utf8", {"p": e.start}) from None
    return _text_checked(text), "utf-16" if encoding.startswith("utf-16") else encoding


def _text_checked(text: str) -> str:
    if "\x00" in text:
        raise SheetError("encoding", "nul")
    return text


def _delimiter(lines: list[str]) -> str:
    """The separator that splits the first rows into the most consistent number of
    columns (more than one)."""
    best, best_score = ",", (0, 0)
    for d in (";", ",", "\t", "|"):
        widths = [len(r) for r in csv.reader(lines[:50], delimiter=d) if any(c.strip() for c in r)]
        if not widths:
            continue
        width, count = Counter(widths).most_common(1)[0]
        if width < 2:
            continue
        score = (count, width)
        if score > best_score:
            best, best_score = d, score
    return best


_EXCEL_TEXT_FORMULA = re.compile(r'="([^"]*)"')


def _csv_cell(text: str) -> str:
    """A CSV field: spaces around it dropped; Excel's text formula ``="…"`` as its text."""
    text = text.strip()
    m = _EXCEL_TEXT_FORMULA.fullmatch(text)
    return m.group(1).strip() if m else text


def _read_csv(content: bytes, *, windows_1252: bool = False) -> Sheet:
    text, encoding = _decode(content, windows_1252=windows_1252)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    delimiter = None
    m = re.fullmatch(r'\s*"?sep=(.)"?\s*,*', lines[0] if lines else "")
    if m:
        delimiter = m.group(1)
        lines = lines[1:]
    if delimiter is None:
        delimiter = _delimiter(lines)
    sheet = Sheet(name="csv", delimiter=delimiter, encoding=encoding)
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            sheet.rows.append(Row(number=number, cells=[_csv_cell(c) for c in cells]))
    except csv.Error as e:
        raise SheetError("format", "csv_unreadable", {"e": str(e)[:100]}) from None
    swallowed = _swallowed_row(sheet)
    if swallowed is not None:
        raise SheetError("format", "quote_open", {"r": swallowed})
    return sheet


def _swallowed_row(sheet: Sheet) -> int | None:
    """The number of the first CSV row with a cell that swallowed whole rows: a quote
    opened and never closed (``"Ani`` for ``Ani``) takes every following line into that
    cell up to the next quote. A cell of several lines (an address typed with Alt+Enter)
    is no such cell: a line of it holds fewer separators than a row has."""
    widths = Counter(len(r.cells) for r in sheet.rows if not r.blank)
    if not widths:
        return None
    width = widths.most_common(1)[0][0]
    least = max(1, width - 1)
    for row in sheet.rows:
        for cell in row.cells:
            if "\n" not in cell:
                continue
            if any(line.count(sheet.delimiter) >= least for line in cell.split("\n")[1:]):
                return row.number
    return None


# --- xlsx ---------------------------------------------------------------------------


class XlsxError(Exception):
    """Something the fast reader does not know; openpyxl is tried next."""


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _text(el) -> str:
    # a shared/inline string: concatenation of its <t> elements (rich text runs included)
    return "".join(t.text or "" for t in el.iter(f"{NS}t"))


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    try:
        data = z.read("xl/sharedStrings.xml")
    except KeyError:
        return []
    out = []
    for _ev, el in iterparse(io.BytesIO(data)):
        if el.tag == f"{NS}si":
            out.append(_text(el))
            el.clear()
    return out


def _styles(z: zipfile.ZipFile) -> tuple[set[int], dict[int, int], set[int]]:
    """(style indexes with a date format, style index → width of a zero-padded number
    format such as ``000000``, style indexes with a percent format)."""
    try:
        data = z.read("xl/styles.xml")
    except KeyError:
        return set(), {}, set()
    custom: dict[int, str] = {}
    xfs: list[int] = []
    in_cell_xfs = False
    for ev, el in iterparse(io.BytesIO(data), events=("start", "end")):
        if el.tag == f"{NS}numFmt" and ev == "end":
            custom[int(el.get("numFmtId"))] = el.get("formatCode", "")
        elif el.tag == f"{NS}cellXfs":
            in_cell_xfs = ev == "start"
        elif el.tag == f"{NS}xf" and ev == "end" and in_cell_xfs:
            xfs.append(int(el.get("numFmtId", "0")))
    dates, padded, percents = set(), {}, set()
    for i, fmt_id in enumerate(xfs):
        if fmt_id in BUILTIN_DATE_FORMATS:
            dates.add(i)
        elif fmt_id in BUILTIN_PERCENT_FORMATS:
            percents.add(i)
        elif fmt_id in custom:
            raw = custom[fmt_id]
            if re.fullmatch(r"0{2,}", raw):
                padded[i] = len(raw)
                continue
            code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", raw).lower()
            if "y" in code or ("d" in code and "m" in code):
                dates.add(i)
            elif is_percent_format(raw):
                percents.add(i)
    return dates, padded, percents


def _workbook(z: zipfile.ZipFile) -> tuple[list[tuple[str, str, bool]], bool]:
    """([(sheet name, path in the zip, hidden)], date1904)."""
    try:
        wb = z.read("xl/workbook.xml")
    except KeyError:
        return [("sheet1", "xl/worksheets/sheet1.xml", False)], False
    try:
        rels = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        rels = b""
    targets = {}
    if rels:
        for _ev, el in iterparse(io.BytesIO(rels)):
            if el.tag == f"{PKG_REL_NS}Relationship":
                t = el.get("Target", "").lstrip("/")
                targets[el.get("Id")] = t if t.startswith("xl/") else f"xl/{t}"
    sheets, date1904 = [], False
    for _ev, el in iterparse(io.BytesIO(wb)):
        if el.tag == f"{NS}workbookPr":
            date1904 = el.get("date1904", "0").lower() in ("1", "true")
        elif el.tag == f"{NS}sheet":
            rid = el.get(f"{REL_NS}id")
            if rid not in targets:
                raise XlsxError("sheet target not found")
            # hidden or veryHidden; LibreOffice and openpyxl write state="visible" too
            hidden = el.get("state", "visible") in ("hidden", "veryHidden")
            sheets.append((el.get("name", ""), targets[rid], hidden))
    return sheets, date1904


def _number(v: str):
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    return float(v)


def _sheet_rows(data: bytes, shared, dates, padded, percents, epoch) -> list[Row]:
    rows: list[Row] = []
    for _ev, el in iterparse(io.BytesIO(data)):
        if el.tag != f"{NS}row":
            continue
        r_attr = el.get("r")
        number = int(r_attr) if r_attr else (rows[-1].number + 1 if rows else 1)
        hidden = el.get("hidden", "0").lower() in ("1", "true")
        cells: list = []
        for c in el.iter(f"{NS}c"):
            ref = c.get("r")
            if ref:
                m = _CELL_REF.match(ref)
                if not m:
                    raise XlsxError(f"bad cell reference {ref}")
                idx = _col_index(m.group(1))
                if idx >= MAX_COLUMNS:  # "ZZZZZZ2": padding the row would never end
                    raise XlsxError(f"cell reference {ref} beyond Excel's last column")
            else:
                idx = len(cells)
            while len(cells) < idx:
                cells.append(None)
            t = c.get("t", "n")
            v_el = c.find(f"{NS}v")
            v = v_el.text if v_el is not None else None
            has_formula = c.find(f"{NS}f") is not None
            style = int(c.get("s", "0"))
            if has_formula and (v is None or (v == "" and t != "str")):
                value = CellProblem("formula")
            elif t == "s":
                value = shared[int(v)] if v is not None else None
            elif t == "inlineStr":
                is_el = c.find(f"{NS}is")
                value = _text(is_el) if is_el is not None else None
            elif t == "str":
                value = v
            elif t == "e":
                value = CellProblem("error", v or "")
            elif t == "b":
                value = v == "1"
            elif t == "d":
                try:
                    value = datetime.fromisoformat(v).date() if v else None
                except ValueError:
                    value = CellProblem("date", v or "")
            elif v is None:
                value = None
            else:
                value = _number(v)
                if style in dates:
                    try:
                        if value < 0:
                            raise ValueError
                        value = (epoch + timedelta(days=float(value))).date()
                    except (OverflowError, ValueError):
                        value = CellProblem("date", v)
                elif style in padded and isinstance(value, int) and value >= 0:
                    value = str(value).zfill(padded[style])
                elif style in percents:
                    value = Percent(value)
            cells.append(value)
        rows.append(Row(number=number, cells=cells, hidden=hidden))
        el.clear()
    return rows


def read_xlsx_fast(content: bytes) -> list[Sheet]:
    try:
        z = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as e:
        raise XlsxError(str(e)) from None
    with z:
        if sum(info.file_size for info in z.infolist()) > MAX_UNPACKED:
            # a zip of repeated rows: megabytes that unpack to gigabytes (neither reader tries)
            raise SheetError("format", "xlsx_too_large")
        shared = _shared_strings(z)
        dates, padded, percents = _styles(z)
        sheets, date1904 = _workbook(z)
        epoch = EPOCH_1904 if date1904 else EPOCH_1900
        out = []
        for name, path, hidden in sheets:
            try:
                data = z.read(path)
            except KeyError as e:
                raise XlsxError(str(e)) from None
            out.append(
                Sheet(
                    name=name,
                    rows=_sheet_rows(data, shared, dates, padded, percents, epoch),
                    hidden=hidden,
                    date1904=date1904,
                )
            )
    if not out:
        raise XlsxError("no worksheet")
    return out


def _read_xlsx_openpyxl(content: bytes) -> list[Sheet]:
    wb = load_workbook(io.BytesIO(content), data_only=True)
    date1904 = wb.epoch == CALENDAR_MAC_1904
    out = []
    for ws in wb.worksheets:
        sheet = Sheet(name=ws.title, hidden=ws.sheet_state != "visible", date1904=date1904)
        for row in ws.iter_rows():
            if not row:
                continue
            number = row[0].row
            cells = []
            for c in row:
                v = c.value
                if isinstance(v, datetime):
                    v = v.date()
                elif (
                    isinstance(v, int | float)
                    and not isinstance(v, bool)
                    and is_percent_format(c.number_format)
                ):
                    v = Percent(v)
                cells.append(v)
            dim = ws.row_dimensions.get(number)
            sheet.rows.append(Row(number=number, cells=cells, hidden=bool(dim and dim.hidden)))
        out.append(sheet)
    wb.close()
    return out


def _read_xlsx(content: bytes) -> list[Sheet]:
    try:
        return read_xlsx_fast(content)
    except (XlsxError, ValueError, KeyError, IndexError, SyntaxError):
        pass  # something unusual: let openpyxl try (slower, more tolerant)
    try:
        return _read_xlsx_openpyxl(content)
    except Exception:
        # openpyxl raises many kinds of errors on a damaged file; each means the same
        raise SheetError("format", "xlsx_unreadable") from None


# --- cells --------------------------------------------------------------------------


def _problem(v) -> None:
    if isinstance(v, CellProblem):
        raise ValidationError(v.message, code=f"cell_{v.kind}")


def cell_text(v) -> str:
    """A text cell: numbers without a fraction as digits (``1234.0`` → ``1234``)."""
    _problem(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, date):
        return v.isoformat()
    return " ".join(str(v).split())


def cell_plain_text(v, *, label: str) -> str:
    """A text cell an import keeps (a name, an address, a number given by hand):
    ``cell_text`` (line breaks and tabs become spaces), refused with a ``ValidationError``
    naming ``label`` when a control character is left in it (``\\x01``, DEL…)."""
    text = cell_text(v)
    control_characters_check(text, label=label, multiline=False)
    return text


def cell_identifier(v, *, label: str, length: int, zero_tail: int) -> str:
    """NIP (18 digits, serial never ``000``) or NIK (16 digits, never ``0000`` at the
    end): separators removed; a value whose last digits were lost to Excel's 15
    significant digits is refused with the fix."""
    _problem(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        raise ValidationError(_("%(c)s bukan nomor.") % {"c": label})
    if isinstance(v, float):
        if not v.is_integer() or abs(v) >= 1e15:
            # as Excel shows the cell (15 significant digits), not the double's own
            # digits (1.96805121994031E+17 holds 196805121994031008)
            shown = f"{excel_decimal(v):f}" if v == v and abs(v) < 1e30 else repr(v)
            raise _excel_digits(label, shown)
        v = int(v)
    s = str(v).strip().lstrip("'")
    s = re.sub(r"[\s.\-_/]", "", s)
    if re.fullmatch(r"\d+(?:[eE]\+?\d+)", s.replace(",", ".")) or re.fullmatch(
        r"\d+[.,]\d+[eE]\+?\d+", str(v).strip()
    ):
        raise _excel_digits(label, str(v).strip())
    if len(s) == length and s.isdigit() and s.endswith("0" * zero_tail):
        raise _excel_digits(label, s)
    return s


def _excel_digits(label: str, shown: str) -> ValidationError:
    """The error of an identifier whose last digits Excel dropped (translated only for a
    bad cell: a file of 20,000 good NIPs translated it 20,000 times)."""
    return ValidationError(
        _(
            "%(c)s %(v)s kehilangan digit terakhir: Excel hanya menyimpan 15 digit angka. "
            "Format kolom %(c)s sebagai Teks (Format Cells › Text), ketik ulang nomornya, lalu "
            "simpan lagi; nomor dalam sel berformat teks tidak dipotong Excel."
        )
        % {"c": label, "v": shown},
        code="excel_digits",
    )


def nip_cell(v) -> str:
    return cell_identifier(v, label="NIP", length=18, zero_tail=3)


def nik_cell(v) -> str:
    return cell_identifier(v, label="NIK", length=16, zero_tail=4)


MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("januari", "jan", "january"),
            ("februari", "feb", "pebruari", "peb", "february"),
            ("maret", "mar", "march"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "jun", "june"),
            ("juli", "jul", "july"),
            ("agustus", "agu", "agt", "ags", "aug", "august"),
            ("september", "sep", "sept"),
            ("oktober", "okt", "oct", "october"),
            ("november", "nov", "nop", "nopember"),
            ("desember", "des", "dec", "december"),
        ),
        start=1,
    )
    for name in names
}


# Excel's date serials read where a date is expected: those of 1930-01-01 to 2100-12-31,
# in the 1900 date system 10959 to 73415, in the 1904 one (a Mac workbook) 9497 to 71953.
# No year (2015) or small amount is in either window; an amount of millions is refused too.
SERIAL_FIRST = 10959
SERIAL_LAST = 73415
DAYS_1900_TO_1904 = 1462  # a day's 1904 serial is its 1900 serial less this


def _serial_date(v, *, date1904: bool = False) -> date | None:
    """The date of an Excel date serial — a whole number (or its five digits, as a CSV
    saved from a General-formatted date column holds it) whose date lies from 1930 to
    2100 in the workbook's date system — else None."""
    if isinstance(v, bool):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    elif isinstance(v, str) and re.fullmatch(r"\d{5}", v.strip()):
        v = int(v.strip())
    if not isinstance(v, int):
        return None
    serial_1900 = v + DAYS_1900_TO_1904 if date1904 else v
    if SERIAL_FIRST <= serial_1900 <= SERIAL_LAST:
        return from_excel(serial_1900).date()
    return None


def cell_date(v, *, label: str = "", date1904: bool = False) -> date:
    """A date cell: a date value, or text as offices write it (``2015-01-02``,
    ``02/01/2015``, ``02-01-2015``, ``02.01.2015``, ``2 Januari 2015``, ``2 Jan 2015``).
    Day first, always. An Excel date serial (``45292``: a number-typed cell, or a CSV
    saved from a date column formatted General) is that date when it lies from 1930 to
    2100; any other bare number is refused (an amount in the date column). ``date1904``:
    the serial is of Excel's 1904 date system (``Sheet.date1904``: the workbook says so;
    a CSV never does)."""
    _problem(v)
    label = label or _("Tanggal")
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    serial = _serial_date(v, date1904=date1904)
    if serial is not None:
        return serial
    if isinstance(v, bool | int | float) or (
        isinstance(v, str) and re.fullmatch(r"-?\d+(?:[.,]\d+)?", v.strip())
    ):
        raise ValidationError(
            _(
                "%(f)s berisi angka %(v)s, bukan tanggal; format kolom sebagai tanggal "
                "atau tulis TTTT-BB-HH."
            )
            % {"f": label, "v": cell_text(v) if not isinstance(v, str) else v.strip()[:20]}
        )
    s = " ".join(str(v or "").split())
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?", s)
    parts = None
    if m:
        parts = (int(m.group(1)), int(m.group(2)), int(m.group(3)))
    else:
        m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", s)
        if m:
            parts = (int(m.group(3)), int(m.group(2)), int(m.group(1)))
        else:
            m = re.fullmatch(r"(\d{1,2})[ \-]([A-Za-z]+)\.?[ \-](\d{4})", s)
            if m and m.group(2).lower() in MONTHS:
                parts = (int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
    if parts:
        try:
            return date(*parts)
        except ValueError:
            pass
    raise ValidationError(
        _("%(f)s tidak valid: %(v)s (gunakan TTTT-BB-HH, HH/BB/TTTT atau 2 Januari 2015).")
        % {"f": label, "v": s[:40] or "-"}
    )


def cell_rupiah(
    v, *, label: str, allow_dash_zero: bool = True, max_value: Decimal = MAX_RUPIAH
) -> Decimal:
    """A whole-rupiah cell, read with the one parser (``core.common.money``). A
    percent-formatted cell is refused: typed 1250000 into a cell formatted ``0%``, Excel
    keeps 12500 and shows 1250000%, so neither figure is sure to be the amount meant."""
    _problem(v)
    if isinstance(v, Percent):
        raise ValidationError(
            _(
                "%(f)s ada di sel berformat persen (tampil %(p)s%%, tersimpan %(v)s); ubah "
                "format sel ke angka (Format Cells › Number), ketik ulang jumlahnya, lalu "
                "simpan lagi."
            )
            % {
                "f": label,
                "p": _shown_number(v.percent.normalize())[:30],
                "v": _shown_number(excel_decimal(float(v)).normalize())[:30],
            },
            code="cell_percent",
        )
    return parse_rupiah(v, field=label, allow_dash_zero=allow_dash_zero, max_value=max_value)


# --- a cell kept to be checked again -----------------------------------------------


def cell_param(v) -> dict:
    """A spreadsheet cell as plain JSON, to check it again when its error is shown (an
    import's message said again in the reader's language: ``core.common.said``)."""
    if isinstance(v, CellProblem):
        return {"problem": v.kind, "raw": v.raw, "label": v.label}
    if isinstance(v, Percent):
        return {"percent": repr(float(v))}
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": repr(v)}
    if isinstance(v, Decimal):
        return {"decimal": str(v)}
    if isinstance(v, datetime):
        return {"datetime": v.isoformat()}
    if isinstance(v, date):
        return {"date": v.isoformat()}
    return {"text": "" if v is None else str(v)}


def cell_value(p: dict):
    """The cell ``cell_param`` kept."""
    if "problem" in p:
        return CellProblem(kind=p["problem"], raw=p.get("raw", ""), label=p.get("label", ""))
    if "percent" in p:
        return Percent(float(p["percent"]))
    if "bool" in p:
        return bool(p["bool"])
    if "int" in p:
        return int(p["int"])
    if "float" in p:
        return float(p["float"])
    if "decimal" in p:
        return Decimal(p["decimal"])
    if "datetime" in p:
        return datetime.fromisoformat(p["datetime"])
    if "date" in p:
        return date.fromisoformat(p["date"])
    return p.get("text", "")
