"""Billing reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

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
    """Bank-transfer invoices with proof uploaded, for operators to confirm."""
    return (
        Invoice.objects.filter(provider=Subscription.Provider.BANK_TRANSFER)
        .filter(status__in=[Invoice.Status.AWAITING, Invoice.Status.OPEN])
        .select_related("subscription__cooperative", "plan")
        .prefetch_related("proofs")
        .order_by("-status", "due_on", "pk")
    )


def operator_flags() -> dict:
    """What operators should look at: cooperatives over their plan's member limit and
    webhook events flagged (e.g. for an unknown customer) or failed."""
    return {
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
