"""Trials and the state of a card subscription as Stripe reports it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import BillingAudit
from tenants.models import Cooperative

from ..emails import billing_email_send
from ..models import Subscription
from ..providers.stripe_provider import (
    plan_for_price,
    subscription_period_end,
    subscription_price_id,
)
from .bank import _bank_invoices_void_for_card
from .common import (
    S,
    _audit,
    _lock,
    _paid_until,
    _status_set,
    card_subscription_cancel_later,
    default_plan,
    log,
)


@transaction.atomic
def trial_start(*, cooperative: Cooperative) -> Subscription:
    """TENANT_PROVISIONED_HOOKS: give a new cooperative its trial (no card needed).
    Idempotent."""
    if cooperative.is_practice:
        raise ValueError("a practice copy is never billed")
    existing = Subscription.objects.filter(cooperative=cooperative).first()
    if existing:
        return existing
    status = cooperative.status if cooperative.status in S.values else S.TRIAL
    sub = Subscription.objects.create(
        cooperative=cooperative,
        plan=default_plan(),
        status=status,
        trial_ends_at=timezone.now() + timedelta(days=settings.TRIAL_DAYS),
        past_due_since=timezone.now() if status == S.PAST_DUE else None,
        suspended_since=timezone.now() if status in (S.SUSPENDED, S.ARCHIVED) else None,
    )
    _audit(
        actor="system",
        action=BillingAudit.TRIAL_STARTED,
        target=cooperative,
        data={"plan": sub.plan.code, "trial_ends_at": sub.trial_ends_at.isoformat()},
    )
    return sub


STRIPE_STATUS_MAP = {
    "trialing": S.TRIAL,
    "active": S.ACTIVE,
    "past_due": S.PAST_DUE,
    "unpaid": S.PAST_DUE,
    "canceled": None,  # see _card_canceled: the paid period runs out, then the grace
    "incomplete_expired": None,  # never started: leave the cooperative as it was
    "incomplete": None,
    "paused": S.SUSPENDED,
}


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


@transaction.atomic
def subscription_sync_stripe(
    *,
    subscription: Subscription,
    stripe_sub: dict,
    actor="stripe",
    latest_invoice_paid: bool = False,
) -> Subscription:
    """Apply the state of a Stripe subscription (fetched from the API just now) to ours.
    Safe to call any number of times, in any order: the result depends only on the
    fetched state (and on the periods already paid). ``latest_invoice_paid``: Stripe
    reports the subscription's latest invoice paid with money, so its current period is
    paid by card (``card_paid_until``).

    What was paid stays: the period end is never earlier than the end of the last
    period paid by bank transfer or by a card. A card subscription started while such a
    period runs is ``trialing`` at Stripe until it ends (card_billing_start): the
    cooperative stays active on the plan it paid for, and the card's plan is the change
    due when the card starts paying (next_plan). Once a card pays (active or trialing),
    the open transfer invoices for its periods are void (_bank_invoices_void_for_card)."""
    sub = _lock(subscription)
    dead = ("canceled", "incomplete_expired")
    if sub.provider == Subscription.Provider.BANK_TRANSFER and stripe_sub["status"] in dead:
        return sub  # the cooperative moved to bank transfer; an ended card plan is history
    other = bool(sub.stripe_subscription_id) and sub.stripe_subscription_id != stripe_sub["id"]
    if other and (sub.stripe_status not in (*dead, "") or stripe_sub["status"] in dead):
        # An older (or abandoned) subscription of this customer: ours stays current.
        log.info(
            "Ignoring state of %s: %s is current", stripe_sub["id"], sub.stripe_subscription_id
        )
        return sub
    if sub.stripe_subscription_id != stripe_sub["id"] and stripe_sub["status"] in (
        "incomplete",
        "incomplete_expired",
    ):
        return sub
    was_status = sub.stripe_status if sub.stripe_subscription_id == stripe_sub["id"] else ""
    switched = (
        sub.provider != Subscription.Provider.STRIPE
        or sub.stripe_subscription_id != stripe_sub["id"]
    )
    sub.stripe_subscription_id = stripe_sub["id"]
    sub.stripe_status = stripe_sub["status"]
    sub.cancel_at_period_end = bool(stripe_sub.get("cancel_at_period_end"))
    sub.provider = Subscription.Provider.STRIPE
    if stripe_sub.get("customer") and not sub.stripe_customer_id:
        sub.stripe_customer_id = stripe_sub["customer"]
    card_period_end = _ts(subscription_period_end(stripe_sub))
    if latest_invoice_paid and card_period_end is not None:
        sub.card_paid_until = max(card_period_end, sub.card_paid_until or card_period_end)
    paid_until = _paid_until(sub)
    trial_start = _ts(stripe_sub.get("trial_start"))
    deferred = (
        stripe_sub["status"] == "trialing"
        and paid_until is not None
        and (paid_until > timezone.now() or (trial_start is not None and trial_start < paid_until))
    )
    found = plan_for_price(subscription_price_id(stripe_sub))
    if found and deferred:
        same = (found[0].pk, found[1]) == (sub.plan_id, sub.interval)
        sub.next_plan, sub.next_interval = (None, "") if same else found
    elif found:
        sub.plan, sub.interval = found
        sub.next_plan, sub.next_interval = None, ""  # the card's price is what is billed
        if sub.over_limit_since and sub.plan.allows(sub.active_members or 0):
            sub.over_limit_since = None
    ends = [e for e in (card_period_end, paid_until) if e is not None]
    sub.current_period_end = max(ends) if ends else None
    if stripe_sub.get("trial_end") and not deferred:
        sub.trial_ends_at = _ts(stripe_sub["trial_end"])
    sub.save()
    target = S.ACTIVE if deferred else STRIPE_STATUS_MAP.get(stripe_sub["status"])
    if stripe_sub["status"] == "canceled":
        target = _card_canceled(sub=sub, was_status=was_status)
    if target == S.PAST_DUE and sub.status in (S.SUSPENDED, S.ARCHIVED):
        target = None  # already further along the dunning path; paying restores
    if sub.status == S.ARCHIVED or (sub.status == S.SUSPENDED and sub.suspended_by_operator):
        # Archived, or suspended by an operator: only an operator moves it (a card still
        # billing an archived cooperative is ended, as archiving does).
        target = None
        if sub.status == S.ARCHIVED:
            card_subscription_cancel_later(
                sub=sub, by=actor, reason=_("Koperasi diarsipkan: langganan kartu diakhiri")
            )
    if target:
        _status_set(
            sub=sub,
            status=target,
            reason=_("Status langganan Stripe: %(s)s") % {"s": stripe_sub["status"]},
            actor=actor,
        )
    if stripe_sub["status"] in ("active", "trialing") and sub.status != S.ARCHIVED:
        # The card pays from now on (from its trial end when deferred): what is still
        # open of the transfer invoices for those periods is not owed any more.
        trial_end = _ts(stripe_sub.get("trial_end"))
        card_starts = trial_end if stripe_sub["status"] == "trialing" and trial_end else None
        _bank_invoices_void_for_card(
            sub=sub,
            card_starts=card_starts or timezone.now(),
            card_ends=card_period_end if sub.cancel_at_period_end else None,
            stripe_subscription=stripe_sub["id"],
            switched=switched,
            by=actor,
        )
    return sub


def _card_canceled(*, sub: Subscription, was_status: str) -> str | None:
    """A card subscription ended (by the cooperative, or by us when it moved to bank
    transfer). What was paid runs to its end: an active cooperative stays active until
    ``current_period_end``; the sweep then moves it to past due and the normal grace
    follows. A trial runs to its end. The cooperative is told the truth once."""
    now = timezone.now()
    paid_until = sub.current_period_end if sub.current_period_end else None
    if was_status != "canceled":
        billing_email_send(
            kind="subscription_canceled",
            subscription=sub,
            extra={
                "paid_until": paid_until if paid_until and paid_until > now else None,
                "grace_days": settings.BILLING_PAST_DUE_GRACE_DAYS,
            },
        )
    if sub.status in (S.TRIAL, S.PAST_DUE, S.SUSPENDED, S.ARCHIVED):
        return None
    if paid_until and paid_until > now:
        return S.ACTIVE
    return S.PAST_DUE
