"""Payment failure -> past_due -> suspended -> pay -> active, with the e-mails."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from billing.models import Invoice, Subscription
from billing.services import billing_sweep
from tenants.models import Cooperative

from .stripe_server import R
from .test_checkout import subscribe


def _set_card(customer: str, number: str) -> None:
    pm = R.PaymentMethod(
        type="card", card={"number": number, "exp_month": "12", "exp_year": "2030", "cvc": "123"}
    )
    R.PaymentMethod._api_attach(pm.id, customer=customer)
    R.Customer._api_update(customer, invoice_settings={"default_payment_method": pm.id})


def _renewal_attempt(customer: str, subscription: str) -> str:
    """Stripe's renewal: a new invoice for the subscription, charged to the default card.
    localstripe's /pay does not report a declined charge to the subscription, so the
    failure is reported the way its own subscription renewal does (-> past_due)."""
    invoice = R.Invoice._api_create(customer=customer, subscription=subscription)
    R.Invoice._api_pay_invoice(invoice.id)
    if invoice.status != "paid":
        invoice._on_payment_failure_now()
    return invoice.id


def _status(slug="alpha") -> str:
    return Cooperative.objects.get(slug=slug).status


def test_failed_payment_past_due_then_suspended_then_paying_restores(
    admin_client_a, stripe_plans, deliver, local_stripe, django_capture_on_commit_callbacks
):
    _, sub = subscribe(admin_client_a, deliver)
    assert _status() == "active"
    mail.outbox.clear()

    # The card starts declining; the renewal fails.
    local_stripe.call(_set_card, sub.stripe_customer_id, "4000000000000341")
    invoice_id = local_stripe.call(
        _renewal_attempt, sub.stripe_customer_id, sub.stripe_subscription_id
    )
    assert deliver("invoice.payment_failed", {"id": invoice_id}).status_code == 200
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.PAST_DUE == _status()
    assert sub.stripe_status == "past_due"
    assert Invoice.objects.get(stripe_invoice_id=invoice_id).status == Invoice.Status.OPEN
    assert [m.subject for m in mail.outbox if "gagal" in m.subject], [
        m.subject for m in mail.outbox
    ]
    # past_due: a banner, everything works
    page = admin_client_a.get("/langganan/")
    assert "Pembayaran langganan terlambat" in page.content.decode()

    # Within the grace period nothing changes; after it, read-only.
    assert billing_sweep(now=timezone.now() + timedelta(days=3))["suspended"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert billing_sweep(now=timezone.now() + timedelta(days=15))["suspended"] == 1
    assert _status() == "suspended"
    assert [m for m in mail.outbox if "ditangguhkan" in m.subject]
    # A late "past_due" state from Stripe does not undo the suspension.
    deliver("invoice.payment_failed", {"id": invoice_id})
    assert _status() == "suspended"
    refused = admin_client_a.post("/langganan/paket/", {"plan": sub.plan_id, "interval": "year"})
    assert refused.status_code == 403

    # The cooperative fixes the card and pays: access is back at once.
    local_stripe.call(_set_card, sub.stripe_customer_id, "4242424242424242")
    local_stripe.call(R.Invoice._api_pay_invoice, invoice_id)
    mail.outbox.clear()
    assert deliver("invoice.paid", {"id": invoice_id}).status_code == 200
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE == _status()
    assert sub.past_due_since is None and sub.suspended_since is None
    assert Invoice.objects.get(stripe_invoice_id=invoice_id).status == Invoice.Status.PAID
    assert [m for m in mail.outbox if "dipulihkan" in m.subject]

    # The old failure event arriving late (a new event id) changes nothing now.
    mail.outbox.clear()
    assert deliver("invoice.payment_failed", {"id": invoice_id}).status_code == 200
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.ACTIVE == _status()
    assert not mail.outbox


def test_trial_will_end_sends_the_trial_ending_email(
    stripe_plans, deliver, subscription_a, local_stripe
):
    from billing.providers.stripe_provider import StripeProvider, stripe_client

    customer = StripeProvider().customer_ensure(subscription=subscription_a)
    remote = stripe_client().v1.subscriptions.create(
        {
            "customer": customer,
            "items": [{"plan": subscription_a.plan.stripe_price_monthly_id}],
            "trial_period_days": 30,
        }
    )
    # localstripe leaves trial subscriptions "incomplete"; Stripe says "trialing".
    local_stripe.call(
        lambda: setattr(R.Subscription._api_retrieve(remote["id"]), "status", "trialing")
    )
    mail.outbox.clear()
    deliver("customer.subscription.trial_will_end", {"id": remote["id"]})
    subscription_a.refresh_from_db()
    assert subscription_a.stripe_status == "trialing" and subscription_a.status == "trial"
    assert subscription_a.stripe_subscription_id == remote["id"]
    assert [m for m in mail.outbox if "uji coba" in m.subject]


def test_expired_trial_without_payment_goes_past_due_then_suspended(subscription_a):
    later = subscription_a.trial_ends_at + timedelta(days=1)
    billing_sweep(now=timezone.now())
    assert _status() == "trial"
    billing_sweep(now=later)
    assert _status() == "past_due"
    billing_sweep(now=later + timedelta(days=13))
    assert _status() == "past_due"
    billing_sweep(now=later + timedelta(days=15))
    assert _status() == "suspended"


def test_long_suspension_archives_and_blocks_login(subscription_a, client_a, admin_password):
    start = subscription_a.trial_ends_at + timedelta(days=1)
    billing_sweep(now=start)
    billing_sweep(now=start + timedelta(days=15))
    assert _status() == "suspended"
    Subscription.objects.filter(pk=subscription_a.pk).update(archive_after_days=30)
    billing_sweep(now=start + timedelta(days=15 + 29))
    assert _status() == "suspended"
    billing_sweep(now=start + timedelta(days=15 + 31))
    assert _status() == "archived"
    login = client_a.post("/masuk/", {"username": "admin@alpha.test", "password": admin_password})
    assert login.status_code == 403
    assert "diarsipkan" in login.content.decode()
    api = client_a.get("/api/v1/me/", HTTP_ACCEPT="application/json")
    assert api.json()["error"]["code"] == "tenant_archived"


def test_trial_ending_notice_is_sent_once(subscription_a, django_capture_on_commit_callbacks):
    near = subscription_a.trial_ends_at - timedelta(days=2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep(now=near)
        billing_sweep(now=near + timedelta(hours=1))
    mine = [m for m in mail.outbox if "uji coba" in m.subject and "alpha.test" in m.to[0]]
    assert len(mine) == 1


def test_a_trial_with_a_card_whose_stripe_reports_were_lost_still_ends_after_the_grace(
    subscription_a, settings
):
    """A card set up during the trial is charged by Stripe when the trial ends; if that
    report never arrives (a lost webhook) the trial must not last for ever: after the
    grace days it ends as an active period's would (billing.services.daily._period_over)."""
    Subscription.objects.filter(pk=subscription_a.pk).update(
        stripe_subscription_id="sub_lost", stripe_status="trialing", provider="stripe"
    )
    end = subscription_a.trial_ends_at
    grace = timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    billing_sweep(now=end + timedelta(days=1))
    assert _status() == "trial", "Stripe's own report is awaited for the grace days"
    billing_sweep(now=end + grace + timedelta(days=1))
    assert _status() == "past_due"


def test_a_trial_whose_card_was_cancelled_still_gets_the_trial_ending_notice_and_banner(
    subscription_a, admin_client_a, django_capture_on_commit_callbacks
):
    """Stripe warns of a trial's end only for a card still on trial: once that card is
    cancelled, the cooperative is warned by us, as one that never set up a card."""
    Subscription.objects.filter(pk=subscription_a.pk).update(
        stripe_subscription_id="sub_cancelled", stripe_status="canceled", provider="stripe"
    )
    near = subscription_a.trial_ends_at - timedelta(days=2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep(now=near)
    assert [m for m in mail.outbox if "uji coba" in m.subject and "alpha.test" in m.to[0]]
    Subscription.objects.filter(pk=subscription_a.pk).update(
        trial_ends_at=timezone.now() + timedelta(days=2)
    )
    page = admin_client_a.get("/anggota/").content.decode()
    assert "Masa uji coba berakhir dalam" in page
