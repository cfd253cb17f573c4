"""A realized amount computed by an Excel formula (=B2*1,1 with B2 100.000) is a whole
rupiah on screen (Excel shows 15 significant digits: 110.000) but the double it stores is
110000.00000000001 (written with 17): it reads as 110.000. An amount with real sen is
refused saying the value read and how to round it."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from core.deductions.parsing import parse_realized

NIP = "198503152010011002"


def xlsx_with_cached_value(value_text: str) -> bytes:
    """A return file whose amount cell holds ``value_text`` as Excel writes it (the
    cached value of a formula, 17 significant digits)."""
    wb = Workbook()
    ws = wb.active
    ws.append(["NIP", "Realisasi"])
    ws.append([NIP, 123456789])
    ws["B2"].number_format = "#,##0"
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<v>123456789</v>", f"<v>{value_text}</v>".encode())
            dst.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "value,amount",
    [
        (repr(100000 * 1.1), 110000),  # '110000.00000000001'
        ("300000.00000000006", 300000),
        ("1249999.9999999998", 1250000),
    ],
)
def test_realisasi_cell_with_float_noise_reads_as_the_whole_rupiah_excel_shows(value, amount):
    parsed = parse_realized(content=xlsx_with_cached_value(value), file_name="realisasi.xlsx")
    (row,) = parsed.rows
    assert row.error == ""
    assert row.amount == amount


def test_realisasi_cell_with_real_sen_is_refused_saying_the_value_and_the_fix():
    parsed = parse_realized(content=xlsx_with_cached_value("1234.5"), file_name="r.xlsx")
    (row,) = parsed.rows
    assert row.amount is None
    assert row.error == (
        "Jumlah 1.234,5 bukan rupiah utuh (ada sen); bulatkan dulu, mis. dengan "
        "=ROUND(...;0) di Excel."
    )
