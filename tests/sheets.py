"""Spreadsheets the tests upload, built in memory."""

import io

from openpyxl import Workbook


def xlsx_bytes(rows: list[list]) -> bytes:
    """An XLSX of one sheet holding ``rows`` from A1."""
    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
