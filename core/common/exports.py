"""Spreadsheet formula injection: a text cell that starts with ``= + - @`` (or a tab or
carriage return, which some programs skip before looking) is read as a formula by Excel,
LibreOffice and by openpyxl itself (a str starting with "=" is stored as a formula). A
member named ``=HYPERLINK("http://x", "klik")`` would become a live link in the payroll
file sent to the agency. Every text cell of every XLSX/CSV export goes through
``safe_cell``: such text gets a leading apostrophe (OWASP's advice) and stays text.
Numbers, dates and None pass through untouched; deliberate formulas (a SUM we write
ourselves) do not go through here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell (see the module doc)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(v) for v in values]
