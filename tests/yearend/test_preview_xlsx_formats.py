"""The SHU preview's XLSX shows every amount as rupiah: the pools in the heading row and
the totals row too, not only the member rows (a bare 25000000 beside Rp 25.000.000)."""

import io

from openpyxl import load_workbook

from core.yearend.exports import MONEY_FORMAT, preview_xlsx
from core.yearend.selectors import shu_preview
from core.yearend.services import yearend_close

from .conftest import YEAR


def test_shu_preview_xlsx_every_amount_has_the_rupiah_format(ready, staff):
    yearend_close(year=YEAR, by=staff["bendahara"])
    ws = load_workbook(io.BytesIO(preview_xlsx(shu_preview(year=YEAR)))).active
    numbers = [c for row in ws.iter_rows() for c in row if c.data_type == "n" and c.value]
    assert numbers
    unformatted = [(c.coordinate, c.value) for c in numbers if c.number_format != MONEY_FORMAT]
    assert unformatted == []
    total = next(r for r in ws.iter_rows() if r[0].value == "Jumlah")
    assert total[6].value > 0 and total[6].number_format == MONEY_FORMAT
