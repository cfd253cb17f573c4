"""Console templates: ``{% load console %}`` then ``user|can:"record_payment"`` shows
what the operator's role allows (tenants.operators.ACTIONS), as the views decide."""

from django import template

from tenants.operators import can as operator_can

register = template.Library()


@register.filter
def can(user, action: str) -> bool:
    return operator_can(user, action)
