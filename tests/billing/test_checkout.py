"""Subscribing through Stripe Checkout, end to end against the local Stripe server."""

import json
import urllib.request
from datetime import timedelta

from django.core import mail
from django.utils import timezone

from billing import services
from billing.models import Invoice, Plan, Subscription, WebhookEvent
from billing.providers.stripe_provider import subscription_price_id
from tenants.models import Cooperative

from .stripe_server import R


def complete_checkout(url: str, card: str = "4242424242424242") -> dict:
    """The customer pays on the (local) hosted Checkout page."""
    data = f"card={card}".encode()
    req = urllib.request.Request(
        url + "/complete", data=data, headers={"Authorization": "Bearer sk_test_lumbung"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def subscribe(
    admin_client_a, deliver, plan_code="sedang", interval="month", *, end_trial=True
) -> tuple[dict, Subscription]:
    """alpha pays by card through Checkout. With ``end_trial`` its trial is over first, so
    the card is charged at once (a card started during the trial, or while a period is
    paid by transfer, is first charged when that ends: card_billing_start)."""
    if end_trial:
        Subscription.objects.filter(cooperative__slug="alpha", status="trial").update(
            trial_ends_at=timezone.now()
        )
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


# -- a card started while something is covered is first charged when that ends ----------


def _remote(stripe_id: str) -> dict:
    from billing.providers.stripe_provider import stripe_client

    return stripe_client().v1.subscriptions.retrieve(stripe_id).to_dict()


def test_card_started_while_a_bank_year_is_paid_is_first_charged_when_the_year_ends(
    admin_client_a, stripe_plans, deliver, subscription_a, operator
):
    from .conftest import pay_by_bank

    Subscription.objects.filter(pk=subscription_a.pk).update(trial_ends_at=timezone.now())
    pay_by_bank(subscription_a, "sedang", "year", operator)
    subscription_a.refresh_from_db()
    paid_until = subscription_a.current_period_end
    assert paid_until > timezone.now() + timedelta(days=300)
    page = admin_client_a.get("/langganan/").content.decode()
    assert "Bayar dengan kartu sekarang: kartu baru ditagih mulai" in page

    _, sub = subscribe(admin_client_a, deliver, plan_code="sedang", interval="month")

    remote = _remote(sub.stripe_subscription_id)
    assert remote["status"] == "trialing" and remote["trial_end"] == int(paid_until.timestamp())
    assert remote["latest_invoice"] is None  # nothing charged now
    assert sub.provider == "stripe" and sub.stripe_status == "trialing"
    assert sub.status == "active" == Cooperative.objects.get(slug="alpha").status
    assert sub.current_period_end == paid_until  # the paid year is kept
    assert sub.plan.code == "sedang" and sub.interval == "year"  # as paid
    assert sub.next_plan.code == "sedang" and sub.next_interval == "month"  # the card's
    assert "kartu mulai ditagih" in admin_client_a.get("/langganan/").content.decode()
    # the renewal invoice of the transfer years is not issued any more
    services.billing_sweep(now=paid_until - timedelta(days=3))
    assert not sub.invoices.filter(status="open").exists()


def test_card_on_another_plan_while_a_bank_year_is_paid_moves_the_plan_when_it_charges(
    admin_client_a, stripe_plans, deliver, subscription_a, operator, local_stripe
):
    from .conftest import pay_by_bank

    Subscription.objects.filter(pk=subscription_a.pk).update(trial_ends_at=timezone.now())
    pay_by_bank(subscription_a, "kecil", "year", operator)
    subscription_a.refresh_from_db()
    paid_until = subscription_a.current_period_end

    _, sub = subscribe(admin_client_a, deliver, plan_code="besar", interval="month")
    assert sub.plan.code == "kecil", "no free upgrade for the year paid at the kecil price"
    assert sub.next_plan.code == "besar" and sub.next_interval == "month"
    assert sub.current_period_end == paid_until and sub.status == "active"

    # The trial ends at Stripe: the card pays and its plan applies.
    local_stripe.call(
        lambda: setattr(
            R.Subscription._api_retrieve(sub.stripe_subscription_id), "status", "active"
        )
    )
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.plan.code == "besar" and sub.interval == "month" and sub.next_plan is None
    assert sub.current_period_end == paid_until  # never earlier than what was paid


def test_trial_cooperative_paying_by_card_keeps_its_remaining_trial_days(
    admin_client_a, stripe_plans, deliver, subscription_a
):
    trial_end = subscription_a.trial_ends_at
    assert trial_end > timezone.now() + timedelta(days=20)

    _, sub = subscribe(admin_client_a, deliver, end_trial=False)

    remote = _remote(sub.stripe_subscription_id)
    assert remote["status"] == "trialing" and remote["trial_end"] == int(trial_end.timestamp())
    assert remote["latest_invoice"] is None
    assert sub.status == "trial" and sub.stripe_status == "trialing"
    assert int(sub.trial_ends_at.timestamp()) == int(trial_end.timestamp())
    assert sub.current_period_end == sub.trial_ends_at
    assert sub.plan.code == "sedang"
    page = admin_client_a.get("/langganan/").content.decode()
    assert "kartu mulai ditagih" in page


def test_card_billing_start_is_the_end_of_what_is_covered_and_at_least_48_hours_ahead(
    subscription_a, operator
):
    from .conftest import pay_by_bank

    now = timezone.now()
    start = services.card_billing_start
    assert start(subscription=subscription_a, now=now) == subscription_a.trial_ends_at
    subscription_a.trial_ends_at = now + timedelta(hours=5)
    assert start(subscription=subscription_a, now=now) == now + timedelta(hours=48, minutes=5)
    subscription_a.trial_ends_at = now
    assert start(subscription=subscription_a, now=now) is None
    subscription_a.save()
    pay_by_bank(subscription_a, "sedang", "month", operator)
    subscription_a.refresh_from_db()
    assert subscription_a.status == "active"
    assert start(subscription=subscription_a, now=now) == subscription_a.current_period_end


def test_stripe_sync_never_moves_the_period_end_before_what_was_paid_by_transfer(
    subscription_a, operator, stripe_plans
):
    from .conftest import pay_by_bank

    pay_by_bank(subscription_a, "sedang", "year", operator)
    subscription_a.refresh_from_db()
    paid_until = subscription_a.current_period_end
    plan = Plan.objects.get(code="sedang")
    month_ahead = int((timezone.now() + timedelta(days=30)).timestamp())
    stripe_sub = {
        "id": "sub_charged_now",
        "customer": "cus_alpha",
        "status": "active",
        "current_period_end": month_ahead,
        "items": {"data": [{"price": {"id": plan.stripe_price_monthly_id}}]},
    }
    sub = services.subscription_sync_stripe(subscription=subscription_a, stripe_sub=stripe_sub)
    assert sub.current_period_end == paid_until and sub.status == "active"


def test_trial_will_end_of_a_card_deferred_by_a_paid_period_sends_no_trial_mail(
    admin_client_a, stripe_plans, deliver, subscription_a, operator
):
    """Stripe's trial_will_end for a card deferred to the end of a bank period is not
    the cooperative's trial ending: no "uji coba" e-mail."""
    from .conftest import pay_by_bank

    Subscription.objects.filter(pk=subscription_a.pk).update(trial_ends_at=timezone.now())
    pay_by_bank(subscription_a, "sedang", "year", operator)
    _, sub = subscribe(admin_client_a, deliver, plan_code="sedang", interval="month")
    assert sub.stripe_status == "trialing" and sub.status == "active"
    mail.outbox.clear()
    deliver("customer.subscription.trial_will_end", {"id": sub.stripe_subscription_id})
    subjects = [m.subject for m in mail.outbox]
    assert not [s for s in subjects if "uji coba" in s], subjects


def test_sync_between_the_paid_end_and_the_deferred_card_start_keeps_the_cooperative_active(
    subscription_a, operator, stripe_plans
):
    """The 48-hour minimum can defer the card past the paid period's end: Stripe still
    says trialing then, and a sync must not make the paying cooperative a trial."""
    from .conftest import pay_by_bank

    Subscription.objects.filter(pk=subscription_a.pk).update(trial_ends_at=timezone.now())
    inv = pay_by_bank(subscription_a, "sedang", "month", operator)
    now = timezone.now()
    # the bank period ended an hour ago; the card (started 40 h before that, so deferred
    # to now + 48h at checkout) is still trialing at Stripe for a few more hours
    Invoice.objects.filter(pk=inv.pk).update(period_end=timezone.localdate(now) - timedelta(days=1))
    Subscription.objects.filter(pk=subscription_a.pk).update(
        current_period_end=now + timedelta(hours=5)
    )
    subscription_a.refresh_from_db()
    plan = Plan.objects.get(code="sedang")
    stripe_sub = {
        "id": "sub_deferred",
        "customer": "cus_alpha",
        "status": "trialing",
        "trial_start": int((now - timedelta(hours=43)).timestamp()),
        "trial_end": int((now + timedelta(hours=5)).timestamp()),
        "current_period_end": int((now + timedelta(hours=5)).timestamp()),
        "items": {"data": [{"price": {"id": plan.stripe_price_monthly_id}}]},
    }
    sub = services.subscription_sync_stripe(subscription=subscription_a, stripe_sub=stripe_sub)
    assert sub.status == "active", sub.status


def test_plan_change_while_the_card_waits_for_a_bank_paid_year_applies_when_the_card_charges(
    admin_client_a, stripe_plans, deliver, subscription_a, operator
):
    """A card set up during a year paid by transfer charges nothing until the year ends:
    "Ganti paket" then must not move the cooperative to a dearer plan for free for the
    rest of the year it paid at the cheaper price; the change applies when the card
    starts charging."""
    from .conftest import pay_by_bank

    Subscription.objects.filter(pk=subscription_a.pk).update(trial_ends_at=timezone.now())
    pay_by_bank(subscription_a, "kecil", "year", operator)
    _, sub = subscribe(admin_client_a, deliver, plan_code="kecil", interval="year")
    assert sub.stripe_status == "trialing" and sub.plan.code == "kecil"
    paid_until = sub.current_period_end
    besar = Plan.objects.get(code="besar")

    response = admin_client_a.post("/langganan/paket/", {"plan": besar.pk, "interval": "year"})
    assert response.status_code == 302

    sub.refresh_from_db()
    assert sub.plan.code == "kecil", "no free upgrade for the year paid at the kecil price"
    assert sub.next_plan == besar and sub.next_interval == "year"
    remote = _remote(sub.stripe_subscription_id)
    assert subscription_price_id(remote) == besar.stripe_price_yearly_id  # moved at Stripe
    # Stripe's own report of the change keeps it for when the card charges
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.plan.code == "kecil" and sub.next_plan == besar
    assert sub.current_period_end == paid_until
