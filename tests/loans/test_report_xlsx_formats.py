"""The loan reports' XLSX writes dates as the other exports do (dd-mm-yyyy, a date cell),
not the spreadsheet default 2026-03-01 that no one here writes."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from core.loans.reports import Column, Report, render_xlsx


def test_loan_report_xlsx_dates_are_indonesian_date_cells(in_tenant_a):
    report = Report(
        "disbursements",
        "Pencairan",
        "",
        [Column("disbursed_on", "Dicairkan"), Column("principal", "Pokok", True)],
        [{"disbursed_on": date(2026, 3, 1), "principal": Decimal("999999999999")}],
    )
    ws = load_workbook(io.BytesIO(render_xlsx(report))).active
    day = next(c for row in ws.iter_rows() for c in row if c.is_date)
    assert day.value.date() == date(2026, 3, 1)
    assert day.number_format == "dd-mm-yyyy"
    amount = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, int))
    assert (amount.value, amount.number_format) == (999999999999, "#,##0")
