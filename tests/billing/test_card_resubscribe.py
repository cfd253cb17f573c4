"""A card subscription cancelled while the period it paid for still runs, then a card set
up again: the new card is first charged when that period ends (as a card set up during
a trial or a period paid by transfer is: card_billing_start), never twice for the same
days. Once the paid period is over, the new card is charged at once."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone, translation

from billing import services
from billing.models import Invoice, Subscription
from billing.providers.stripe_provider import stripe_client
from core.audit.models import AuditEvent
from core.common.dates import format_date

from .test_checkout import subscribe


def _remote(stripe_id: str) -> dict:
    return stripe_client().v1.subscriptions.retrieve(stripe_id).to_dict()


def _page(client) -> str:
    return client.get("/langganan/").content.decode()


def _day(moment) -> str:
    with translation.override("id"):
        return format_date(timezone.localdate(moment))


def _audit_rows(tenant, action: str) -> list:
    """The cooperative's audit rows of ``action`` (written in its schema: the billing
    page is on its host), oldest first."""
    connection.set_tenant(tenant)
    try:
        return list(AuditEvent.objects.filter(action=action).order_by("pk"))
    finally:
        connection.set_schema_to_public()


def _paid_card(admin_client_a, deliver) -> tuple[Subscription, object]:
    """alpha pays a month by card (charged at once); returns it and the paid-until."""
    _, sub = subscribe(admin_client_a, deliver)
    remote = _remote(sub.stripe_subscription_id)
    assert remote["status"] == "active" and remote["latest_invoice"]
    assert sub.current_period_end > timezone.now() + timedelta(days=27)
    return sub, sub.current_period_end


def test_card_cancelled_inside_its_paid_period_then_set_up_again_is_charged_when_it_ends(
    admin_client_a, tenant_a, stripe_plans, deliver
):
    sub, paid_until = _paid_card(admin_client_a, deliver)
    old_id = sub.stripe_subscription_id
    stripe_client().v1.subscriptions.cancel(old_id)
    deliver("customer.subscription.deleted", {"id": old_id})
    sub.refresh_from_db()
    assert sub.stripe_status == "canceled" and sub.status == "active"
    invoices_before = Invoice.objects.filter(subscription=sub).count()

    # The page says when a card set up now would first be charged: when the paid month ends.
    page = _page(admin_client_a)
    assert f"Bayar dengan kartu sekarang: kartu baru ditagih mulai {_day(paid_until)}" in page

    _, sub = subscribe(admin_client_a, deliver, end_trial=False)

    assert sub.stripe_subscription_id != old_id
    remote = _remote(sub.stripe_subscription_id)
    assert remote["status"] == "trialing"
    assert remote["trial_end"] == int(paid_until.timestamp())
    assert remote["latest_invoice"] is None, "the new card was charged at once"
    assert sub.status == "active", "a paying cooperative is not put back on trial"
    assert sub.stripe_status == "trialing" and sub.current_period_end == paid_until
    assert Invoice.objects.filter(subscription=sub).count() == invoices_before
    assert f"kartu mulai ditagih {_day(paid_until)}" in _page(admin_client_a)
    started = _audit_rows(tenant_a, "billing.payment_started")[-1]
    assert started.data["billing_starts_at"] == paid_until.isoformat()


def test_card_set_to_end_at_period_end_then_set_up_again_is_charged_when_the_period_ends(
    admin_client_a, tenant_a, stripe_plans, deliver
):
    sub, paid_until = _paid_card(admin_client_a, deliver)
    old_id = sub.stripe_subscription_id
    stripe_client().v1.subscriptions.update(old_id, {"cancel_at_period_end": True})
    deliver("customer.subscription.updated", {"id": old_id})
    sub.refresh_from_db()
    assert sub.cancel_at_period_end and sub.stripe_status == "active"

    page = _page(admin_client_a)
    assert "langganan kartu berakhir" in page
    assert f"Bayar dengan kartu sekarang: kartu baru ditagih mulai {_day(paid_until)}" in page

    _, sub = subscribe(admin_client_a, deliver, end_trial=False)

    # The ending card is ended now (it charges nothing more either way): one card at a time.
    assert _remote(old_id)["status"] == "canceled"
    [ended] = _audit_rows(tenant_a, "billing.card_subscription_ended")
    assert ended.data["stripe_subscription"] == old_id
    assert sub.stripe_subscription_id != old_id
    remote = _remote(sub.stripe_subscription_id)
    assert remote["status"] == "trialing"
    assert remote["trial_end"] == int(paid_until.timestamp())
    assert remote["latest_invoice"] is None
    assert sub.status == "active" and sub.current_period_end == paid_until
    assert not sub.cancel_at_period_end
    # Stripe's event about the ended card changes nothing.
    deliver("customer.subscription.deleted", {"id": old_id})
    sub.refresh_from_db()
    assert sub.stripe_subscription_id == remote["id"] and sub.status == "active"


def test_card_set_up_again_after_the_paid_period_ended_is_charged_at_once(
    admin_client_a, admin_a, tenant_a, stripe_plans, deliver, clock
):
    sub, paid_until = _paid_card(admin_client_a, deliver)
    stripe_client().v1.subscriptions.cancel(sub.stripe_subscription_id)
    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})

    clock.now = paid_until + timedelta(hours=1)
    services.billing_sweep()
    sub.refresh_from_db()
    assert sub.status == "past_due"
    connection.set_tenant(tenant_a)  # a fresh session at the moved clock's time
    try:
        admin_client_a.force_login(admin_a)
    finally:
        connection.set_schema_to_public()
    assert "kartu baru ditagih mulai" not in _page(admin_client_a)

    _, sub = subscribe(admin_client_a, deliver, end_trial=False)

    remote = _remote(sub.stripe_subscription_id)
    assert remote["status"] == "active" and remote["latest_invoice"], "charged at once"
    assert not remote.get("trial_end")
    assert sub.status == "active" and sub.stripe_status == "active"


def test_the_period_a_card_paid_for_is_recorded_from_stripes_paid_invoice(
    admin_client_a, stripe_plans, deliver
):
    sub, paid_until = _paid_card(admin_client_a, deliver)
    assert sub.card_paid_until == paid_until  # Checkout reported its invoice paid
    Subscription.objects.filter(pk=sub.pk).update(card_paid_until=None)
    deliver("invoice.paid", {"id": _remote(sub.stripe_subscription_id)["latest_invoice"]})
    sub.refresh_from_db()
    assert sub.card_paid_until == paid_until


def test_a_card_on_trial_has_paid_for_nothing(admin_client_a, stripe_plans, deliver):
    _, sub = subscribe(admin_client_a, deliver, end_trial=False)
    assert sub.stripe_status == "trialing" and sub.status == "trial"
    assert sub.card_paid_until is None


def test_cards_paying_when_card_paid_until_was_added_are_marked_by_the_migration(
    admin_client_a, stripe_plans, deliver, tenant_b
):
    """Billing migration 0010: a card paying at the time (Stripe active, cooperative
    active) is paid until its period end; a cancelled card and a bank cooperative are
    not marked."""
    from importlib import import_module

    from django.apps import apps as django_apps

    sub, paid_until = _paid_card(admin_client_a, deliver)
    other = Subscription.objects.get(cooperative=tenant_b)
    Subscription.objects.filter(pk=other.pk).update(
        provider="stripe",
        stripe_subscription_id="sub_cancelled_before",
        stripe_status="canceled",
        status="active",
        current_period_end=paid_until,
    )
    Subscription.objects.update(card_paid_until=None)  # as the rows were before 0010

    import_module("billing.migrations.0010_subscription_card_paid_until").forwards(
        django_apps, None
    )

    sub.refresh_from_db()
    other.refresh_from_db()
    assert sub.card_paid_until == paid_until
    assert other.card_paid_until is None
