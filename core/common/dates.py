"""Dates for people in words, in the active language: ``5 Januari 2027`` in the
Indonesian UI, ``5 January 2027`` in the English one (messages, headings, documents)."""

from __future__ import annotations

import calendar
from datetime import date, datetime

from django.utils import translation
from django.utils.formats import date_format

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _english() -> bool:
    return (translation.get_language() or "id").lower().startswith("en")


def month_name(month: int) -> str:
    """``Maret`` (Indonesian) or ``March`` (English): month ``month`` (1–12) in the
    active language; Indonesian for any other language."""
    return (MONTHS_EN if _english() else MONTHS_ID)[month - 1]


def format_tanggal(d: date | None) -> str:
    """``5 Januari 2027`` / ``5 January 2027``; empty for None."""
    if d is None:
        return ""
    return f"{d.day} {month_name(d.month)} {d.year}"


def format_waktu(at: datetime | None) -> str:
    """``7 Desember 2026 08.30`` / ``7 December 2026, 08:30``: a moment in words, as the
    report files say when they were printed (the PDFs' foot and the XLSX title lines);
    empty for None. Pass a local time (``timezone.localtime()``)."""
    if at is None:
        return ""
    if _english():
        return f"{format_tanggal(at.date())}, {at:%H:%M}"
    return f"{format_tanggal(at.date())} {at:%H.%M}"


def format_bulan(d: date | None) -> str:
    """``Januari 2027`` / ``January 2027``: the month of ``d``; empty for None."""
    if d is None:
        return ""
    return f"{month_name(d.month)} {d.year}"


def format_date(d: date | None) -> str:
    """A date as every screen shows it, in the current language: ``4 Des 2026``
    (``DATE_FORMAT`` of ``lumbung.formats``); empty for None. ``04-12-2026`` belongs
    only in exports that agencies need."""
    if d is None:
        return ""

    return date_format(d)


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
