"""PDF (WeasyPrint, with the cooperative's letterhead) and XLSX (openpyxl) of a report
table from ``tables.py``."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from core.common.exports import safe_cell, safe_row, workbook_bytes
from core.common.pdf import html_to_pdf

from .tables import with_cell_kinds


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
    wb = Workbook()
    ws = wb.active
    ws.title = str(table["title"])[:31]
    name = getattr(connection.tenant, "name", "")
    ws.append([safe_cell(name)])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([safe_cell(str(table["title"]))])
    ws["A2"].font = Font(bold=True, size=12)
    ws.append([safe_cell(str(table.get("subtitle", "")))])
    ws.append([])
    ws.append(safe_row(str(c) for c in table["columns"]))
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for row in table["rows"]:
        ws.append(safe_row(row["cells"]))  # Decimals stay exact numbers; text stays text
        r = ws.max_row
        for cell in ws[r]:
            if isinstance(cell.value, Decimal):
                cell.number_format = '"Rp" #,##0;-"Rp" #,##0'
                cell.alignment = Alignment(horizontal="right")
            if row["kind"] in ("section", "total", "subtotal", "group"):
                cell.font = Font(bold=True)
    widths = [12, 48] + [20] * (len(table["columns"]) - 2)
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    return workbook_bytes(wb)
