"""Reactivating from the console never gives access for good: a period end (the grace
the operator chooses, with a reason) and the daily sweep, whatever the provider."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing.models import Subscription
from billing.services import billing_sweep, subscription_status_override
from lumbung.console import services
from tenants.models import Cooperative

pytestmark = pytest.mark.django_db
REASON = "Ketua menelepon, pembayaran menyusul minggu ini"


def _archived_never_paid(coop):
    Subscription.objects.filter(cooperative=coop).update(
        trial_ends_at=timezone.now() - timedelta(days=200)
    )
    subscription_status_override(
        subscription=Subscription.objects.get(cooperative=coop),
        status="archived",
        operator="tests",
        reason="setup",
    )


def test_reactivating_an_archived_unpaid_cooperative_grants_only_the_chosen_grace(
    op_clients, tenant_a
):
    _archived_never_paid(tenant_a)
    page = op_clients["billing"].get(f"/konsol/koperasi/{tenant_a.pk}/reactivate/")
    assert 'name="days"' in page.content.decode()
    no_reason = op_clients["billing"].post(
        f"/konsol/koperasi/{tenant_a.pk}/reactivate/", {"confirm": "on", "days": 10}
    )
    assert no_reason.status_code == 200
    assert Cooperative.objects.get(pk=tenant_a.pk).status == "archived"

    resp = op_clients["billing"].post(
        f"/konsol/koperasi/{tenant_a.pk}/reactivate/",
        {"reason": REASON, "confirm": "on", "days": 10},
    )
    assert resp.status_code == 302
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert sub.status == "active" and sub.provider == ""
    assert sub.current_period_end is not None
    assert timezone.localdate(sub.current_period_end) == timezone.localdate() + timedelta(days=10)

    # The sweep looks at it again: nothing within the grace, past due after it, then
    # suspended after the normal grace.
    billing_sweep(now=timezone.now() + timedelta(days=5))
    assert Subscription.objects.get(cooperative=tenant_a).status == "active"
    billing_sweep(now=timezone.now() + timedelta(days=12))
    sub.refresh_from_db()
    assert sub.status == "past_due"
    billing_sweep(now=timezone.now() + timedelta(days=12 + 15))
    sub.refresh_from_db()
    assert sub.status == "suspended" == Cooperative.objects.get(pk=tenant_a.pk).status


def test_reactivation_keeps_a_paid_period_that_is_still_running(operators, tenant_a):
    end = timezone.now() + timedelta(days=40)
    Subscription.objects.filter(cooperative=tenant_a).update(
        provider="bank_transfer",
        current_period_end=end,
        trial_ends_at=timezone.now() - timedelta(days=1),
    )
    subscription_status_override(
        subscription=Subscription.objects.get(cooperative=tenant_a),
        status="suspended",
        operator="tests",
        reason="setup",
    )
    services.tenant_reactivate(
        operator=operators["billing"], cooperative=tenant_a, reason=REASON, days=3
    )
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert sub.status == "active" and sub.current_period_end == end


def test_sweep_covers_an_active_subscription_without_period_end_whatever_its_provider(
    tenant_a,
):
    Subscription.objects.filter(cooperative=tenant_a).update(
        status="active", provider="", current_period_end=None
    )
    billing_sweep(now=timezone.now())
    assert Subscription.objects.get(cooperative=tenant_a).status == "past_due"


def test_any_override_to_active_sets_a_period_end(tenant_a, settings):
    _archived_never_paid(tenant_a)
    sub = subscription_status_override(
        subscription=Subscription.objects.get(cooperative=tenant_a),
        status="active",
        operator="tests",
        reason="x",
    )
    assert sub.current_period_end > timezone.now()
    assert sub.current_period_end < timezone.now() + timedelta(
        days=settings.BILLING_REACTIVATION_GRACE_DAYS + 1
    )
