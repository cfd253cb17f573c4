"""Counting a cooperative's active members (inside its own schema)."""

from django.apps import apps
from django_tenants.utils import schema_context


def active_member_count(*, cooperative) -> int:
    """Active members of ``cooperative`` (core.members.Member with status "active")."""
    member_model = apps.get_model("members", "Member")
    with schema_context(cooperative.schema_name):
        return member_model.objects.filter(status="active").count()
