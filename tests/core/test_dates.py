"""Dates and months in words follow the active language: the Indonesian UI says
"5 Maret 2026", "Maret 2026", "5 Maret 2026 14.03"; the English UI "5 March 2026",
"March 2026", "5 March 2026, 14:03". Every month in both languages, and the template
filters (``|tanggal``, ``|bulan``) the same way."""

from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation

from core.common.dates import format_bulan, format_tanggal, format_waktu

ID = "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember"
EN = "January February March April May June July August September October November December"


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_in_indonesian(month):
    name = ID.split()[month - 1]
    with translation.override("id"):
        assert format_tanggal(date(2026, month, 5)) == f"5 {name} 2026"
        assert format_bulan(date(2026, month, 5)) == f"{name} 2026"
        assert format_waktu(datetime(2026, month, 5, 14, 3)) == f"5 {name} 2026 14.03"


@pytest.mark.parametrize("month", range(1, 13))
def test_every_month_in_english(month):
    name = EN.split()[month - 1]
    with translation.override("en"):
        assert format_tanggal(date(2026, month, 5)) == f"5 {name} 2026"
        assert format_bulan(date(2026, month, 5)) == f"{name} 2026"
        assert format_waktu(datetime(2026, month, 5, 14, 3)) == f"5 {name} 2026, 14:03"


def test_none_is_empty_in_both_languages():
    for lang in ("id", "en"):
        with translation.override(lang):
            assert (format_tanggal(None), format_bulan(None), format_waktu(None)) == ("", "", "")


def test_the_template_filters_follow_the_language():
    t = Template("{% load lumbung %}{{ d|tanggal }} · {{ d|bulan }}")
    ctx = Context({"d": date(2026, 3, 5)})
    with translation.override("en"):
        assert t.render(ctx) == "5 March 2026 · March 2026"
    with translation.override("id"):
        assert t.render(ctx) == "5 Maret 2026 · Maret 2026"


def test_a_regional_english_variant_says_english():
    with translation.override("en-us"):
        assert format_bulan(date(2026, 3, 1)) == "March 2026"
