from django import template
from django.utils.html import format_html

from core.common.dates import format_bulan, format_tanggal
from core.common.money import format_rupiah, rupiah_in_words
from core.common.submission import FIELD, submission_key

register = template.Library()


@register.filter
def rupiah(value, decimals=0):
    """``Rp 1.234.567``; ``|rupiah:2`` keeps the sen (a reconciliation difference)."""
    return format_rupiah(value, decimals=int(decimals))


@register.filter
def terbilang(value) -> str:
    """The amount in words beside its figure on a receipt (``rupiah_in_words``):
    ``Satu juta dua ratus lima puluh ribu rupiah``; empty for no value."""
    return rupiah_in_words(value)


@register.filter(expects_localtime=True)
def tanggal(value) -> str:
    """``5 Januari 2027`` (``5 January 2027`` in English): a date (or a datetime, in local
    time) in words, as documents and headings say it (``format_tanggal``); empty for None."""
    return format_tanggal(value) if value else ""


@register.filter(expects_localtime=True)
def bulan(value) -> str:
    """``Maret 2026`` (``March 2026`` in English): the month of a date in words
    (``format_bulan``); empty for None."""
    return format_bulan(value) if value else ""


@register.filter
def amount(value, decimals=0):
    """``rupiah`` kept on one line (the member portal's narrow phone columns): never
    "Rp" at a line's end and the figure under it. Empty for no value, as ``rupiah``."""
    shown = format_rupiah(value, decimals=int(decimals))
    return format_html('<span class="nowrap">{}</span>', shown) if shown else ""


@register.simple_tag(takes_context=True)
def export_query(context, fmt: str) -> str:
    """The current list's query string (its filters) asking for a file: ``?…&export=xlsx``
    (the page number left out: an export holds every matching row)."""
    q = context["request"].GET.copy()
    q.pop("page", None)
    q["export"] = fmt
    return "?" + q.urlencode()


@register.simple_tag
def submission_field() -> str:
    """The hidden one-time key of a money form (``core.common.submission``)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, submission_key())
