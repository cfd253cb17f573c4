"""Spreadsheet formula injection (issue 22) in the payroll (potong gaji) export."""

import io

from openpyxl import load_workbook

from tests.core.test_exports import EVIL


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_payroll_xlsx_keeps_an_evil_member_name_as_text(coop, cutoffs):
    from core.deductions.exports import agency_xlsx, all_agencies_xlsx
    from core.members.models import Member
    from tests.deductions.conftest import make_run

    Member.objects.filter(pk=coop["m"][0].pk).update(full_name=EVIL)
    run = make_run(on=cutoffs[1], by=coop["by"])
    for content in (agency_xlsx(run=run, agency=coop["agencies"][0]), all_agencies_xlsx(run=run)):
        cells = _cells(content)
        assert "'" + EVIL in [c.value for c in cells]
        formulas = [c.value for c in cells if c.data_type == "f"]
        assert all(f.startswith("=SUM(") for f in formulas), formulas  # only our own totals
