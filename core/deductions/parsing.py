"""Reading a realized-deductions file (XLSX or CSV) into plain rows, with per-file and
per-row errors (``import_messages.Said``: each message with its code and params, kept
by the import and shown in its reader's language). No database access.

The file is read with the shared reader (``core.common.spreadsheet``: encodings, CSV
dialects, every sheet, hidden rows, formulas without a value) and amounts with the one
rupiah parser. A CSV that is not UTF-8 is read as Windows-1252 (what Excel on Indonesian
Windows saves as plain "CSV"; digits, separators and "Rp" are the same bytes, so no amount
reads differently): ``ParsedFile.encoding`` says so and ``non_ascii`` lists the cells with
letters outside ASCII, for the preview to show. Accepted layouts: the exported list with
its "Realisasi" column filled (title rows above the header are skipped; its hidden run
mark is read back), or a plain list with a NIP and/or member number column and an amount
column, on any sheet.

A NIP, member-number or amount cell with a control character (``\\x01``, DEL, NEL…;
a line break or tab is read as before) is that row's error naming the column: those
cells are matched, kept in the import's rows and echoed in its messages. Text only
echoed (a header naming a column in a row error, a totals row's label, the cells of a
Windows-1252 CSV listed to check) is shown without its control characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from core.common.spreadsheet import (
    WINDOWS_1252,
    Book,
    Sheet,
    SheetError,
    cell_param,
    cell_rupiah,
    cell_text,
    find_header,
    nip_cell,
    norm_header,
    read_workbook,
    split_rows,
    totals_label,
)
from core.common.text import control_characters_error, control_characters_removed

from .import_messages import Said

ID_HEADERS = {
    "nip": "nip",
    "nipbaru": "nip",
    "noanggota": "number",
    "nomoranggota": "number",
    "nomor": "number",
    "noang": "number",
    "noagt": "number",
}
AMOUNT_HEADERS = (
    "realisasi",
    "terealisasi",
    "realisasipotongan",
    "jumlahdipotong",
    "dipotong",
    "jumlah",
    "nominal",
    "amount",
    "potongan",
)
# data rows in one agency's file: more is an agency's whole payroll, not its members' list
# (380,000 rows of 10 MB took 16 s to check and made the import's page 60 MB)
MAX_ROWS = 50_000
# one member's monthly deduction above this is a typo or an identifier in the wrong column
MAX_REALIZED = Decimal("1000000000")
# cells with letters outside ASCII listed in the preview of a Windows-1252 CSV
MAX_NON_ASCII_SHOWN = 500
# the agency code is the rest of the cell: a code may hold spaces ("DINAS PENDIDIKAN")
MARK = re.compile(r"LUMBUNG-RUN (\d+) (\d{4})-(\d{2}) (\S.*?)\s*$")
TITLE_MONTH = re.compile(r"Bulan\s+([A-Za-z]+)\s+(\d{4})", re.IGNORECASE)
MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "januari",
            "februari",
            "maret",
            "april",
            "mei",
            "juni",
            "juli",
            "agustus",
            "september",
            "oktober",
            "november",
            "desember",
        ),
        start=1,
    )
}


@dataclass
class ParsedRow:
    row: int  # the sheet's own row number
    nip: str = ""
    number: str = ""
    amount: Decimal | None = None
    error: str = ""  # a ``Said``: kept with its code and params
    column: str = ""
    column_code: str = ""  # "number" when the column is named by the UI, not the file
    hidden: bool = False
    nip_error: str = ""  # the NIP cell was unusable; the member number is used instead
    written: str = ""  # the amount as written when it was text ("Rp 250.000,-")


@dataclass
class TotalsRow:
    """A totals row under the list (skipped): its label, row and amount (None: not
    readable, e.g. a formula Excel never computed)."""

    row: int
    label: str
    amount: Decimal | None
    members_above: Decimal  # the rows above it (every member row read so far)
    since_previous: Decimal  # the rows since the totals row before it (a subtotal)


@dataclass
class ParsedFile:
    rows: list[ParsedRow] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)  # ``Said``s
    # the export's mark: {"run": id, "year": y, "month": m, "agency": code} or None
    mark: dict | None = None
    title_month: tuple[int, int] | None = None  # (year, month) from "Bulan November 2026"
    sheet: str = ""
    # a CSV read as Windows-1252 (not UTF-8): "windows-1252", else ""
    encoding: str = ""
    # then its cells with letters outside ASCII: [{"row", "column", "text"}], the first
    # MAX_NON_ASCII_SHOWN of non_ascii_count
    non_ascii: list[dict] = field(default_factory=list)
    non_ascii_count: int = 0
    totals: list[TotalsRow] = field(default_factory=list)


def _header_ok(cells: list[str]) -> bool:
    return any(c in ID_HEADERS for c in cells)


def _find_mark(sheet: Sheet, upto: int, out: ParsedFile) -> None:
    for row in sheet.rows[: upto + 1]:
        for c in row.cells:
            if not isinstance(c, str):
                continue
            m = MARK.search(c)
            if m and out.mark is None:
                out.mark = {
                    "run": int(m.group(1)),
                    "year": int(m.group(2)),
                    "month": int(m.group(3)),
                    "agency": m.group(4),
                }
            t = TITLE_MONTH.search(c)
            if t and out.title_month is None and t.group(1).lower() in MONTHS:
                out.title_month = (int(t.group(2)), MONTHS[t.group(1).lower()])


def _choose_sheet(book, agency_code: str) -> tuple[Sheet, int] | None:
    """The sheet marked for ``agency_code`` (the all-agencies workbook), else the first
    sheet with a NIP or member-number header."""
    if agency_code:
        for sheet in book.sheets:
            for row in sheet.rows[:3]:
                for c in row.cells:
                    m = MARK.search(c) if isinstance(c, str) else None
                    if m and m.group(4) == agency_code:
                        found = find_header(type(book)(kind=book.kind, sheets=[sheet]), _header_ok)
                        if found:
                            return found
    return find_header(book, _header_ok)


def _marked(sheet: Sheet) -> bool:
    return any(isinstance(c, str) and MARK.search(c) for r in sheet.rows[:3] for c in r.cells)


def _other_lists(book: Book, chosen: Sheet) -> list[Sheet]:
    """Other sheets that also hold a list (a NIP or member-number header with a row
    below) when the sheet read carries no export mark: the treasurer's own file split
    over sheets (PNS, PPPK), of which only one would be read. The all-agencies export
    has a marked sheet per agency: those are other agencies' lists, not this one's."""
    if _marked(chosen):
        return []
    out = []
    for sheet in book.sheets:
        if sheet is chosen or _marked(sheet):
            continue
        found = find_header(Book(kind=book.kind, sheets=[sheet]), _header_ok)
        if found and any(not r.blank for r in sheet.rows[found[1] + 1 :]):
            out.append(sheet)
    return out


def _non_ascii_cells(book: Book, found: tuple[Sheet, int] | None, out: ParsedFile) -> None:
    """Every text cell of a Windows-1252 CSV with a character outside ASCII (a name like
    "Sitì", a no-break space in "Rp 250.000"), named by the header above it (below the
    header row) or its column letter, for the treasurer to check it was read right."""
    sheet = book.sheets[0]
    header_at = found[1] if found else None
    header = sheet.rows[header_at].cells if header_at is not None else []
    for index, row in enumerate(sheet.rows):
        for j, value in enumerate(row.cells):
            if not isinstance(value, str) or value.isascii():
                continue
            out.non_ascii_count += 1
            if len(out.non_ascii) >= MAX_NON_ASCII_SHOWN:
                continue
            label = (
                header[j]
                if header_at is not None and index > header_at and j < len(header)
                else None
            )
            column = _label(label).strip() if label not in (None, "") else ""
            out.non_ascii.append(
                {
                    "row": row.number,
                    "column": column or get_column_letter(j + 1),
                    "text": control_characters_removed(value, multiline=True),
                }
            )


def parse_realized(*, content: bytes, file_name: str, agency_code: str = "") -> ParsedFile:
    out = ParsedFile()
    try:
        book = read_workbook(content=content, file_name=file_name, windows_1252=True)
    except SheetError as e:
        out.file_errors.append(Said("sheet", {"key": e.key, "params": e.params}, text=e.message))
        return out
    found = _choose_sheet(book, agency_code)
    if book.encoding == WINDOWS_1252:
        out.encoding = "windows-1252"
        _non_ascii_cells(book, found, out)
    if found is None:
        out.file_errors.append(Said("no_id_column"))
        return out
    sheet, header_at = found
    others = _other_lists(book, sheet)
    if others:
        out.file_errors.append(
            Said("many_sheets", {"sheets": ", ".join(_label(s.name) for s in [sheet, *others])})
        )
        return out
    out.sheet = sheet.name
    _find_mark(sheet, header_at, out)
    header = sheet.rows[header_at].cells
    normed = [norm_header(c) for c in header]
    ids = {}
    for j, h in enumerate(normed):
        if h in ID_HEADERS and ID_HEADERS[h] not in ids:
            ids[ID_HEADERS[h]] = j
    amount_col = None
    for wanted in AMOUNT_HEADERS:
        if wanted in normed:
            amount_col = normed.index(wanted)
            break
    if amount_col is None:
        found_cols = ", ".join(str(c) for c in header if c not in (None, ""))
        out.file_errors.append(Said("no_amount_column", {"columns": found_cols}))
        return out
    amount_label = _label(header[amount_col]) or _("Jumlah")
    split = split_rows(book, sheet, header_at)
    if split:  # the amounts of those rows may be read from the wrong piece
        out.file_errors.append(Said("split_rows", {"rows": split[:11]}))
        return out
    data_rows = sum(1 for raw in sheet.rows[header_at + 1 :] if not raw.blank)
    if data_rows > MAX_ROWS:
        out.file_errors.append(Said("too_many_rows", {"n": data_rows, "max": MAX_ROWS}))
        return out
    jumlah = _("Jumlah")  # the amount's label in its errors, translated once per file
    # the cells matched or kept: (index, label in the message, column of the row error,
    # the cell's name in the message's params)
    checked = [
        (ids.get("nip"), "NIP", "NIP", "nip"),
        (ids.get("number"), _("No. Anggota"), _("No. Anggota"), "number"),
        (amount_col, jumlah, amount_label, "amount"),
    ]
    for raw in sheet.rows[header_at + 1 :]:
        if raw.blank:
            continue
        label = _totals_row_label(raw, ids, amount_col)
        if label:  # the export's (or the treasurer's) totals row: checked below
            above = sum((r.amount or 0 for r in out.rows), Decimal(0))
            out.totals.append(
                TotalsRow(
                    row=raw.number,
                    label=label,
                    amount=_amount_or_none(raw.get(amount_col)),
                    members_above=above,
                    since_previous=above
                    - (out.totals[-1].members_above if out.totals else Decimal(0)),
                )
            )
            continue
        if raw.blank_at((*ids.values(), amount_col)):
            continue  # no member and no money: the signature block, a note under the list
        pr = ParsedRow(row=raw.number, hidden=raw.hidden)
        out.rows.append(pr)
        control = _control_cell(raw, checked)
        if control:
            pr.error, pr.column, pr.column_code = control
            continue
        if "nip" in ids:
            try:
                pr.nip = nip_cell(raw.get(ids["nip"]))
            except ValidationError as e:
                pr.nip_error = Said(
                    "nip_unreadable", {"cell": cell_param(raw.get(ids["nip"]))}, text=e.messages[0]
                )
        if "number" in ids:
            try:
                pr.number = cell_text(raw.get(ids["number"]))
            except ValidationError:
                pr.number = ""
        if pr.nip_error and not pr.number:
            pr.error, pr.column = pr.nip_error, "NIP"
            continue
        if not pr.nip and not pr.number:
            pr.error, pr.column = Said("id_empty"), "NIP"
            continue
        v = raw.get(amount_col)
        if v is None or (isinstance(v, str) and not v.strip()):
            pr.error, pr.column = Said("amount_empty"), amount_label
            continue
        try:
            pr.amount = cell_rupiah(v, label=jumlah, max_value=MAX_REALIZED)
        except ValidationError as e:
            pr.error = Said(
                "amount_unreadable",
                {"cell": cell_param(v), "max": str(MAX_REALIZED)},
                text=e.messages[0],
            )
            pr.column = amount_label
            continue
        if isinstance(v, str) and not re.fullmatch(r"\d+", v.strip()):
            pr.written = v.strip()[:40]
    if not out.rows:
        out.file_errors.append(Said("no_rows"))
    elif not any(r.error and r.column == amount_label for r in out.rows):
        _totals_check(out)
    return out


def _label(value) -> str:
    """A header (or a label) as a message names it: without control characters."""
    return control_characters_removed(str(value), multiline=True)


def _control_cell(raw, checked: list[tuple]) -> tuple[str, str, str] | None:
    """(message, column, column code) of the first cell of ``raw`` in ``checked`` (the
    NIP, the member number, the amount: matched, kept, echoed) holding a control
    character; a line break or tab is read as before (removed from a NIP, a space
    elsewhere)."""
    for index, label, column, name in checked:
        message = control_characters_error(raw.get(index), label=label, multiline=True)
        if message:
            code = "number" if name == "number" else ""
            return Said("cell_control", {"column": name}, text=message), column, code
    return None


def _totals_row_label(raw, ids: dict[str, int], amount_col: int) -> str:
    """The label of a totals row ("TOTAL", "JUMLAH", "Total Potongan"; the rule of the
    members' import, ``totals_label``), else "": a cell other than the amount's so
    labelled, in a row without a NIP, whose member-number cell is empty or the label
    itself, or labelled in its first cell (the export's "TOTAL" beside "40 anggota")."""
    label = next(
        (c for j, c in enumerate(raw.cells) if j != amount_col and totals_label(c)),
        None,
    )
    if label is None:
        return ""
    if "nip" in ids:
        nip = raw.get(ids["nip"])
        if nip not in (None, "") and nip is not label:
            try:
                nip_cell(nip)
                return ""  # a member with a NIP whose name starts like a total
            except ValidationError:
                pass
    number = raw.get(ids["number"]) if "number" in ids else None
    if number in (None, "") or number is label or raw.get(0) is label:
        return " ".join(_label(label).split())
    return ""


def _amount_or_none(v) -> Decimal | None:
    try:
        return cell_rupiah(v, label=_("Jumlah")) if v not in (None, "") else None
    except ValidationError:
        return None


def _totals_check(out: ParsedFile) -> None:
    """The last totals row must equal the rows above it (or, after an earlier totals
    row, the rows since it: a subtotal): else the file may have lost rows."""
    if not out.totals:
        return
    t = out.totals[-1]
    if t.amount is None or t.amount in (t.members_above, t.since_previous):
        return
    out.file_errors.append(
        Said(
            "totals_mismatch",
            {
                "label": t.label[:40],
                "row": t.row,
                "total": str(t.amount),
                "members": str(t.members_above),
            },
        )
    )
