"""Cancelling a card subscription: the paid period runs out, then the normal grace; the
e-mail says what happened (not that a bill went unpaid)."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from billing.models import Subscription
from billing.providers.stripe_provider import stripe_client
from billing.services import billing_sweep
from tenants.models import Cooperative

from .test_checkout import subscribe


def test_cancel_at_period_end_is_shown_then_cancellation_runs_to_the_period_end(
    admin_client_a, stripe_plans, deliver, django_capture_on_commit_callbacks
):
    _, sub = subscribe(admin_client_a, deliver)
    client = stripe_client()
    client.v1.subscriptions.update(sub.stripe_subscription_id, {"cancel_at_period_end": True})
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.cancel_at_period_end and sub.status == "active"
    page = admin_client_a.get("/langganan/").content.decode()
    assert "langganan kartu berakhir" in page

    mail.outbox.clear()
    client.v1.subscriptions.cancel(sub.stripe_subscription_id)
    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.stripe_status == "canceled"
    assert sub.status == Subscription.Status.ACTIVE == Cooperative.objects.get(slug="alpha").status
    assert sub.current_period_end > timezone.now()
    [notice] = [m for m in mail.outbox if "dihentikan" in m.subject]
    assert "belum dibayar" not in notice.body and "sampai" in notice.body
    assert not [m for m in mail.outbox if "ditangguhkan" in m.subject]
    # A second copy of the event sends nothing more.
    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})
    assert len([m for m in mail.outbox if "dihentikan" in m.subject]) == 1

    end = sub.current_period_end
    billing_sweep(now=end - timedelta(hours=1))
    sub.refresh_from_db()
    assert sub.status == "active"
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep(now=end + timedelta(hours=1))
    sub.refresh_from_db()
    assert sub.status == "past_due"
    assert [m for m in mail.outbox if "berakhir" in m.subject]
    billing_sweep(now=end + timedelta(days=15))
    sub.refresh_from_db()
    assert sub.status == "suspended"
