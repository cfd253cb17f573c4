"""A card subscription's *Tagihan berikutnya* is what Stripe will charge next (its
invoice preview, ``invoices.create_preview``: the plan plus prorations waiting, e.g.
after a plan change mid-period), not the plain plan price. When Stripe cannot be asked,
the page still answers: the plan's price, marked *perkiraan*, never zero.

localstripe answers ``POST /v1/invoices/create_preview`` (pending invoice items of the
customer included), so the preview goes through it over HTTP."""

from decimal import Decimal

from billing.providers.stripe_provider import stripe_client, to_minor
from billing.services import renewal_figures
from core.common.money import format_rupiah

from .test_checkout import subscribe
from .test_next_invoice_figure import _next_invoice_card, _value


def test_the_card_next_invoice_adds_the_prorations_waiting(
    admin_client_a, stripe_plans, deliver, subscription_a
):
    _session, sub = subscribe(admin_client_a, deliver)
    plain = renewal_figures(subscription=sub)["amount"]
    # a proration Stripe has waiting for the next invoice (as a mid-period upgrade leaves)
    stripe_client().v1.invoice_items.create(
        {"customer": sub.stripe_customer_id, "amount": to_minor(Decimal(50_000)), "currency": "idr"}
    )
    card = _next_invoice_card(admin_client_a)
    assert _value(card) == format_rupiah(plain + 50_000), card
    assert "perkiraan" not in card


def test_stripe_unreachable_shows_the_plan_price_as_an_estimate(
    admin_client_a, stripe_plans, deliver, subscription_a, settings
):
    _session, sub = subscribe(admin_client_a, deliver)
    plain = renewal_figures(subscription=sub)["amount"]
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = admin_client_a.get("/langganan/")
    assert response.status_code == 200
    card = _next_invoice_card(admin_client_a)
    assert _value(card) == format_rupiah(plain) != format_rupiah(0)
    assert "perkiraan" in card
