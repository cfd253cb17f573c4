"""A small, fast reader for the first worksheet of an XLSX file (cell values only).

openpyxl builds an object per cell and per rich-text run; for a 5,000-row import that is
most of the upload time. This reader streams the sheet XML with iterparse and returns
plain values: str, int, float, bool, datetime.date (numbers in a date format) or None.
Anything unusual raises ``XlsxError`` and the caller falls back to openpyxl.
"""

import io
import re
import zipfile
from datetime import datetime, timedelta
from xml.etree.ElementTree import iterparse

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
BUILTIN_DATE_FORMATS = set(range(14, 23)) | {45, 46, 47}
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
EXCEL_EPOCH = datetime(1899, 12, 30)


class XlsxError(Exception):
    pass


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _text(el) -> str:
    # a shared/inline string: concatenation of its <t> elements (rich text runs included)
    return "".join(t.text or "" for t in el.iter(f"{NS}t"))


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    try:
        data = z.read("xl/sharedStrings.xml")
    except KeyError:
        return []
    out = []
    for _ev, el in iterparse(io.BytesIO(data)):
        if el.tag == f"{NS}si":
            out.append(_text(el))
            el.clear()
    return out


def _date_styles(z: zipfile.ZipFile) -> set[int]:
    try:
        data = z.read("xl/styles.xml")
    except KeyError:
        return set()
    custom: dict[int, str] = {}
    xfs: list[int] = []
    in_cell_xfs = False
    for ev, el in iterparse(io.BytesIO(data), events=("start", "end")):
        if el.tag == f"{NS}numFmt" and ev == "end":
            custom[int(el.get("numFmtId"))] = el.get("formatCode", "")
        elif el.tag == f"{NS}cellXfs":
            in_cell_xfs = ev == "start"
        elif el.tag == f"{NS}xf" and ev == "end" and in_cell_xfs:
            xfs.append(int(el.get("numFmtId", "0")))
    dates = set()
    for i, fmt_id in enumerate(xfs):
        if fmt_id in BUILTIN_DATE_FORMATS:
            dates.add(i)
        elif fmt_id in custom:
            code = re.sub(r'"[^"]*"|\[[^\]]*\]', "", custom[fmt_id]).lower()
            if "y" in code or ("d" in code and "m" in code):
                dates.add(i)
    return dates


def _first_sheet_path(z: zipfile.ZipFile) -> str:
    try:
        wb = z.read("xl/workbook.xml")
        rels = z.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return "xl/worksheets/sheet1.xml"
    rid = None
    for _ev, el in iterparse(io.BytesIO(wb)):
        if el.tag == f"{NS}sheet":
            rid = el.get(f"{REL_NS}id")
            break
    for _ev, el in iterparse(io.BytesIO(rels)):
        if el.tag == f"{PKG_REL_NS}Relationship" and el.get("Id") == rid:
            target = el.get("Target", "")
            target = target.lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    raise XlsxError("first worksheet not found")


def _number(v: str):
    if re.fullmatch(r"-?\d+", v):
        return int(v)
    return float(v)


def read_first_sheet(content: bytes) -> list[list]:
    try:
        z = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as e:
        raise XlsxError(str(e)) from None
    with z:
        shared = _shared_strings(z)
        dates = _date_styles(z)
        try:
            sheet = z.read(_first_sheet_path(z))
        except KeyError as e:
            raise XlsxError(str(e)) from None
    rows: list[list] = []
    for _ev, el in iterparse(io.BytesIO(sheet)):
        if el.tag != f"{NS}row":
            continue
        r_attr = el.get("r")
        row_no = int(r_attr) if r_attr else len(rows) + 1
        while len(rows) < row_no - 1:
            rows.append([])
        cells: list = []
        for c in el.iter(f"{NS}c"):
            ref = c.get("r")
            if ref:
                m = _CELL_REF.match(ref)
                if not m:
                    raise XlsxError(f"bad cell reference {ref}")
                idx = _col_index(m.group(1))
            else:
                idx = len(cells)
            while len(cells) < idx:
                cells.append(None)
            t = c.get("t", "n")
            v_el = c.find(f"{NS}v")
            v = v_el.text if v_el is not None else None
            if t == "s":
                value = shared[int(v)] if v is not None else None
            elif t == "inlineStr":
                is_el = c.find(f"{NS}is")
                value = _text(is_el) if is_el is not None else None
            elif t in ("str", "e"):
                value = v
            elif t == "b":
                value = v == "1"
            elif t == "d":
                value = datetime.fromisoformat(v).date() if v else None
            elif v is None:
                value = None
            else:
                value = _number(v)
                if int(c.get("s", "0")) in dates:
                    value = (EXCEL_EPOCH + timedelta(days=float(value))).date()
            cells.append(value)
        rows.append(cells)
        el.clear()
    return rows
