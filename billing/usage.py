"""Counting a cooperative's active members (inside its own schema)."""

from django_tenants.utils import schema_context

from core.members.selectors import member_counts


def active_member_count(*, cooperative) -> int:
    """Active members of ``cooperative``."""
    with schema_context(cooperative.schema_name):
        return member_counts()["active"]
