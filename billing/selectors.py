"""Billing reads."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, Max, Q, QuerySet, Value, When
from django.utils import timezone

from .models import Invoice, Plan, Subscription, WebhookEvent


def plans_public() -> list[Plan]:
    """Plans on offer, cheapest first (public pricing page, onboarding, billing page).
    Fields: name, max_members (None = unlimited), price_monthly, price_yearly, features."""
    return list(Plan.objects.filter(is_active=True).order_by("sort_order", "pk"))


def subscription_for(*, cooperative) -> Subscription | None:
    return (
        Subscription.objects.select_related("plan", "cooperative")
        .filter(cooperative_id=cooperative.pk)
        .first()
    )


def invoices_for(*, subscription: Subscription) -> QuerySet[Invoice]:
    return subscription.invoices.select_related("plan").exclude(status=Invoice.Status.VOID)


def invoice_open_for(*, subscription: Subscription) -> Invoice | None:
    return (
        subscription.invoices.filter(status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING])
        .order_by("due_on", "pk")
        .first()
    )


def transfers_awaiting() -> QuerySet[Invoice]:
    """Open bank-transfer invoices for operators: those with proof uploaded (awaiting
    confirmation) first, the longest waiting first, then the open ones by due date.
    ``proof_at`` is when the latest proof came. Every row is reachable (paginate it)."""
    return (
        Invoice.objects.filter(provider=Subscription.Provider.BANK_TRANSFER)
        .filter(status__in=[Invoice.Status.AWAITING, Invoice.Status.OPEN])
        .annotate(
            proof_at=Max("proofs__created_at"),
            awaiting_first=Case(
                When(status=Invoice.Status.AWAITING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .select_related("subscription__cooperative", "plan")
        .prefetch_related("proofs")
        .order_by("awaiting_first", "proof_at", "due_on", "pk")
    )


def proofs_waiting_too_long(*, now=None) -> list[Invoice]:
    """Awaiting invoices whose latest proof has waited longer than
    settings.BILLING_PROOF_ALERT_HOURS (a paying cooperative must not drift into
    suspension because nobody looked)."""
    now = now or timezone.now()
    limit = now - timedelta(hours=settings.BILLING_PROOF_ALERT_HOURS)
    return list(transfers_awaiting().filter(status=Invoice.Status.AWAITING, proof_at__lt=limit))


def operator_flags() -> dict:
    """What operators should look at: cooperatives over their plan's member limit and
    webhook events flagged (e.g. for an unknown customer) or failed."""
    return {
        "stale_proofs": proofs_waiting_too_long(),
        "over_limit": list(
            Subscription.objects.filter(over_limit_since__isnull=False)
            .select_related("cooperative", "plan")
            .order_by("over_limit_since")
        ),
        "events": list(
            WebhookEvent.objects.filter(
                Q(flagged=True) | Q(state=WebhookEvent.State.FAILED)
            ).order_by("-received_at")[:200]
        ),
    }
