"""Reads of a cooperative's users."""

from django.db.models import Count, Max, Q, QuerySet

from core.common.permissions import STAFF

from .models import SUPPORT_USERNAME_PREFIX, User


def staff_people() -> QuerySet[User]:
    """The staff logins of the current schema that are the cooperative's people, active
    or not: an API key's user (an integration) and Lumbung's support look-in user are
    neither. What plan seats, the ministry's staff count, the console's staff figures
    and the practice copy's logins count."""
    return User.objects.filter(role__in=STAFF, api_key__isnull=True).exclude(
        username__startswith=SUPPORT_USERNAME_PREFIX
    )


def staff_activity() -> dict:
    """Active staff people of the current schema (``count``) and the latest login of
    any of them (``last_login``)."""
    return staff_people().aggregate(
        count=Count("pk", filter=Q(is_active=True)), last_login=Max("last_login")
    )


def admin_emails() -> list[str]:
    """The e-mail addresses of the current schema's active admins (its people, as
    ``staff_people``): whom Lumbung writes to about the cooperative's account, e.g. a
    change of the terms of use (lumbung.console.terms)."""
    return sorted(
        set(
            staff_people()
            .filter(role=User.Role.ADMIN, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )
