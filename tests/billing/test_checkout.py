"""Subscribing through Stripe Checkout, end to end against the local Stripe server."""

import json
import urllib.request

from django.core import mail

from billing.models import Invoice, Plan, Subscription, WebhookEvent
from tenants.models import Cooperative


def complete_checkout(url: str, card: str = "4242424242424242") -> dict:
    """The customer pays on the (local) hosted Checkout page."""
    data = f"card={card}".encode()
    req = urllib.request.Request(
        url + "/complete", data=data, headers={"Authorization": "Bearer sk_test_lumbung"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def subscribe(
    admin_client_a, deliver, plan_code="sedang", interval="month"
) -> tuple[dict, Subscription]:
    plan = Plan.objects.get(code=plan_code)
    response = admin_client_a.post(
        "/langganan/bayar/", {"provider": "stripe", "plan": plan.pk, "interval": interval}
    )
    assert response.status_code == 302, response.content
    session = complete_checkout(response.url)
    assert (
        deliver(
            "checkout.session.completed", {"id": session["id"], "object": "checkout.session"}
        ).status_code
        == 200
    )
    sub = Subscription.objects.select_related("cooperative", "plan").get(cooperative__slug="alpha")
    return session, sub


def test_subscribe_through_checkout_activates_the_cooperative(
    admin_client_a, stripe_plans, deliver, subscription_a
):
    session, sub = subscribe(admin_client_a, deliver)
    assert session["client_reference_id"] == "alpha"
    assert sub.status == Subscription.Status.ACTIVE
    assert sub.provider == "stripe"
    assert sub.stripe_customer_id == session["customer"]
    assert sub.stripe_subscription_id == session["subscription"]
    assert sub.plan.code == "sedang" and sub.interval == "month"
    assert sub.current_period_end is not None
    assert Cooperative.objects.get(slug="alpha").status == "active"
    event = WebhookEvent.objects.get(event_type="checkout.session.completed")
    assert event.valid and event.state == WebhookEvent.State.PROCESSED and event.subscription == sub


def test_invoice_paid_is_mirrored_as_a_receipt(admin_client_a, stripe_plans, deliver, stripe_api):
    from billing.providers.stripe_provider import stripe_client

    _, sub = subscribe(admin_client_a, deliver)
    stripe_sub = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    invoice_id = stripe_sub["latest_invoice"]
    assert deliver("invoice.paid", {"id": invoice_id, "object": "invoice"}).status_code == 200
    inv = Invoice.objects.get(stripe_invoice_id=invoice_id)
    assert inv.status == Invoice.Status.PAID
    assert inv.amount == Plan.objects.get(code="sedang").price_monthly
    pdf = admin_client_a.get(f"/langganan/tagihan/{inv.number}/pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = admin_client_a.get("/langganan/")
    assert inv.number in page.content.decode()
    assert not [m for m in mail.outbox if "gagal" in m.subject]


def test_portal_link_goes_to_stripe_customer_portal(
    admin_client_a, stripe_plans, deliver, stripe_api
):
    subscribe(admin_client_a, deliver)
    response = admin_client_a.post("/langganan/kelola/")
    assert response.status_code == 302
    assert response.url.startswith(stripe_api.url + "/_test/portal/bps_")


def test_plan_change_at_stripe_is_prorated(admin_client_a, stripe_plans, deliver, stripe_api):
    from billing.providers.stripe_provider import stripe_client, subscription_price_id

    _, sub = subscribe(admin_client_a, deliver, plan_code="kecil")
    besar = Plan.objects.get(code="besar")
    response = admin_client_a.post("/langganan/paket/", {"plan": besar.pk, "interval": "month"})
    assert response.status_code == 302
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id).to_dict()
    assert subscription_price_id(remote) == besar.stripe_price_monthly_id
    # localstripe records the unused time of the old plan as a proration credit item
    items = stripe_client().v1.invoice_items.list({"customer": sub.stripe_customer_id})
    assert any(i["proration"] and i["amount"] < 0 for i in items["data"])
    sub.refresh_from_db()
    assert sub.plan == besar


def test_paying_again_while_a_card_subscription_runs_is_refused(
    admin_client_a, stripe_plans, deliver
):
    _, sub = subscribe(admin_client_a, deliver)
    plan = Plan.objects.get(code="besar")
    for provider in ("stripe", "bank_transfer"):
        response = admin_client_a.post(
            "/langganan/bayar/",
            {"provider": provider, "plan": plan.pk, "interval": "month"},
            follow=True,
        )
        assert "Langganan dengan kartu masih berjalan" in response.content.decode()
    assert not sub.invoices.filter(provider="bank_transfer").exists()


def test_plan_changed_in_the_customer_portal_reaches_us_by_webhook(
    admin_client_a, stripe_plans, deliver
):
    from billing.providers.stripe_provider import stripe_client

    _, sub = subscribe(admin_client_a, deliver, plan_code="kecil")
    besar = Plan.objects.get(code="besar")
    client = stripe_client()
    remote = client.v1.subscriptions.retrieve(sub.stripe_subscription_id).to_dict()
    # what the Portal does at Stripe when the cooperative picks another plan
    client.v1.subscriptions.update(
        sub.stripe_subscription_id,
        {
            "items": [
                {"id": remote["items"]["data"][0]["id"], "price": besar.stripe_price_yearly_id}
            ]
        },
    )
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.plan == besar and sub.interval == "year"
