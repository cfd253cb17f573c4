"""Spreadsheet formula injection in the Dinas files: a cooperative's name, regency and
legal number are typed by the cooperative; in the table's XLSX and the ministry's yearly
XLSX, text that starts like a formula stays text."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tenants.models import Cooperative
from tests.core.test_exports import EVIL

from .conftest import verified_client

pytestmark = pytest.mark.django_db


def _cells(resp):
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]


def test_dinas_table_xlsx_keeps_a_formula_like_cooperative_name_as_text(pembina_prov, shared_both):
    a, _b = shared_both
    Cooperative.objects.filter(pk=a.pk).update(name=EVIL)
    cells = _cells(verified_client(pembina_prov.user).get("/dinas/", {"format": "xlsx"}))
    assert [c.value for c in cells if c.data_type == "f"] == []
    assert "'" + EVIL in [c.value for c in cells]


def test_ministry_xlsx_keeps_a_formula_like_name_and_legal_number_as_text(
    pembina_prov, shared_both
):
    a, _b = shared_both
    Cooperative.objects.filter(pk=a.pk).update(name=EVIL, legal_number="@SUM(A1)")
    year = date.today().year
    cells = _cells(verified_client(pembina_prov.user).get("/dinas/kementerian/", {"year": year}))
    assert [c.value for c in cells if c.data_type == "f"] == []
    values = [c.value for c in cells]
    assert "'" + EVIL in values and "'@SUM(A1)" in values
