"""Cooperatives created before billing existed get a subscription mirroring their
status (a trial of settings.TRIAL_DAYS from now when they are on trial)."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations
from django.utils import timezone

STATUSES = {"trial", "active", "past_due", "suspended", "archived"}


def backfill(apps, schema_editor):
    Cooperative = apps.get_model("tenants", "Cooperative")
    Plan = apps.get_model("billing", "Plan")
    Subscription = apps.get_model("billing", "Subscription")
    plan = Plan.objects.filter(is_active=True).order_by("sort_order", "pk").first()
    if plan is None:
        return
    now = timezone.now()
    for coop in Cooperative.objects.exclude(schema_name="public").filter(subscription__isnull=True):
        if coop.status not in STATUSES:
            continue
        Subscription.objects.create(
            cooperative=coop,
            plan=plan,
            status=coop.status,
            trial_ends_at=now + timedelta(days=settings.TRIAL_DAYS),
            past_due_since=now if coop.status == "past_due" else None,
            suspended_since=now if coop.status in ("suspended", "archived") else None,
        )


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_seed_plans"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
