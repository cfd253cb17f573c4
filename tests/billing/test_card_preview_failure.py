"""billing.card_preview when Stripe or Redis fails. A failed Stripe preview is kept
briefly too (BILLING_CARD_PREVIEW_FAILURE_SECONDS): while Stripe is down the billing
page asks it once, not on every view (each ask may wait PREVIEW_TIMEOUT_S); the page
shows the plan's price marked *perkiraan* with a line that Stripe's figure is not
available now, never a zero. Redis unreachable: the page still answers, asking Stripe.

Stripe down is a loopback HTTP server answering every request with a 503 (the calls are
counted at the HTTP boundary); Stripe up is the local Stripe-speaking server."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from billing.services import renewal_figures
from core.common.money import format_rupiah
from tests.faults.helpers import free_port

from .test_checkout import subscribe
from .test_next_invoice_figure import _next_invoice_card, _value

UNAVAILABLE = "rincian tagihan kartu dari Stripe tidak tersedia saat ini"


class _Down(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.asked.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"error": {"type": "api_error", "message": "down"}}).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args):
        pass


@pytest.fixture
def stripe_down():
    """A Stripe that answers 503 to everything; ``.asked``: the paths asked."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Down)
    server.asked = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _previews(server) -> int:
    return sum(1 for path in server.asked if path.startswith("/v1/invoices/create_preview"))


def test_a_failed_preview_is_kept_briefly_so_views_meanwhile_do_not_ask_stripe(
    admin_client_a, stripe_plans, deliver, subscription_a, stripe_down, settings
):
    _session, sub = subscribe(admin_client_a, deliver)
    plain = renewal_figures(subscription=sub)["amount"]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_down.server_port}"
    settings.BILLING_CARD_PREVIEW_FAILURE_SECONDS = 2

    first = _next_invoice_card(admin_client_a)
    second = _next_invoice_card(admin_client_a)
    assert _previews(stripe_down) == 1
    for card in (first, second):
        assert _value(card) == format_rupiah(plain) != format_rupiah(0)
        assert "perkiraan" in card
        assert UNAVAILABLE in card, card

    time.sleep(2.5)  # the failure is forgotten: the next view asks Stripe again
    _next_invoice_card(admin_client_a)
    assert _previews(stripe_down) == 2


def test_stripe_back_and_its_webhook_forget_the_failure(
    admin_client_a, stripe_plans, deliver, subscription_a, stripe_down, stripe_api, settings
):
    _session, sub = subscribe(admin_client_a, deliver)
    plain = renewal_figures(subscription=sub)["amount"]
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_down.server_port}"
    assert UNAVAILABLE in _next_invoice_card(admin_client_a)
    assert _previews(stripe_down) == 1

    settings.STRIPE_API_BASE = stripe_api.url
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    card = _next_invoice_card(admin_client_a)
    assert _value(card) == format_rupiah(plain)
    assert "perkiraan" not in card and UNAVAILABLE not in card


def _redis_unreachable(settings) -> None:
    """The cache at a port where nothing listens (as lumbung.settings.cache: fail fast)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "lumbung.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "KEY_PREFIX": "lumbung-test-dead",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def previews(monkeypatch):
    """The previews asked of Stripe (the local Stripe-speaking server answers them)."""
    from billing.providers.stripe_provider import StripeProvider

    asked: list[str] = []
    real = StripeProvider.invoice_preview

    def counted(self, *, subscription):
        asked.append(subscription.stripe_subscription_id)
        return real(self, subscription=subscription)

    monkeypatch.setattr(StripeProvider, "invoice_preview", counted)
    return asked


def test_redis_unreachable_the_page_answers_asking_stripe_each_view(
    admin_client_a, stripe_plans, deliver, subscription_a, previews, settings
):
    _session, sub = subscribe(admin_client_a, deliver)
    plain = renewal_figures(subscription=sub)["amount"]
    previews.clear()
    _redis_unreachable(settings)
    for _ in range(2):
        response = admin_client_a.get("/langganan/")
        assert response.status_code == 200
        card = _next_invoice_card(admin_client_a)
        assert _value(card) == format_rupiah(plain)
        assert "perkiraan" not in card
    assert previews == [sub.stripe_subscription_id] * 4  # nothing kept: asked every view


def test_redis_and_stripe_unreachable_the_page_answers_with_the_estimate(
    admin_client_a, stripe_plans, deliver, subscription_a, stripe_down, settings
):
    _session, sub = subscribe(admin_client_a, deliver)
    plain = renewal_figures(subscription=sub)["amount"]
    _redis_unreachable(settings)
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{stripe_down.server_port}"
    response = admin_client_a.get("/langganan/")
    assert response.status_code == 200
    card = _next_invoice_card(admin_client_a)
    assert _value(card) == format_rupiah(plain) != format_rupiah(0)
    assert "perkiraan" in card and UNAVAILABLE in card
    assert _previews(stripe_down) == 2  # a failure cannot be kept either: asked each view
