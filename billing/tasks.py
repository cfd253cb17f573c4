"""Celery tasks: thin wrappers over billing services. All run in the public schema."""

import logging

from django_tenants.utils import schema_context

from core.common.errors import ApplicationError
from lumbung.celery import app

from . import services, webhooks
from .errors import BillingErrors
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


@app.task(bind=True, max_retries=8, acks_late=True)
def card_subscription_cancel_task(self, subscription_pk: int, reason: str, by: str) -> str:
    """End an archived cooperative's card subscription at Stripe (queued when the archive
    commits). Stripe unreachable: retried with backoff; refused: logged for operators."""
    with schema_context("public"):
        sub = Subscription.objects.select_related("cooperative").filter(pk=subscription_pk).first()
        if sub is None:
            return "gone"
        if sub.status != Subscription.Status.ARCHIVED:
            return "not archived"  # reactivated meanwhile: its card bills again
        try:
            sub = services.card_subscription_end(
                subscription=sub, by=by, reason=reason, switch_to_transfer=False
            )
        except ApplicationError as exc:
            if exc.code == BillingErrors.PROVIDER_ERROR:
                log.warning(
                    "Ending the card subscription of %s: Stripe unreachable, retrying",
                    sub.cooperative.slug,
                )
                raise self.retry(exc=exc, countdown=min(3600, 30 * 2**self.request.retries))
            log.error(
                "Ending the card subscription %s of %s was refused: %s",
                sub.stripe_subscription_id,
                sub.cooperative.slug,
                exc.message,
            )
            return "refused"
        return sub.stripe_status
