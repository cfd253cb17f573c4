"""A Stripe-speaking HTTP server on loopback for the tests: localstripe (test-only, GPL)
plus a few routes of our own for what localstripe lacks (Checkout Sessions with
``subscription_data.trial_end``, the Billing Portal, ``price`` on subscription items,
``proration_behavior``) and Stripe's ``uncollectible`` invoices (``invoice_mark_uncollectible``,
``invoice_pay``).

It runs localstripe's own aiohttp handlers in a background thread with its own event
loop. The real ``stripe`` SDK talks to it over HTTP, so requests, form encoding,
authentication and error shapes are exercised for real."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import warnings

from aiohttp import web

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # localstripe's sync handlers
    from localstripe import resources as R
    from localstripe import server as LS

# localstripe pickles its whole store to /tmp after every write; not wanted here.
R.store.dump_to_disk = lambda: None

SESSIONS: dict[str, dict] = {}

_LOCALSTRIPE_INVOICE_STATUS = R.Invoice.status


def _invoice_status(self) -> str:
    """localstripe's status, plus Stripe's ``uncollectible``: an open invoice marked so
    (the end of Stripe's dunning, or by hand) until it is paid."""
    status = _LOCALSTRIPE_INVOICE_STATUS.fget(self)
    if status == "open" and getattr(self, "_uncollectible", False):
        return "uncollectible"
    return status


R.Invoice.status = property(_invoice_status)


def invoice_mark_uncollectible(invoice_id: str):
    """Stripe's ``POST /v1/invoices/{id}/mark_uncollectible`` (run it with
    ``LocalStripeServer.call``): an open invoice becomes ``uncollectible``."""
    obj = R.Invoice._api_retrieve(invoice_id)
    if obj.status != "open":
        raise LS.UserError(400, "Only an open invoice can be marked uncollectible")
    obj._uncollectible = True
    obj.status_transitions["marked_uncollectible_at"] = int(time.time())
    return obj


def invoice_pay(invoice_id: str):
    """Stripe's ``POST /v1/invoices/{id}/pay``, which (unlike localstripe's) also pays an
    ``uncollectible`` invoice: charged to the customer's default card, ``paid`` when the
    charge succeeds, else still uncollectible."""
    obj = R.Invoice._api_retrieve(invoice_id)
    was_uncollectible = getattr(obj, "_uncollectible", False)
    obj._uncollectible = False
    R.Invoice._api_pay_invoice(invoice_id)
    if obj.status != "paid":
        obj._uncollectible = was_uncollectible
    return obj


# Stripe Checkout refuses a subscription_data.trial_end less than 48 hours ahead.
CHECKOUT_MIN_TRIAL_SECONDS = 48 * 3600


class TrialingSubscription(R.Subscription):
    """A subscription created with a trial end, as Stripe has it: ``trialing`` (nothing
    charged, no invoice) until ``trial_end``, which is also the end of its current
    period. localstripe leaves it ``incomplete`` with a period from its start."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.status = "trialing"
        self.trial_start = self.start_date

    @property
    def current_period_end(self):
        if self.status == "trialing":
            return self.trial_end
        return super().current_period_end


def _id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _json(obj) -> web.Response:
    return LS.json_response(obj)


async def checkout_session_create(request: web.Request) -> web.Response:
    data = await LS.get_post_data(request) or {}
    if data.get("mode") != "subscription":
        raise LS.UserError(400, "Only mode=subscription is supported here")
    items = data.get("line_items") or []
    if len(items) != 1 or not items[0].get("price"):
        raise LS.UserError(400, "line_items[0][price] is required")
    R.Plan._api_retrieve(items[0]["price"])  # 404 for an unknown price, as Stripe does
    customer = data.get("customer")
    if customer:
        R.Customer._api_retrieve(customer)
    subscription_data = data.get("subscription_data") or {}
    trial_end = subscription_data.get("trial_end")
    if trial_end is not None:
        try:
            trial_end = int(trial_end)
        except (TypeError, ValueError):
            raise LS.UserError(400, "Invalid integer: subscription_data[trial_end]") from None
        if trial_end < time.time() + CHECKOUT_MIN_TRIAL_SECONDS:
            raise LS.UserError(
                400, "subscription_data[trial_end] must be at least 48 hours in the future"
            )
    sid = _id("cs_test_")
    host = request.host
    session = {
        "id": sid,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "open",
        "payment_status": "unpaid",
        "customer": customer,
        "client_reference_id": data.get("client_reference_id"),
        "metadata": data.get("metadata") or {},
        "success_url": data.get("success_url"),
        "cancel_url": data.get("cancel_url"),
        "subscription": None,
        "url": f"http://{host}/_test/checkout/{sid}",
        "created": int(time.time()),
        "livemode": False,
        "_price": items[0]["price"],
        "_subscription_metadata": subscription_data.get("metadata") or {},
        "_trial_end": trial_end,
    }
    SESSIONS[sid] = session
    return _json(_public(session))


def _public(session: dict) -> dict:
    return {k: v for k, v in session.items() if not k.startswith("_")}


async def checkout_session_retrieve(request: web.Request) -> web.Response:
    session = SESSIONS.get(request.match_info["id"])
    if session is None:
        raise LS.UserError(404, "No such checkout.session")
    return _json(_public(session))


async def checkout_complete(request: web.Request) -> web.Response:
    """What the customer does on Stripe's hosted page: enter a card and pay. Creates the
    payment method and the subscription in localstripe, like Checkout would."""
    session = SESSIONS.get(request.match_info["id"])
    if session is None:
        raise LS.UserError(404, "No such checkout.session")
    data = await LS.get_post_data(request) or {}
    number = data.get("card", "4242424242424242")
    customer = session["customer"]
    if not customer:
        customer = R.Customer(email=data.get("email")).id
        session["customer"] = customer
    pm = R.PaymentMethod(
        type="card", card={"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
    )
    R.PaymentMethod._api_attach(pm.id, customer=customer)
    R.Customer._api_update(customer, invoice_settings={"default_payment_method": pm.id})
    params = {
        "customer": customer,
        "items": [{"plan": session["_price"]}],
        "metadata": session["_subscription_metadata"],
    }
    if session["_trial_end"] is not None:
        sub = TrialingSubscription(**params, trial_end=session["_trial_end"])
        payment_status = "no_payment_required"
    else:
        sub = R.Subscription(**params)
        payment_status = "paid" if sub.status == "active" else "unpaid"
    session["subscription"] = sub.id
    session["status"] = "complete"
    session["payment_status"] = payment_status
    return _json(_public(session))


async def portal_session_create(request: web.Request) -> web.Response:
    data = await LS.get_post_data(request) or {}
    if not data.get("customer"):
        raise LS.UserError(400, "customer is required")
    R.Customer._api_retrieve(data["customer"])
    sid = _id("bps_")
    return _json(
        {
            "id": sid,
            "object": "billing_portal.session",
            "customer": data["customer"],
            "return_url": data.get("return_url"),
            "url": f"http://{request.host}/_test/portal/{sid}",
            "created": int(time.time()),
            "livemode": False,
        }
    )


async def subscription_update(request: web.Request) -> web.Response:
    """Accept today's parameters (items[][price], proration_behavior) and hand
    localstripe its older ones (items[][plan], prorate)."""
    data = await LS.get_post_data(request) or {}
    data.pop("expand", None)
    for item in data.get("items") or []:
        if "price" in item:
            item["plan"] = item.pop("price")
    behaviour = data.pop("proration_behavior", None)
    if behaviour is not None:
        data["prorate"] = behaviour != "none"
    obj = R.Subscription._api_update(request.match_info["id"], **data)
    return _json(obj._export())


def build_app() -> web.Application:
    app = web.Application(middlewares=[LS.error_middleware, LS.auth_middleware])
    app.router.add_post("/v1/checkout/sessions", checkout_session_create)
    app.router.add_get("/v1/checkout/sessions/{id}", checkout_session_retrieve)
    app.router.add_post("/v1/billing_portal/sessions", portal_session_create)
    app.router.add_post("/v1/subscriptions/{id}", subscription_update)
    app.router.add_post("/_test/checkout/{id}/complete", checkout_complete)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # localstripe's sync handlers
        _copy_routes(app)
    return app


def _copy_routes(app: web.Application) -> None:
    for route in LS.app.router.routes():
        info = route.resource.get_info()
        path = info.get("path") or info.get("formatter")
        if path is None or route.method == "HEAD":
            continue
        app.router.add_route(route.method, path, route.handler)


class LocalStripeServer:
    """Start with ``start()``; ``url`` is the API base; ``call(fn)`` runs ``fn`` on the
    server's loop (for direct localstripe manipulation, e.g. swapping a card)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.url = ""
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    def start(self) -> LocalStripeServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    async def _start(self) -> None:
        self._runner = web.AppRunner(build_app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def call(self, fn, *args, **kwargs):
        async def run():
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
