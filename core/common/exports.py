"""Spreadsheet formula injection: a text cell that starts with ``= + - @`` (or a tab or
carriage return, which some programs skip before looking) is read as a formula by Excel,
LibreOffice and by openpyxl itself (a str starting with "=" is stored as a formula). A
member named ``=HYPERLINK("http://x", "klik")`` would become a live link in the payroll
file sent to the agency. Every text cell of every XLSX/CSV export goes through
``safe_cell``: such text gets a leading apostrophe (OWASP's advice) and stays text. A
phone number (``+62 812-3456-7890``: a plus, then digits, spaces and dashes) is no formula
and is left as it is. Control characters XML cannot hold (``\\x01``, a vertical tab…),
which a name typed or sent through the API may carry, are dropped: openpyxl refuses them
and the whole export would fail.
Numbers, dates and None pass through untouched; deliberate formulas (a SUM we write
ourselves) do not go through here."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from .practice import PRACTICE_COLOUR, PRACTICE_MARK, in_practice_copy

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# an international phone number (``+62 812-3456-7890``): a "+" then only digits, spaces
# and dashes calls no function and links nowhere, so it is no formula to guard; anything
# else after the "+" (``+cmd|' /C calc'!A0``, ``+62+1``) still is
PHONE_NUMBER = re.compile(r"\+\d(?:[\d \-]*\d)?")


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell (see the module doc)."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith(FORMULA_TRIGGERS) and not PHONE_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]


def sheet_title(text: Any) -> str:
    """``text`` as a worksheet name Excel (and openpyxl) accept: a slash or backslash
    becomes ``-``, ``* ? : [ ]`` are dropped, no apostrophe or space at either end, at
    most 31 characters, never empty (``Data``). An account named ``Hibah / Donasi``
    names its buku besar's sheet ``… Hibah - Donasi``."""
    name = re.sub(r"[*?:\[\]]", "", re.sub(r"[/\\]", "-", str(text)))
    name = name.strip(" '")[:31].strip(" '")
    return name or "Data"


# --- list exports ----------------------------------------------------------------------
# Every staff list (members, loans, journal, savings accounts, arrears) offers XLSX and
# CSV of exactly what it shows: the list view builds its filtered rows once and, when the
# query string carries ``export=xlsx|csv``, hands them here instead of to the template.
# The links keep the list's query string (``{% export_query "xlsx" %}``), so the file
# honours the filters on screen. Text cells go through ``safe_cell``.

EXPORT_FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    """A column of an export: its heading and how to read the value from a row (an
    attribute path like ``member.number``, or a function of the row)."""

    label: str
    value: str | Callable[[Any], Any]
    money: bool = False

    def of(self, row: Any) -> Any:
        if callable(self.value):
            return self.value(row)
        v = row
        for part in self.value.split("."):
            v = v.get(part) if isinstance(v, dict) else getattr(v, part, None)
            if v is None:
                return None
        return v


def export_format(request) -> str | None:
    """``xlsx`` or ``csv`` when the list is asked for a file, else None."""
    fmt = (request.GET.get("export") or "").lower()
    return fmt if fmt in EXPORT_FORMATS else None


def _plain(value: Any) -> Any:
    """A cell value: Decimal whole rupiah as int, lazy text as str, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, date | datetime | int | float):
        return value
    return safe_cell(str(value))


# Text of digits that Excel, opening a CSV, would turn into a number and spoil: an 18-digit
# NIP or 16-digit NIK shown as 1,97E+17 and rounded past 15 digits, a phone's "+" or
# leading 0 dropped, a member number's leading zeros lost. Written as Excel's text formula
# ``="…"`` (Excel and LibreOffice show the text itself; only digits, "+", spaces and
# dashes go inside, so nothing can break out of the quotes); Lumbung's reader takes such
# a cell back as its text (``core.common.spreadsheet``), so the file re-imports as is.
EXCEL_MANGLED = re.compile(r"\+?\d[\d \-]*")


def excel_text(text: str) -> str:
    """``text`` as a CSV cell Excel shows as written (see ``EXCEL_MANGLED``)."""
    if EXCEL_MANGLED.fullmatch(text):
        digits = sum(ch.isdigit() for ch in text)
        if text.startswith("+") or (text.startswith("0") and digits > 1) or digits > 11:
            return f'="{text}"'
    return text


def _csv_cell(value: Any) -> str:
    plain = _plain(value)
    text = _csv_text(plain)
    return excel_text(text) if isinstance(plain, str) else text


def _csv_text(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value:%d-%m-%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d-%m-%Y}"
    return "" if value == "" else str(value)


def export_csv(*, columns: Sequence[Column], rows: Iterable[Any]) -> bytes:
    """UTF-8 with a BOM (Excel opens it with the right characters), comma-separated; long
    digit identifiers (NIP, NIK, phone) as ``="…"`` so that Excel keeps them text."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([safe_cell(str(c.label)) for c in columns])
    for row in rows:
        w.writerow([_csv_cell(c.of(row)) for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(
    *,
    columns: Sequence[Column],
    rows: Iterable[Any],
    title: str = "",
    heading: Sequence[str] = (),
) -> bytes:
    """The list as one sheet: ``heading`` lines first (a document taken away names the
    cooperative, what it holds and when it was printed), a blank row, then the column
    headings and the rows. Without ``heading`` the column headings are row 1."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(title))
    bold = Font(bold=True)
    if heading:
        for i, line in enumerate(heading):
            cell = WriteOnlyCell(ws, value=safe_cell(str(line)))
            if i < 2:
                cell.font = Font(bold=True, size=12)
            ws.append([cell])
        ws.append([])
    head = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=safe_cell(str(c.label)))
        cell.font = bold
        head.append(cell)
    ws.append(head)
    for row in rows:
        cells = []
        for c in columns:
            v = _plain(c.of(row))
            cell = WriteOnlyCell(ws, value=v)
            if c.money and isinstance(v, int | float):
                cell.number_format = "#,##0"
            elif isinstance(v, datetime):
                cell.number_format = "dd-mm-yyyy hh:mm"
            elif isinstance(v, date):
                cell.number_format = "dd-mm-yyyy"
            cells.append(cell)
        ws.append(cells)
    return workbook_bytes(wb)


def workbook_bytes(wb) -> bytes:
    """``wb`` saved as XLSX bytes — every workbook of the cooperative layer is saved here
    (or in ``workbook_save``), so that in a practice copy each sheet is marked LATIHAN:
    the sheet's name starts with it, its tab is purple and every printed page has it in
    the header and the footer; the file's title says so too. Cells are left where they
    are (a practice copy's import templates still import)."""
    buf = io.BytesIO()
    workbook_save(wb, buf)
    return buf.getvalue()


def workbook_save(wb, target) -> None:
    """``wb`` saved as XLSX into ``target`` (a path or a binary file), marked LATIHAN in
    a practice copy like ``workbook_bytes``: for a file too large to hold in memory."""
    if in_practice_copy():
        _mark_practice(wb)
    wb.save(target)


def _mark_practice(wb) -> None:
    taken: set[str] = set()
    for i, ws in enumerate(wb.worksheets, start=1):
        title = f"{PRACTICE_MARK} {ws.title}"[:31]
        if title in taken:
            title = f"{PRACTICE_MARK} {i}"
        taken.add(title)
        ws.title = title
        ws.sheet_properties.tabColor = PRACTICE_COLOUR
        for hf in (ws.oddHeader, ws.oddFooter):
            hf.center.text = f"{PRACTICE_MARK} - data contoh, bukan dokumen koperasi"
            hf.center.color = PRACTICE_COLOUR
    wb.properties.title = f"{PRACTICE_MARK} (ruang latihan)"


def export_response(
    *,
    fmt: str,
    filename: str,
    columns: Sequence[Column],
    rows: Iterable[Any],
    title: str = "",
    heading: Sequence[str] = (),
) -> HttpResponse:
    """The list as an XLSX or CSV download named ``filename.<fmt>`` (``heading``: the
    XLSX's title lines; the CSV stays headings and rows, for machines)."""
    if fmt == "csv":
        body, ctype = export_csv(columns=columns, rows=rows), "text/csv; charset=utf-8"
    else:
        body = export_xlsx(columns=columns, rows=rows, title=title, heading=heading)
        ctype = XLSX_TYPE
    return attachment_response(body, ctype, f"{filename}.{fmt}")


def attachment_response(body: bytes, content_type: str, filename: str) -> HttpResponse:
    """``body`` as a download named ``filename``."""
    resp = HttpResponse(body, content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="{filename}"'
    return resp
