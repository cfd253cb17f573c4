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


def _column_cells(ws, header: str) -> list:
    """The cells under the first header cell reading ``header`` (or ``header`` and the
    date of the arrears run it comes from: "PPAP per 6 Des 2026", "PPAP (belum
    dihitung)"), down to the first blank."""
    head = next(
        c
        for row in ws.iter_rows()
        for c in row
        if c.value == header or str(c.value).startswith((f"{header} per ", f"{header} ("))
    )
    cells = []
    for r in range(head.row + 1, ws.max_row + 1):
        cell = ws.cell(row=r, column=head.column)
        if cell.value in (None, ""):
            break
        cells.append(cell)
    return cells


def test_ppap_columns_show_sen_while_rupiah_columns_stay_whole(make_loan, today):
    """An allowance may carry sen (a brought-in loan's PPAP, a rate like 0.5% of an odd
    outstanding): the PPAP columns are written #,##0.00 so the sen show; principal and the
    other whole-rupiah columns keep #,##0."""
    from core.loans.reports import report_collectibility, report_outstanding

    make_loan(days_ago=20)
    for report in (report_outstanding(on=today), report_collectibility(on=today)):
        report.rows[0]["ppap"] = Decimal("12345.67")  # the table as written, with sen
        ws = load_workbook(io.BytesIO(render_xlsx(report))).active
        ppap = _column_cells(ws, "PPAP")
        assert ppap and all(c.number_format == "#,##0.00" for c in ppap), report.kind
        assert ppap[0].value == 12345.67
        outstanding = _column_cells(ws, "Sisa pokok")
        assert outstanding and all(c.number_format == "#,##0" for c in outstanding)
