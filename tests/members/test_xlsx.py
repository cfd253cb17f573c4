import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook

from core.members.xlsx import XlsxError, read_first_sheet


def _openpyxl(content: bytes) -> list[list]:
    wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    out = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
    wb.close()
    return out


def _norm(table):
    out = []
    for row in table:
        row = [v.date() if isinstance(v, datetime) else v for v in row]
        while row and row[-1] is None:
            row.pop()
        out.append(row)
    while out and not out[-1]:
        out.pop()
    return out


@pytest.mark.parametrize("write_only", [False, True])
def test_fast_reader_matches_openpyxl(write_only):
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("data") if write_only else wb.active
    ws.append(["nama", "nip", "tanggal", "jumlah", "pecahan", "kosong", "bool", "teks"])
    ws.append(
        [
            "Ani Ñusantara",
            "198503152010011001",
            date(2019, 3, 1),
            1250000,
            12.5,
            None,
            True,
            "a & <b>",
        ]
    )
    ws.append(
        [
            "Budi",
            198503152010011001,
            datetime(2020, 1, 2, 0, 0),
            -5,
            1.98503152010011e17,
            None,
            False,
            "",
        ]
    )
    ws.append([])
    ws.append([None, None, None, "x"])
    if not write_only:
        ws["J7"] = "far"
    buf = io.BytesIO()
    wb.save(buf)
    content = buf.getvalue()
    assert _norm(read_first_sheet(content)) == _norm(_openpyxl(content))


def test_template_reads_the_same(in_tenant_a):
    from core.savings.member_import import import_template_xlsx

    content = import_template_xlsx()
    assert _norm(read_first_sheet(content)) == _norm(_openpyxl(content))


def test_not_a_zip_raises():
    with pytest.raises(XlsxError):
        read_first_sheet(b"PK\x03\x04 not really")
