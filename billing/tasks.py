"""Celery tasks: thin wrappers over billing services. All run in the public schema."""

import logging

from django_tenants.utils import schema_context

from lumbung.celery import app

from . import services, webhooks
from .models import Subscription
from .providers.stripe_provider import stripe_catalog_sync

log = logging.getLogger(__name__)


@app.task(
    bind=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
    acks_late=True,
)
def stripe_event_process_task(self, event_pk: int) -> str:
    with schema_context("public"):
        return webhooks.stripe_event_process(event_pk=event_pk).state


@app.task
def billing_usage_count_task() -> dict:
    """Daily: count each cooperative's active members; flag those over their plan."""
    counted, over, failed = 0, 0, 0
    with schema_context("public"):
        subs = (
            Subscription.objects.exclude(status=Subscription.Status.ARCHIVED)
            .exclude(cooperative__is_practice=True)  # never billed (tenants.practice)
            .select_related("cooperative", "plan")
        )
        for sub in subs.order_by("pk"):
            try:
                sub = services.usage_record(subscription=sub)
            except Exception:
                failed += 1
                log.exception("Counting members of %s failed", sub.cooperative.slug)
                continue
            counted += 1
            over += sub.is_over_limit
    return {"counted": counted, "over_limit": over, "failed": failed}


@app.task
def billing_sweep_task() -> dict:
    """Daily: trial ends, dunning (past_due -> suspended -> archived), bank renewals."""
    with schema_context("public"):
        return services.billing_sweep()


@app.task
def billing_reminders_task() -> int:
    """Daily: reminders for bank-transfer invoices coming due."""
    with schema_context("public"):
        return services.bank_reminders_send()


@app.task(autoretry_for=(Exception,), retry_backoff=60, max_retries=5)
def stripe_catalog_sync_task() -> int:
    """Create the Stripe prices that offered plans lack (after an operator edits a plan)."""
    with schema_context("public"):
        return stripe_catalog_sync()
