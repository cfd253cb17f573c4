from django import template

from billing.selectors import plans_public

register = template.Library()


@register.simple_tag
def public_plans() -> list:
    """The billing plans on offer (none: the public home page shows no prices)."""
    return list(plans_public())
