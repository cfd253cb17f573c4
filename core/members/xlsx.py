"""The first worksheet of an XLSX file as plain rows (kept for callers and tests that
want a bare table). The reader itself — fast streaming of the sheet XML, every sheet,
hidden rows, the 1904 date system, formulas without a cached value — lives in
``core.common.spreadsheet``, shared by the member import and the payroll return import.
"""

from core.common.spreadsheet import XlsxError, read_xlsx_fast

__all__ = ["XlsxError", "read_first_sheet"]


def read_first_sheet(content: bytes) -> list[list]:
    sheet = read_xlsx_fast(content)[0]
    rows: list[list] = []
    for row in sheet.rows:
        while len(rows) < row.number - 1:
            rows.append([])
        rows.append(list(row.cells))
    return rows
