from typing import Any

from django.db import models

from .models import AuditEvent


def audit_log(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record an action. Call inside the action's own transaction."""
    label = ""
    actor_obj = None
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_obj = actor
        label = actor.get_username()
    elif isinstance(actor, str):
        label = actor
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=label or "system",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        reason=reason,
        data=data or {},
    )
