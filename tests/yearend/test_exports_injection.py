"""Spreadsheet formula injection (core.common.exports.safe_cell) in the year end's XLSX
files: the RAT pack and the SHU preview list every member by name."""

import io

from openpyxl import load_workbook

from core.members.models import Member
from core.yearend.exports import preview_xlsx
from core.yearend.rat import rat_pack_xlsx
from core.yearend.selectors import shu_preview
from core.yearend.services import yearend_close
from tests.core.test_exports import EVIL

from .conftest import YEAR, close_preliminaries


def _cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def _close_with_evil_name(year_data, staff) -> None:
    Member.objects.filter(pk=year_data["m1"].pk).update(full_name=EVIL)
    close_preliminaries(staff["bendahara"])
    yearend_close(year=YEAR, by=staff["bendahara"])


def test_rat_pack_xlsx_keeps_a_formula_like_member_name_as_text(year_data, staff):
    _close_with_evil_name(year_data, staff)
    cells = _cells(rat_pack_xlsx(year=YEAR))
    assert [c.value for c in cells if c.data_type == "f"] == []
    assert "'" + EVIL in [c.value for c in cells]


def test_shu_preview_xlsx_keeps_a_formula_like_member_name_as_text(year_data, staff):
    _close_with_evil_name(year_data, staff)
    cells = _cells(preview_xlsx(shu_preview(year=YEAR)))
    assert [c.value for c in cells if c.data_type == "f"] == []
    assert "'" + EVIL in [c.value for c in cells]
