"""The payroll list sent to an agency is an Indonesian document whatever the language of
the staff member who downloads it: its cut-off date is in Indonesian words too, not
"Cut-off: 5 March 2026. Isi kolom Realisasi…"."""

import io

from django.utils import translation
from openpyxl import load_workbook

from core.common.dates import format_tanggal
from core.deductions.exports import agency_xlsx

from .conftest import make_run


def _cutoff_line(content: bytes) -> str:
    ws = load_workbook(io.BytesIO(content)).active
    for row in ws.iter_rows(values_only=True):
        if row and isinstance(row[0], str) and row[0].startswith("Cut-off:"):
            return row[0]
    raise AssertionError("no cut-off line")


def test_the_agency_list_says_its_cut_off_in_indonesian_from_the_english_ui(coop, cutoffs):
    run = make_run(on=cutoffs[1], by=coop["by"])
    with translation.override("id"):
        said = format_tanggal(run.cutoff_date)
    with translation.override("en"):
        line = _cutoff_line(agency_xlsx(run=run, agency=coop["agencies"][0]))
    assert line.startswith(f"Cut-off: {said}. Isi kolom Realisasi"), line
