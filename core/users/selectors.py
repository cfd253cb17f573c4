"""Reads of a cooperative's users."""

from django.db.models import Count, Max, Q

from core.common.permissions import STAFF

from .models import User


def staff_activity() -> dict:
    """Active staff accounts of the current schema (``count``) and the latest login of
    any staff account (``last_login``)."""
    return User.objects.filter(role__in=STAFF).aggregate(
        count=Count("pk", filter=Q(is_active=True)), last_login=Max("last_login")
    )
