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


def test_payroll_xlsx_of_names_with_control_characters_is_written(coop, cutoffs):
    """The API takes a name with a control character (the data-backed API fuzz PATCHed one
    into an agency and a member, then GET /deductions/runs/{id}/export.xlsx answered 500:
    openpyxl refuses characters XML 1.0 cannot hold). The file is written, without them."""
    from core.deductions.exports import agency_xlsx, all_agencies_xlsx
    from core.members.models import Agency, Member
    from tests.deductions.conftest import make_run

    Member.objects.filter(pk=coop["m"][0].pk).update(full_name="Budi\x01 Santoso\x1f")
    Agency.objects.filter(pk=coop["agencies"][0].pk).update(name="Dinas\x0b Pendidikan")
    run = make_run(on=cutoffs[1], by=coop["by"])
    for content in (agency_xlsx(run=run, agency=coop["agencies"][0]), all_agencies_xlsx(run=run)):
        values = [c.value for c in _cells(content)]
        assert "Budi Santoso" in values
        assert not any(isinstance(v, str) and "\x01" in v for v in values)
