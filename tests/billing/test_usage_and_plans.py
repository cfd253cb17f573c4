"""Active-member usage: the daily count, the over-limit banner/flag, plan changes."""

import pytest

from billing import services
from billing.models import Plan, Subscription
from billing.selectors import operator_flags
from billing.tasks import billing_usage_count_task
from billing.usage import active_member_count
from core.common.errors import ApplicationError

from .conftest import add_active_members


def test_count_is_per_cooperative_schema(tenant_a, tenant_b):
    add_active_members(tenant_a, 3)
    assert active_member_count(cooperative=tenant_a) == 3
    assert active_member_count(cooperative=tenant_b) == 0


def test_plan_change_below_member_count_is_refused_with_the_reason(
    tenant_a, subscription_a, admin_a
):
    add_active_members(tenant_a, 101)
    Subscription.objects.filter(pk=subscription_a.pk).update(plan=Plan.objects.get(code="sedang"))
    subscription_a.refresh_from_db()
    with pytest.raises(ApplicationError) as err:
        services.plan_change(
            subscription=subscription_a,
            plan=Plan.objects.get(code="kecil"),
            interval="month",
            by=admin_a,
        )
    assert err.value.code == "plan_below_member_count"
    assert "101" in err.value.message and "100" in err.value.message
    subscription_a.refresh_from_db()
    assert subscription_a.plan.code == "sedang"


def test_plan_change_refusal_is_shown_on_the_billing_page(admin_client_a, tenant_a, subscription_a):
    add_active_members(tenant_a, 101)
    Subscription.objects.filter(pk=subscription_a.pk).update(plan=Plan.objects.get(code="sedang"))
    kecil = Plan.objects.get(code="kecil")
    response = admin_client_a.post(
        "/langganan/paket/", {"plan": kecil.pk, "interval": "month"}, follow=True
    )
    body = response.content.decode()
    assert "101 anggota aktif" in body
    assert Subscription.objects.get(pk=subscription_a.pk).plan.code == "sedang"
    # paying for a too-small plan is refused the same way
    admin_client_a.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": kecil.pk, "interval": "month"}
    )
    assert not subscription_a.invoices.exists()


def test_plan_change_up_is_recorded(subscription_a, admin_a):
    from core.audit.models import AuditEvent

    besar = Plan.objects.get(code="besar")
    services.plan_change(subscription=subscription_a, plan=besar, interval="year", by=admin_a)
    subscription_a.refresh_from_db()
    assert subscription_a.plan == besar and subscription_a.interval == "year"
    assert AuditEvent.objects.filter(action="billing.plan_changed").exists()


def test_daily_count_flags_over_limit_never_blocks_and_clears(
    tenant_a, subscription_a, admin_client_a
):
    add_active_members(tenant_a, 101)
    result = billing_usage_count_task.apply().get()
    assert result["counted"] >= 2 and result["failed"] == 0
    sub = Subscription.objects.get(pk=subscription_a.pk)
    assert sub.active_members == 101 and sub.is_over_limit
    assert sub in operator_flags()["over_limit"]
    page = admin_client_a.get("/langganan/")
    assert "melebihi batas paket" in page.content.decode()
    # never blocks: writes still go through the middleware
    assert (
        admin_client_a.post(
            "/langganan/paket/", {"plan": Plan.objects.get(code="sedang").pk}
        ).status_code
        == 302
    )
    sub.refresh_from_db()
    assert sub.plan.code == "sedang" and not sub.is_over_limit  # moving up clears the flag
    billing_usage_count_task.apply().get()
    sub.refresh_from_db()
    assert not sub.is_over_limit


def test_new_cooperative_hook_is_registered(settings):
    assert "billing.services.trial_start" in settings.TENANT_PROVISIONED_HOOKS


def test_trial_start_is_idempotent(tenant_a, subscription_a):
    assert services.trial_start(cooperative=tenant_a).pk == subscription_a.pk
    assert Subscription.objects.filter(cooperative=tenant_a).count() == 1
