"""Reads of the audit log."""

from django.db.models import Max

from .models import AuditEvent


def last_user_action_at():
    """When a person (not the system, not operator support) last did something here."""
    return (
        AuditEvent.objects.filter(actor__isnull=False)
        .exclude(action__startswith="support.")
        .aggregate(at=Max("created_at"))["at"]
    )
