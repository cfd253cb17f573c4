"""The Stripe webhook: signatures, storage, replay, order, unknown input."""

import time

from django.utils import timezone

from billing.models import Subscription, WebhookEvent
from billing.providers.stripe_provider import stripe_client

from .test_checkout import subscribe


def test_bad_signature_is_refused_and_nothing_is_stored_as_valid(
    deliver, stripe_api, subscription_a
):
    response = deliver(
        "customer.subscription.deleted", {"id": "sub_forged"}, secret="whsec_not_the_secret"
    )
    assert response.status_code == 400
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert not row.valid and row.state == WebhookEvent.State.REJECTED
    assert "SignatureVerificationError" in row.error
    assert row.raw_body and "Stripe-Signature" in row.headers
    assert not WebhookEvent.objects.filter(valid=True).exists()
    subscription_a.refresh_from_db()
    assert subscription_a.status == Subscription.Status.TRIAL


def test_missing_or_stale_signature_is_refused(deliver, stripe_api):
    stale = deliver("invoice.paid", {"id": "in_x"}, timestamp=int(time.time()) - 3600)
    missing = deliver("invoice.paid", {"id": "in_y"}, signature="-")
    assert stale.status_code == missing.status_code == 400
    assert WebhookEvent.objects.filter(valid=False).count() == 2
    assert not WebhookEvent.objects.filter(valid=True).exists()


def test_wrong_path_token_is_404(client_public, stripe_api):
    response = client_public.post(
        "/billing/webhooks/stripe/guess/", data="{}", content_type="application/json"
    )
    assert response.status_code == 404


def test_replayed_event_is_stored_once_and_processed_once(admin_client_a, stripe_plans, deliver):
    session, sub = subscribe(admin_client_a, deliver)
    first = WebhookEvent.objects.get(event_type="checkout.session.completed")
    again = deliver("checkout.session.completed", {"id": session["id"]}, event_id=first.event_id)
    assert again.status_code == 200
    assert WebhookEvent.objects.filter(event_id=first.event_id, valid=True).count() == 1
    first.refresh_from_db()
    assert first.attempts == 1 and first.state == WebhookEvent.State.PROCESSED


def test_unknown_event_type_is_stored_and_ignored(deliver, stripe_api):
    response = deliver("charge.dispute.created", {"id": "dp_1"})
    assert response.status_code == 200
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.valid and row.state == WebhookEvent.State.IGNORED and not row.flagged


def test_event_for_unknown_customer_is_stored_and_flagged(stripe_plans, deliver, subscription_a):
    client = stripe_client()
    stranger = client.v1.customers.create({"email": "asing@example.test"})
    plan = subscription_a.plan
    # A customer nobody here knows, with a trial subscription (no card needed).
    remote = client.v1.subscriptions.create(
        {
            "customer": stranger["id"],
            "items": [{"plan": plan.stripe_price_monthly_id}],
            "trial_period_days": 30,
        }
    )
    response = deliver("customer.subscription.created", {"id": remote["id"]})
    assert response.status_code == 200
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.flagged and stranger["id"] in row.flag_reason
    assert row.state == WebhookEvent.State.IGNORED
    subscription_a.refresh_from_db()
    assert subscription_a.stripe_subscription_id is None


def test_events_out_of_order_end_in_the_state_stripe_has_now(admin_client_a, stripe_plans, deliver):
    _, sub = subscribe(admin_client_a, deliver)
    client = stripe_client()
    client.v1.subscriptions.cancel(sub.stripe_subscription_id)
    # The deletion arrives first, then the (older) "updated" and "created" events.
    deliver(
        "customer.subscription.deleted", {"id": sub.stripe_subscription_id, "status": "canceled"}
    )
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id, "status": "active"})
    deliver("customer.subscription.created", {"id": sub.stripe_subscription_id, "status": "active"})
    sub.refresh_from_db()
    sub.cooperative.refresh_from_db()
    assert sub.stripe_status == "canceled"
    # What was paid runs to its end (issue 27 #4): still active, and the sweep follows.
    assert sub.status == Subscription.Status.ACTIVE == sub.cooperative.status


def test_webhook_answers_without_processing_inline(client_public, stripe_api, settings):
    """The request only stores; processing is queued after commit."""
    from .conftest import signed_event

    body, header, eid = signed_event("invoice.paid", {"id": "in_later"})
    response = client_public.post(
        f"/billing/webhooks/stripe/{settings.BILLING_WEBHOOK_PATH_TOKEN}/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )
    assert response.status_code == 200
    row = WebhookEvent.objects.get(event_id=eid)
    assert row.valid and row.state == WebhookEvent.State.RECEIVED and row.attempts == 0


def test_failed_processing_is_recorded_and_can_be_retried(deliver, stripe_api, subscription_a):
    # an invoice of ours that Stripe cannot find (one nobody here knows is ignored:
    # test_webhook_unknown_object.py)
    Subscription.objects.filter(pk=subscription_a.pk).update(
        stripe_subscription_id="sub_ours", stripe_customer_id="cus_ours"
    )
    response = deliver("invoice.paid", {"id": "in_does_not_exist", "customer": "cus_ours"})
    assert response.status_code == 200
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.state == WebhookEvent.State.FAILED
    assert "Not Found" in row.error and row.attempts == 1
    assert row.processed_at is None


def test_redelivery_of_an_unprocessed_event_processes_it_once(
    admin_client_a, stripe_plans, deliver, client_public, settings
):
    from billing.models import Plan

    from .conftest import signed_event
    from .test_checkout import complete_checkout

    # the trial is over: the card is charged at once (during a trial it starts trialing)
    Subscription.objects.filter(cooperative__slug="alpha").update(trial_ends_at=timezone.now())
    plan = Plan.objects.get(code="kecil")
    response = admin_client_a.post(
        "/langganan/bayar/", {"provider": "stripe", "plan": plan.pk, "interval": "month"}
    )
    session = complete_checkout(response.url)
    body, header, eid = signed_event("checkout.session.completed", {"id": session["id"]})
    url = f"/billing/webhooks/stripe/{settings.BILLING_WEBHOOK_PATH_TOKEN}/"
    # first delivery stored, but its task never ran (e.g. the broker lost it)
    client_public.post(
        url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )
    assert WebhookEvent.objects.get(event_id=eid).state == WebhookEvent.State.RECEIVED
    deliver("checkout.session.completed", {"id": session["id"]}, event_id=eid)
    deliver("checkout.session.completed", {"id": session["id"]}, event_id=eid)
    row = WebhookEvent.objects.get(event_id=eid)
    assert row.state == WebhookEvent.State.PROCESSED and row.attempts == 1
    assert Subscription.objects.get(cooperative__slug="alpha").status == "active"


def test_unreachable_stripe_is_retried_then_left_failed(
    deliver, stripe_api, settings, subscription_a
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    response = deliver("customer.subscription.updated", {"id": "sub_x"})
    assert response.status_code == 200  # answering never depends on Stripe
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.state == WebhookEvent.State.FAILED and "APIConnectionError" in row.error
    assert row.attempts > 1  # retried by the task


def _post_raw(client_public, body: bytes, signature: str):
    from django.conf import settings as dj_settings

    client_public.raise_request_exception = False
    return client_public.post(
        f"/billing/webhooks/stripe/{dj_settings.BILLING_WEBHOOK_PATH_TOKEN}/",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )


def test_body_with_a_nul_byte_is_stored_escaped_and_refused_with_400(client_public, stripe_api):
    response = _post_raw(
        client_public, b'{"id": "evt_nul\x00", "type": "invoice.paid"}', "t=1,v1=00"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    row = WebhookEvent.objects.get()
    assert not row.valid and row.state == WebhookEvent.State.REJECTED
    assert "\x00" not in row.raw_body and 'evt_nul\\x00"' in row.raw_body


def test_signed_event_whose_id_carries_a_nul_is_refused_with_400(client_public, stripe_api):
    import stripe

    from .conftest import WEBHOOK_SECRET

    body = '{"id": "evt_\\u0000x", "object": "event", "type": "invoice.paid", "data": {}}'
    header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
    response = _post_raw(client_public, body.encode(), header)
    assert response.status_code == 400
    row = WebhookEvent.objects.get()
    assert not row.valid and row.event_id == "evt_\\x00x"
    assert "valid 'id'" in row.error
    # signed, so not a signature problem: Stripe's dashboard shows what was wrong
    assert response.json()["error"] == {
        "code": "invalid_event",
        "message": "event without a valid 'id'",
    }


def test_a_second_card_subscription_from_a_double_checkout_is_flagged_for_operators(
    admin_client_a, stripe_plans, deliver, subscription_a
):
    """Two Checkout pages opened before either was paid (a double click, two tabs) give
    two card subscriptions, both charging the card every month. Ours stays the first;
    the second must not be dropped silently: operators see it flagged."""
    from billing.models import Plan

    from .test_checkout import complete_checkout

    Subscription.objects.filter(pk=subscription_a.pk).update(trial_ends_at=timezone.now())
    plan = Plan.objects.get(code="sedang")
    pages = [
        admin_client_a.post(
            "/langganan/bayar/", {"provider": "stripe", "plan": plan.pk, "interval": "month"}
        )
        for _ in range(2)
    ]
    assert [p.status_code for p in pages] == [302, 302]
    sessions = [complete_checkout(p.url) for p in pages]
    for session in sessions:
        deliver("checkout.session.completed", {"id": session["id"], "object": "checkout.session"})

    subscription_a.refresh_from_db()
    first, second = (s["subscription"] for s in sessions)
    assert subscription_a.stripe_subscription_id == first
    flagged = WebhookEvent.objects.filter(flagged=True)
    assert flagged.count() == 1
    assert second in flagged.get().flag_reason and first in flagged.get().flag_reason
    assert flagged.get().subscription == subscription_a
