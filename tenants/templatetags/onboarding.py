import logging

from django import template

register = template.Library()
log = logging.getLogger(__name__)


@register.simple_tag
def public_plans() -> list:
    """The billing plans on offer, or [] when billing offers none (then the page shows
    no prices at all)."""
    try:
        from billing.selectors import plans_public
    except ImportError:
        return []
    try:
        return list(plans_public())
    except Exception:  # a missing table must not take the public home page down
        log.exception("Could not read the public plans")
        return []
