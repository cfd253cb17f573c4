from django import template

from core.common.money import format_rupiah

register = template.Library()


@register.filter
def rupiah(value):
    return format_rupiah(value)


@register.simple_tag(takes_context=True)
def export_query(context, fmt: str) -> str:
    """The current list's query string (its filters) asking for a file: ``?…&export=xlsx``
    (the page number left out: an export holds every matching row)."""
    q = context["request"].GET.copy()
    q.pop("page", None)
    q["export"] = fmt
    return "?" + q.urlencode()
