"""PDF (WeasyPrint, with the cooperative's letterhead) and XLSX (openpyxl) of a report
table from ``tables.py``."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from core.common.dates import format_waktu
from core.common.exports import safe_cell, sheet_title, workbook_save
from core.common.pdf import html_to_pdf

from .tables import BOLD_ROWS, table_decimals, with_cell_kinds


def table_pdf(table: dict, *, landscape: bool = False) -> bytes:
    with translation.override("id"):
        html = render_to_string(
            "ledger/report_pdf.html",
            {
                "cooperative": connection.tenant,
                "table": with_cell_kinds(table),
                "printed_at": timezone.localtime(),
                "landscape": landscape,
            },
        )
    return html_to_pdf(html)


def table_xlsx(table: dict) -> bytes:
    """The table as XLSX bytes (``table_xlsx_write``)."""
    buf = io.BytesIO()
    table_xlsx_write(table, buf)
    return buf.getvalue()


def table_xlsx_write(table: dict, target) -> None:
    """The table as one sheet saved into ``target`` (a path or a binary file), written
    row by row (openpyxl's write-only mode, which keeps the rows in a temporary file),
    so a table whose rows are an iterator (a buku besar of a million lines) is never held
    in memory whole. Money stays exact numbers (shown with two decimals when any figure
    of the table has sen), dates date cells, text text."""
    money_format = (
        '"Rp" #,##0.00;-"Rp" #,##0.00' if table_decimals(table) else '"Rp" #,##0;-"Rp" #,##0'
    )
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title(table["title"]))
    widths = [12, 48] + [20] * (len(table["columns"]) - 2)
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    heading, bold = Font(bold=True, size=12), Font(bold=True)
    right = Alignment(horizontal="right")

    def cell(value, font=None):
        c = WriteOnlyCell(ws, value=safe_cell(value))
        if font is not None:
            c.font = font
        return c

    ws.append([cell(getattr(connection.tenant, "name", ""), heading)])
    ws.append([cell(str(table["title"]), heading)])
    ws.append([cell(str(table.get("subtitle", "")))])
    # when it was printed, as the PDF's foot says (in the blank row before the headings)
    printed = format_waktu(timezone.localtime())
    ws.append([cell(gettext("Dicetak %(at)s") % {"at": printed})])
    ws.append([cell(str(c), bold) for c in table["columns"]])
    for row in table["rows"]:
        font = bold if row["kind"] in BOLD_ROWS else None
        cells = []
        for value in row["cells"]:
            c = cell(value, font)  # Decimals stay exact numbers; text stays text
            if isinstance(value, Decimal):
                c.number_format = money_format
                c.alignment = right
            elif isinstance(value, date):
                c.number_format = "dd-mm-yyyy"
            cells.append(c)
        ws.append(cells)
    workbook_save(wb, target)
