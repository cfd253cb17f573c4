from collections.abc import Sequence
from typing import Any

from django.db import models

from core.common.bulk import bulk_insert_values

from .models import AuditEvent


def _actor(actor) -> tuple[Any, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor, actor.get_username()
    if isinstance(actor, str) and actor:
        return None, actor
    return None, "system"


def audit_log_bulk(
    *, actor, action: str, targets: Sequence[tuple[models.Model, dict[str, Any] | None]]
) -> list[AuditEvent]:
    """``audit_log(actor=actor, action=action, target=t, data=d)`` for every ``(t, d)``
    of ``targets`` (the same rows), written with one INSERT. For batch services."""
    actor_obj, label = _actor(actor)
    events = [
        AuditEvent(
            actor=actor_obj,
            actor_label=label,
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            target_repr=str(target)[:300],
            reason="",
            data=data or {},
        )
        for target, data in targets
    ]
    bulk_insert_values(AuditEvent, events)
    return events


def audit_log(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Record an action. Call inside the action's own transaction."""
    actor_obj, label = _actor(actor)
    return AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=label,
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:300] if target is not None else "",
        reason=reason,
        data=data or {},
    )
