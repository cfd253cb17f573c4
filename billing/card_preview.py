"""The card subscription's invoice preview (what Stripe will charge next), kept a while
per subscription in Django's cache (Redis): the billing page asks Stripe at most once
per PREVIEW_CACHE_SECONDS, not on every view (each ask may take up to
stripe_provider.PREVIEW_TIMEOUT_S). Forgotten when a Stripe webhook about the
subscription is processed or the plan changes (card_preview_forget), so the next view
asks again. A failed ask (Stripe down or slow, or an answer without a figure) is kept
too, for BILLING_CARD_PREVIEW_FAILURE_SECONDS only, as a preview without a figure
(``amount_due`` None: the page shows the plan's price marked as an estimate, never
zero): while Stripe is down the page does not wait on every view. The cache
unreachable: Stripe is asked as before, on every view."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

PREVIEW_CACHE_SECONDS = 600


def _key(subscription_id: int) -> str:
    return f"billing:card-preview:{subscription_id}"


def card_preview_cached(*, subscription) -> dict | None:
    """The preview kept for this subscription's current card subscription, or None."""
    try:
        kept = cache.get(_key(subscription.pk))
    except (RedisError, OSError):
        log.warning("Card preview cache unreachable", exc_info=True)
        return None
    if not kept or kept.get("stripe_subscription") != subscription.stripe_subscription_id:
        return None  # another card subscription's (set up again since)
    return kept["preview"]


def card_preview_keep(*, subscription, preview: dict) -> None:
    _keep(subscription=subscription, preview=preview, seconds=PREVIEW_CACHE_SECONDS)


def card_preview_failed(*, subscription) -> None:
    """Keep that Stripe could not give the preview now: the views in the next
    BILLING_CARD_PREVIEW_FAILURE_SECONDS read a preview without a figure."""
    seconds = settings.BILLING_CARD_PREVIEW_FAILURE_SECONDS
    if seconds > 0:
        _keep(subscription=subscription, preview={"amount_due": None}, seconds=seconds)


def _keep(*, subscription, preview: dict, seconds: int) -> None:
    kept = {"stripe_subscription": subscription.stripe_subscription_id, "preview": preview}
    try:
        cache.set(_key(subscription.pk), kept, seconds)
    except (RedisError, OSError):
        log.warning("Card preview cache unreachable", exc_info=True)


def card_preview_forget(*, subscription_id: int) -> None:
    """Forget the kept preview now and again when the caller's transaction commits (a
    view between the two would keep what Stripe said before the change)."""

    def forget() -> None:
        try:
            cache.delete(_key(subscription_id))
        except (RedisError, OSError):
            log.warning("Card preview cache unreachable", exc_info=True)

    forget()
    transaction.on_commit(forget)
