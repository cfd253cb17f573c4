"""Dates and months shown to people are in words ("5 Januari 2027", "Maret 2026"), or in
the language's own short format (``|date``): no template prints a date as ``05-01-2027``
(``|date:"d-m-Y"``) or a month as ``01/2027``. Exports' cells and file names are not
templates and keep their formats."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NUMERIC = re.compile(r"""\|date:["'](d-m-Y|d/m/Y|m/Y|m-Y)[^"']*["']""")


def test_no_template_prints_a_numeric_date():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "core").rglob("templates/**/*.html"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if NUMERIC.search(line)
    ]
    assert found == []


MONTH_CODE = re.compile(r"""\|stringformat:["']02d["']\s*}}/\{\{[^}]*year""")


def test_no_template_prints_a_month_as_its_code():
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "core").rglob("templates/**/*.html"))
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if MONTH_CODE.search(line)
    ]
    assert found == []
