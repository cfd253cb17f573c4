"""``Subscription.card_paid_until``: the end of the last period a card paid for.

Subscriptions whose card was paying when this was added (Stripe status ``active``, the
cooperative active) are marked paid until their current period end, the date Stripe
reported for the period its last invoice paid. A card already cancelled by then is left
unmarked: its period end may since have been replaced by an operator's grace, which was
not paid (so a card set up again by such a cooperative is charged at once, as before)."""

from django.db import migrations, models


def forwards(apps, schema_editor):
    Subscription = apps.get_model("billing", "Subscription")
    Subscription.objects.filter(
        provider="stripe",
        stripe_status="active",
        status="active",
        stripe_subscription_id__isnull=False,
        current_period_end__isnull=False,
    ).update(card_paid_until=models.F("current_period_end"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0009_suspended_by_operator_backfill")]

    operations = [
        migrations.AddField(
            model_name="subscription",
            name="card_paid_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
