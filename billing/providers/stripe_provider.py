"""Stripe through the official SDK: a customer per cooperative, Checkout to subscribe,
the Customer Portal to manage cards and invoices, plan changes with proration.

Amounts: Stripe counts IDR in hundredths (IDR is not a zero-decimal currency in
Stripe's API), so Rp 150.000 is sent as 15000000."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from billing.errors import BillingErrors
from billing.models import Interval, Plan, Subscription
from billing.tax import tax_split
from core.common.errors import ApplicationError

from .base import PaymentProvider, PaymentStart

# A page waits for the invoice preview: Stripe's own client waits 80 s (and retries), so a
# slow Stripe would hold the cooperative's billing page that long; the page shows the
# plan's price marked "perkiraan" instead.
PREVIEW_TIMEOUT_S = 5.0


def stripe_client(*, timeout: float | None = None) -> stripe.StripeClient:
    """Stripe's client at ``STRIPE_API_BASE``; with ``timeout`` (seconds) one that gives
    up after it without retrying (for calls a page waits for)."""
    kwargs: dict[str, Any] = {}
    if settings.STRIPE_API_BASE:
        kwargs["base_addresses"] = {"api": settings.STRIPE_API_BASE}
    retries = 1
    if timeout is not None:
        kwargs["http_client"] = stripe.new_default_http_client(timeout=timeout)
        retries = 0
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, max_network_retries=retries, **kwargs)


def to_minor(amount: Decimal) -> int:
    """Rupiah -> Stripe's minor units (hundredths)."""
    return int(Decimal(amount) * 100)


def from_minor(amount: int | None) -> Decimal:
    """Stripe's hundredths -> whole rupiah, half up (as billing.tax rounds)."""
    return (Decimal(amount or 0) / 100).quantize(Decimal("1"), ROUND_HALF_UP)


def _provider_error(exc: stripe.StripeError) -> ApplicationError:
    if isinstance(exc, stripe.InvalidRequestError):
        return ApplicationError(
            BillingErrors.PROVIDER_REFUSED,
            _("Layanan pembayaran menolak permintaan: %(msg)s")
            % {"msg": exc.user_message or str(exc)},
        )
    return ApplicationError(
        BillingErrors.PROVIDER_ERROR,
        _("Layanan pembayaran kartu sedang tidak dapat dihubungi. Coba lagi sebentar lagi."),
        status=502,
    )


def subscription_price_id(stripe_sub: dict) -> str:
    """The price (or legacy plan) id of a Stripe subscription's single item."""
    item = stripe_sub["items"]["data"][0]
    price = item.get("price") or item.get("plan") or {}
    return price.get("id", "") if isinstance(price, dict) else str(price)


def subscription_period_end(stripe_sub: dict) -> int | None:
    """current_period_end moved from the subscription to its items in newer API versions."""
    end = stripe_sub.get("current_period_end")
    if end is None:
        items = (stripe_sub.get("items") or {}).get("data") or []
        if items:
            end = items[0].get("current_period_end")
    return end


def invoice_subscription_id(stripe_invoice: dict) -> str | None:
    sub = stripe_invoice.get("subscription")
    if not sub:
        parent = stripe_invoice.get("parent") or {}
        sub = (parent.get("subscription_details") or {}).get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return sub or None


def plan_for_price(price_id: str) -> tuple[Plan, str] | None:
    plan = Plan.objects.filter(stripe_price_monthly_id=price_id).first()
    if plan:
        return plan, Interval.MONTH
    plan = Plan.objects.filter(stripe_price_yearly_id=price_id).first()
    if plan:
        return plan, Interval.YEAR
    return None


def plan_price_total(plan: Plan, interval: str) -> Decimal:
    """What the card is charged: the stated price, plus PPN when it excludes it."""
    dpp, ppn = tax_split(
        price=plan.price_for(interval),
        rate=Decimal(settings.BILLING_PPN_RATE),
        includes_ppn=plan.prices_include_ppn,
    )
    return dpp + ppn


def stripe_catalog_sync() -> int:
    """Create the Stripe product and monthly/yearly prices of every offered plan that
    lacks them. Returns how many prices were created. Idempotent."""
    client = stripe_client()
    created = 0
    for plan in Plan.objects.filter(is_active=True).order_by("pk"):
        for interval, field in (
            (Interval.MONTH, "stripe_price_monthly_id"),
            (Interval.YEAR, "stripe_price_yearly_id"),
        ):
            if getattr(plan, field):
                continue
            params: dict[str, Any] = {
                "amount": to_minor(plan_price_total(plan, interval)),
                "currency": settings.STRIPE_CURRENCY,
                "interval": interval,
                "metadata": {"lumbung_plan": plan.code},
            }
            if plan.stripe_product_id:
                params["product"] = plan.stripe_product_id
            else:
                params["product"] = {"name": f"Lumbung {plan.name}"}
            price = client.v1.plans.create(
                params,
                options={
                    "idempotency_key": f"plan-{plan.code}-{interval}-{plan.price_for(interval)}"
                },
            )
            setattr(plan, field, price["id"])
            plan.stripe_product_id = (
                price["product"] if isinstance(price["product"], str) else price["product"]["id"]
            )
            plan.save(update_fields=[field, "stripe_product_id", "updated_at"])
            created += 1
    return created


class StripeProvider(PaymentProvider):
    code = Subscription.Provider.STRIPE

    def __init__(self) -> None:
        self.client = stripe_client()

    # -- customers ---------------------------------------------------------------
    def customer_ensure(self, *, subscription: Subscription) -> str:
        if subscription.stripe_customer_id:
            return subscription.stripe_customer_id
        coop = subscription.cooperative
        try:
            customer = self.client.v1.customers.create(
                {
                    "name": coop.name,
                    "email": coop.email or None,
                    "metadata": {"tenant": coop.slug, "cooperative_id": str(coop.pk)},
                },
                options={"idempotency_key": f"customer-{coop.pk}"},
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc)
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
            if not sub.stripe_customer_id:
                sub.stripe_customer_id = customer["id"]
                sub.save(update_fields=["stripe_customer_id", "updated_at"])
        subscription.stripe_customer_id = sub.stripe_customer_id
        return sub.stripe_customer_id

    # -- the interface -----------------------------------------------------------
    def start_payment(
        self, *, subscription, plan, interval, success_url, cancel_url, billing_starts_at=None
    ) -> PaymentStart:
        """Stripe Checkout for the plan's price; with ``billing_starts_at`` the card is
        saved now and first charged then (Stripe's subscription trial_end: the
        subscription is ``trialing`` until that moment)."""
        price = plan.stripe_price_for(interval)
        if not price:
            raise ApplicationError(
                BillingErrors.PLAN_NOT_ON_CARD,
                _("Paket %(plan)s belum tersedia untuk pembayaran kartu. Gunakan transfer bank.")
                % {"plan": plan.name},
            )
        customer = self.customer_ensure(subscription=subscription)
        coop = subscription.cooperative
        subscription_data: dict[str, Any] = {"metadata": {"tenant": coop.slug}}
        if billing_starts_at is not None:
            subscription_data["trial_end"] = int(billing_starts_at.timestamp())
        try:
            session = self.client.v1.checkout.sessions.create(
                {
                    "mode": "subscription",
                    "customer": customer,
                    "client_reference_id": coop.slug,
                    "line_items": [{"price": price, "quantity": 1}],
                    "success_url": success_url,
                    "cancel_url": cancel_url,
                    "metadata": {"tenant": coop.slug},
                    "subscription_data": subscription_data,
                    "locale": "id",
                }
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc)
        return PaymentStart(redirect_url=session["url"])

    def manage_url(self, *, subscription, return_url) -> str:
        if not subscription.stripe_customer_id:
            return ""
        try:
            portal = self.client.v1.billing_portal.sessions.create(
                {"customer": subscription.stripe_customer_id, "return_url": return_url}
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc)
        return portal["url"]

    def change_plan(
        self, *, subscription, plan, interval, proration_behavior: str = "create_prorations"
    ) -> None:
        """Move the card subscription to ``plan``. ``proration_behavior="none"``: nothing
        is charged now, the next invoice is for the new plan."""
        price = plan.stripe_price_for(interval)
        if not price:
            raise ApplicationError(
                BillingErrors.PLAN_NOT_ON_CARD,
                _("Paket %(plan)s belum tersedia untuk pembayaran kartu.") % {"plan": plan.name},
            )
        try:
            current = self.client.v1.subscriptions.retrieve(subscription.stripe_subscription_id)
            item_id = current["items"]["data"][0]["id"]
            self.client.v1.subscriptions.update(
                subscription.stripe_subscription_id,
                {
                    "items": [{"id": item_id, "price": price}],
                    "proration_behavior": proration_behavior,
                },
            )
        except stripe.StripeError as exc:
            raise _provider_error(exc)

    def subscription_cancel(self, *, subscription) -> dict:
        """End the card subscription now: Stripe charges the card no more."""
        try:
            return self.client.v1.subscriptions.cancel(
                subscription.stripe_subscription_id
            ).to_dict()
        except stripe.StripeError as exc:
            raise _provider_error(exc)

    # -- reads used by webhook processing ---------------------------------------------
    def subscription_fetch(self, stripe_id: str) -> dict:
        return self.client.v1.subscriptions.retrieve(stripe_id).to_dict()

    def invoice_fetch(self, stripe_id: str) -> dict:
        return self.client.v1.invoices.retrieve(stripe_id).to_dict()

    def checkout_session_fetch(self, stripe_id: str) -> dict:
        return self.client.v1.checkout.sessions.retrieve(stripe_id).to_dict()

    def invoice_preview(self, *, subscription) -> dict:
        """What Stripe will charge next for the card subscription (the invoice preview,
        ``POST /v1/invoices/create_preview``; stripe 16 has no ``Invoice.upcoming``):
        the plan and every proration or invoice item waiting. Raises StripeError."""
        return (
            stripe_client(timeout=PREVIEW_TIMEOUT_S)
            .v1.invoices.create_preview(
                {
                    "customer": subscription.stripe_customer_id,
                    "subscription": subscription.stripe_subscription_id,
                }
            )
            .to_dict()
        )
