"""Mark the archives operators made before ``Subscription.archived_by_operator`` existed,
and keep the reason an operator typed for each suspension or archive still in force
(``operator_reason``), so that the cooperative's staff are told it (billing.middleware)
instead of "not paid". Read from the public audit rows, as 0009 did: an archived
subscription was archived by an operator when the latest ``billing.status_changed`` row
of its cooperative moved it to ``archived`` with a user as actor (the daily sweep
records itself by name, without a user). An operator's suspension's reason is the
latest such row to ``suspended``, or, when the cooperative was already suspended for an
unpaid bill (no status change then), the console's own ``console.tenant_suspended``
row."""

from django.db import migrations


def _latest(AuditEvent, cooperative_id, **filters):
    return (
        AuditEvent.objects.filter(
            target_type="tenants.cooperative", target_id=str(cooperative_id), **filters
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def forwards(apps, schema_editor):
    Subscription = apps.get_model("billing", "Subscription")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for sub in Subscription.objects.filter(status="archived").order_by("pk"):
        last = _latest(AuditEvent, sub.cooperative_id, action="billing.status_changed")
        if last and last.actor_id is not None and (last.data or {}).get("to") == "archived":
            Subscription.objects.filter(pk=sub.pk).update(
                archived_by_operator=True, operator_reason=last.reason
            )
    held = Subscription.objects.filter(
        status__in=["suspended", "archived"], suspended_by_operator=True, archived_by_operator=False
    )
    for sub in held.order_by("pk"):
        suspended = _latest(
            AuditEvent,
            sub.cooperative_id,
            action="billing.status_changed",
            actor__isnull=False,
            data__to="suspended",
        )
        console = _latest(AuditEvent, sub.cooperative_id, action="console.tenant_suspended")
        rows = [r for r in (suspended, console) if r is not None]
        if rows:
            latest = max(rows, key=lambda r: (r.created_at, r.pk))
            Subscription.objects.filter(pk=sub.pk).update(operator_reason=latest.reason)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0025_subscription_archived_by_operator"),
        ("audit", "0002_immutable"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
