"""The card's *Tagihan berikutnya* asks Stripe for its invoice preview (up to
PREVIEW_TIMEOUT_S): kept per subscription for a while (Django's cache, Redis), so the
billing page viewed again does not ask again; a Stripe webhook about that subscription,
or a plan change, forgets it and the next view asks Stripe again. Stripe is the local
Stripe-speaking server (over HTTP); the calls are counted on the way to it."""

from decimal import Decimal

import pytest

from billing.models import Plan
from billing.providers.stripe_provider import StripeProvider, stripe_client, to_minor
from billing.services import renewal_figures
from core.common.money import format_rupiah

from .test_checkout import subscribe
from .test_next_invoice_figure import _next_invoice_card, _value


@pytest.fixture
def previews(monkeypatch):
    asked: list[str] = []
    real = StripeProvider.invoice_preview

    def counted(self, *, subscription):
        asked.append(subscription.stripe_subscription_id)
        return real(self, subscription=subscription)

    monkeypatch.setattr(StripeProvider, "invoice_preview", counted)
    return asked


def test_two_views_ask_stripe_once_and_a_webhook_makes_the_next_ask_again(
    admin_client_a, stripe_plans, deliver, subscription_a, previews
):
    _session, sub = subscribe(admin_client_a, deliver)
    previews.clear()
    plain = renewal_figures(subscription=sub)["amount"]
    first = _next_invoice_card(admin_client_a)
    second = _next_invoice_card(admin_client_a)
    assert previews == [sub.stripe_subscription_id]
    assert _value(first) == _value(second) == format_rupiah(plain)

    # Stripe now has a proration waiting; its webhook about the subscription comes.
    stripe_client().v1.invoice_items.create(
        {"customer": sub.stripe_customer_id, "amount": to_minor(Decimal(50_000)), "currency": "idr"}
    )
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    third = _next_invoice_card(admin_client_a)
    assert len(previews) == 2
    assert _value(third) == format_rupiah(plain + 50_000)
    _next_invoice_card(admin_client_a)
    assert len(previews) == 2


def test_a_plan_change_makes_the_next_view_ask_stripe_again(
    admin_client_a, stripe_plans, deliver, subscription_a, previews
):
    _session, sub = subscribe(admin_client_a, deliver)
    previews.clear()
    _next_invoice_card(admin_client_a)
    _next_invoice_card(admin_client_a)
    assert len(previews) == 1
    besar = Plan.objects.get(code="besar")
    response = admin_client_a.post("/langganan/paket/", {"plan": besar.pk, "interval": "month"})
    assert response.status_code == 302
    previews.clear()
    card = _next_invoice_card(admin_client_a)
    assert previews == [sub.stripe_subscription_id]
    assert "Besar" in card
