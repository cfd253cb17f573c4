"""Mark the suspensions operators made before ``Subscription.suspended_by_operator``
existed (0008 started every subscription at False, so a card payment reported by Stripe
could still lift them). A suspended subscription is marked when the status change that
suspended it was an operator's: the latest ``billing.status_changed`` audit row of its
cooperative moved it to ``suspended`` with a user as actor (the console's operators; the
daily sweep and Stripe's sync record themselves by name, without a user)."""

from django.db import migrations


def forwards(apps, schema_editor):
    Subscription = apps.get_model("billing", "Subscription")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for sub in Subscription.objects.filter(status="suspended", suspended_by_operator=False):
        last = (
            AuditEvent.objects.filter(
                action="billing.status_changed",
                target_type="tenants.cooperative",
                target_id=str(sub.cooperative_id),
            )
            .order_by("-created_at", "-pk")
            .first()
        )
        if last and last.actor_id is not None and (last.data or {}).get("to") == "suspended":
            Subscription.objects.filter(pk=sub.pk).update(suspended_by_operator=True)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0008_subscription_suspended_by_operator"),
        ("audit", "0002_immutable"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
