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


# -- archived or suspended by an operator: Stripe's state does not undo it ------------------


def _archive(tenant, django_capture_on_commit_callbacks):
    from lumbung.console import services as console
    from tests.console.conftest import make_operator

    admin = make_operator("admin", "archiver@ops.test")
    with django_capture_on_commit_callbacks(execute=True):
        console.tenant_archive(
            operator=admin, cooperative=tenant, reason="Koperasi dibubarkan (RAT)"
        )
    return admin


def test_archiving_a_card_cooperative_ends_its_card_subscription(
    admin_client_a, stripe_plans, deliver, tenant_a, django_capture_on_commit_callbacks
):
    from core.audit.models import AuditEvent

    _, sub = subscribe(admin_client_a, deliver)
    _archive(tenant_a, django_capture_on_commit_callbacks)

    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote["status"] == "canceled"  # Stripe bills the card no more
    sub.refresh_from_db()
    assert sub.status == "archived" == Cooperative.objects.get(pk=tenant_a.pk).status
    assert sub.stripe_status == "canceled" and sub.provider == "stripe"
    ended = AuditEvent.objects.get(action="billing.card_subscription_ended")
    assert ended.reason == "Koperasi dibubarkan (RAT)" and ended.actor_label == "archiver@ops.test"
    # Stripe's events about the ended subscription change nothing
    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    assert Cooperative.objects.get(pk=tenant_a.pk).status == "archived"


def test_an_archived_cooperative_is_never_reactivated_by_stripe_and_its_card_is_ended(
    admin_client_a,
    stripe_plans,
    deliver,
    tenant_a,
    settings,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from billing.tasks import card_subscription_cancel_task

    _, sub = subscribe(admin_client_a, deliver)
    api = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # Stripe unreachable when archiving
    monkeypatch.setattr(card_subscription_cancel_task, "max_retries", 1)
    _archive(tenant_a, django_capture_on_commit_callbacks)  # no error: retried, then logged

    sub.refresh_from_db()
    assert sub.status == "archived" and sub.stripe_status == "active"
    settings.STRIPE_API_BASE = api
    assert stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)["status"] == (
        "active"
    )
    # Stripe's next routine event (e.g. the renewal) neither un-archives the cooperative
    # nor keeps billing it: the card subscription is ended then.
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    assert Cooperative.objects.get(pk=tenant_a.pk).status == "archived"
    sub.refresh_from_db()
    assert sub.status == "archived" and sub.stripe_status == "canceled"
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote["status"] == "canceled"


def test_a_suspension_by_an_operator_is_not_lifted_by_a_card_payment(
    admin_client_a, stripe_plans, deliver, tenant_a, django_capture_on_commit_callbacks
):
    from lumbung.console import services as console
    from tests.console.conftest import make_operator

    _, sub = subscribe(admin_client_a, deliver)
    admin = make_operator("admin", "suspender@ops.test")
    with django_capture_on_commit_callbacks(execute=True):
        console.tenant_suspend(operator=admin, cooperative=tenant_a, reason="Sengketa pengurus")
    sub.refresh_from_db()
    assert sub.status == "suspended" and sub.suspended_by_operator

    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.status == "suspended" == Cooperative.objects.get(pk=tenant_a.pk).status
    assert sub.stripe_status == "active"  # a suspension does not end the card

    console.tenant_reactivate(operator=admin, cooperative=tenant_a, reason="Sengketa selesai")
    sub.refresh_from_db()
    assert sub.status == "active" and not sub.suspended_by_operator


def test_a_suspension_for_an_unpaid_bill_is_lifted_when_the_card_pays(
    admin_client_a, stripe_plans, deliver, tenant_a
):
    _, sub = subscribe(admin_client_a, deliver)
    now = timezone.now()
    Subscription.objects.filter(pk=sub.pk).update(
        status="suspended", past_due_since=now, suspended_since=now
    )
    Cooperative.objects.filter(pk=tenant_a.pk).update(status="suspended")
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.status == "active" == Cooperative.objects.get(pk=tenant_a.pk).status


def test_suspensions_made_before_the_flag_are_marked_by_the_data_migration(
    admin_client_a, stripe_plans, deliver, tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    """Billing migration 0009: a subscription an operator suspended before 0008 is marked
    (Stripe then no longer lifts it); one the daily sweep suspended for an unpaid bill is
    not."""
    from importlib import import_module

    from django.apps import apps as django_apps

    from billing.services.common import _status_set
    from lumbung.console import services as console
    from tests.console.conftest import make_operator

    _, sub = subscribe(admin_client_a, deliver)
    with django_capture_on_commit_callbacks(execute=True):
        console.tenant_suspend(
            operator=make_operator("admin", "old-suspender@ops.test"),
            cooperative=tenant_a,
            reason="Sengketa pengurus",
        )
    swept = Subscription.objects.get(cooperative=tenant_b)
    with django_capture_on_commit_callbacks(execute=True):
        _status_set(sub=swept, status="suspended", reason="Tagihan belum dibayar", actor="system")
    # as the rows were before 0008
    Subscription.objects.filter(pk__in=[sub.pk, swept.pk]).update(suspended_by_operator=False)

    migration = import_module("billing.migrations.0009_suspended_by_operator_backfill")
    migration.forwards(django_apps, None)

    sub.refresh_from_db()
    swept.refresh_from_db()
    assert sub.suspended_by_operator and not swept.suspended_by_operator
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    assert Cooperative.objects.get(pk=tenant_a.pk).status == "suspended"


def test_a_retried_archive_cancel_after_reactivation_leaves_the_card(
    admin_client_a,
    stripe_plans,
    deliver,
    tenant_a,
    settings,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    """Archived with Stripe down, then reactivated: the archive's cancel task, retried
    later, leaves the card of the now active cooperative alone."""
    from billing.tasks import card_subscription_cancel_task
    from lumbung.console import services as console
    from tests.console.conftest import make_operator

    _, sub = subscribe(admin_client_a, deliver)
    api = settings.STRIPE_API_BASE
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # Stripe down: the task will retry later
    monkeypatch.setattr(card_subscription_cancel_task, "max_retries", 0)
    admin = make_operator("admin", "arch-probe@ops.test")
    with django_capture_on_commit_callbacks(execute=True):
        console.tenant_archive(operator=admin, cooperative=tenant_a, reason="Salah arsip")
    settings.STRIPE_API_BASE = api
    console.tenant_reactivate(operator=admin, cooperative=tenant_a, reason="Arsip keliru")
    sub.refresh_from_db()
    assert sub.status == "active"
    # the queued retry runs after the reactivation
    card_subscription_cancel_task.apply(args=(sub.pk, "Salah arsip", "arch-probe@ops.test"))
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote["status"] == "active", "an active cooperative's card was ended"
