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


def test_a_stripe_that_does_not_answer_does_not_hold_the_page(
    admin_client_a, stripe_plans, deliver, subscription_a, settings, monkeypatch
):
    """A Stripe that takes the connection and never answers: the page gives up on the
    preview after PREVIEW_TIMEOUT_S (Stripe's client alone waits 80 s and retries) and shows
    the plan's price marked *perkiraan*. The silent server holds each connection until the
    page has answered, so without the page's own timeout the request would take minutes."""
    import socket
    import threading
    import time

    from billing.providers import stripe_provider

    _session, sub = subscribe(admin_client_a, deliver)
    plain = renewal_figures(subscription=sub)["amount"]
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    held: list = []
    stop = threading.Event()

    def hold():
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                continue

    threading.Thread(target=hold, daemon=True).start()
    monkeypatch.setattr(stripe_provider, "PREVIEW_TIMEOUT_S", 1.0)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{silent.getsockname()[1]}"
    try:
        started = time.monotonic()
        card = _next_invoice_card(admin_client_a)
        waited = time.monotonic() - started
    finally:
        stop.set()
        for conn in held:
            conn.close()
        silent.close()
    assert held, "the preview never reached the silent server"
    assert waited < 25, waited
    assert _value(card) == format_rupiah(plain)
    assert "perkiraan" in card
