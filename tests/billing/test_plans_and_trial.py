from datetime import timedelta

import pytest
from django.utils import timezone

from billing import services
from billing.models import Plan, Subscription
from billing.selectors import plans_public
from tests.billing.conftest import login_operator


def test_plans_are_seeded_by_tiers_of_active_members(db):
    plans = plans_public()
    assert [p.max_members for p in plans] == [100, 500, 2000, None]
    assert all(p.price_yearly > p.price_monthly > 0 for p in plans)
    assert all(p.features for p in plans)


def test_inactive_plan_is_not_public(db):
    Plan.objects.filter(code="besar").update(is_active=False)
    assert "besar" not in [p.code for p in plans_public()]


def test_new_cooperative_gets_a_30_day_trial_without_card(tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert sub.status == Subscription.Status.TRIAL == tenant_a.status
    assert sub.provider == "" and sub.stripe_customer_id is None
    assert abs(sub.trial_ends_at - (sub.created_at + timedelta(days=30))) < timedelta(minutes=1)
    assert sub.trial_ends_at > timezone.now()


def test_operator_edits_a_plan_price_and_stripe_prices_are_renewed(
    client_public, operator, stripe_plans, django_capture_on_commit_callbacks, eager_tasks
):
    from core.audit.models import AuditEvent

    plan = Plan.objects.get(code="sedang")
    old_price_id = plan.stripe_price_monthly_id
    yearly_id = plan.stripe_price_yearly_id
    login_operator(client_public, operator)
    assert client_public.get("/billing/operator/paket/").status_code == 200
    form = {
        "name": "Sedang",
        "max_members": "600",
        "price_monthly": "400000",
        "price_yearly": str(plan.price_yearly),
        "prices_include_ppn": "on",  # unchanged: the price still includes PPN
        "is_active": "on",
        "sort_order": "20",
        "features_text": "Sampai 600 anggota aktif\nPortal anggota",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_public.post(f"/billing/operator/paket/{plan.pk}/", form)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.max_members == 600 and plan.price_monthly == 400000
    assert plan.features == ["Sampai 600 anggota aktif", "Portal anggota"]
    assert plan.stripe_price_monthly_id and plan.stripe_price_monthly_id != old_price_id
    assert plan.stripe_price_yearly_id == yearly_id  # unchanged price keeps its Stripe price
    assert AuditEvent.objects.filter(action="billing.plan_saved", actor=operator).exists()


def test_plan_prices_must_be_whole_rupiah(client_public, operator):
    plan = Plan.objects.get(code="kecil")
    login_operator(client_public, operator)
    response = client_public.post(
        f"/billing/operator/paket/{plan.pk}/",
        {
            "name": "Kecil",
            "max_members": "100",
            "price_monthly": "150000.50",
            "price_yearly": "1500000",
            "sort_order": "10",
        },
    )
    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.price_monthly == 150000


@pytest.mark.parametrize(
    ("monthly", "yearly"),
    [("Rp 400.000", "4,800,000"), ("400.000,-", "Rp. 4.800.000,00"), ("400000", "4 800 000")],
)
def test_plan_prices_are_read_as_people_type_rupiah(client_public, operator, monthly, yearly):
    """The same reader as every money field (parse_rupiah): before, 400.000 was refused
    as having decimals and Rp 400.000 as not a number."""
    plan = Plan.objects.get(code="kecil")
    login_operator(client_public, operator)
    response = client_public.post(
        f"/billing/operator/paket/{plan.pk}/",
        {
            "name": "Kecil",
            "max_members": "100",
            "price_monthly": monthly,
            "price_yearly": yearly,
            "sort_order": "10",
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    plan.refresh_from_db()
    assert (plan.price_monthly, plan.price_yearly) == (400_000, 4_800_000)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("150.000,50", "harus rupiah utuh, tanpa sen"),
        ("-150.000", "tidak boleh negatif"),
        ("seratus", "bukan angka rupiah yang jelas"),
    ],
)
def test_a_bad_plan_price_is_refused_with_its_reason(client_public, operator, typed, message):
    plan = Plan.objects.get(code="kecil")
    login_operator(client_public, operator)
    response = client_public.post(
        f"/billing/operator/paket/{plan.pk}/",
        {
            "name": "Kecil",
            "max_members": "100",
            "price_monthly": typed,
            "price_yearly": "1500000",
            "sort_order": "10",
        },
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert Plan.objects.get(pk=plan.pk).price_monthly == 150000


@pytest.mark.parametrize("typed", ["seratus", "150.000,50", "-1"])
def test_plan_save_refuses_a_price_that_is_not_whole_rupiah(operator, typed):
    """Called by code (not the form): a clear error, never a 500 (InvalidOperation)."""
    from core.common.errors import ApplicationError

    plan = Plan.objects.get(code="kecil")
    with pytest.raises(ApplicationError) as refused:
        services.plan_save(operator=operator, plan=plan, price_monthly=typed)
    assert "price_monthly" in refused.value.fields
    assert Plan.objects.get(pk=plan.pk).price_monthly == 150000


def test_cooperative_admin_cannot_edit_plans(client_public, db):
    from core.users.models import User

    someone = User.objects.create_user(username="bukan-operator@x.test", password="x-Sandi-123")
    client_public.force_login(someone)
    assert client_public.get("/billing/operator/paket/").status_code == 403


def test_trial_extend_allows_a_cooperative_whose_card_subscription_was_cancelled(
    tenant_a, operator
):
    """A card set up during the trial (first charge deferred to the trial's end) and
    cancelled before it charged anything: nothing bills the cooperative, so the operator
    may extend its trial. The id of the cancelled card subscription stays on the row."""
    from billing import services

    Subscription.objects.filter(cooperative=tenant_a).update(
        stripe_customer_id="cus_cancelled",
        stripe_subscription_id="sub_cancelled",
        stripe_status="canceled",
        provider=Subscription.Provider.BANK_TRANSFER,
    )
    sub = Subscription.objects.get(cooperative=tenant_a)
    before = sub.trial_ends_at

    sub = services.trial_extend(subscription=sub, days=10, operator=operator, reason="uji")

    assert sub.trial_ends_at - before == timedelta(days=10)
    assert Subscription.objects.get(pk=sub.pk).trial_ends_at == sub.trial_ends_at


@pytest.mark.parametrize("stripe_status", ["trialing", "active", "past_due", "unpaid"])
def test_trial_extend_refuses_a_card_subscription_that_still_bills(
    tenant_a, operator, stripe_status
):
    from billing import services
    from core.common.errors import ApplicationError

    Subscription.objects.filter(cooperative=tenant_a).update(
        stripe_customer_id="cus_live",
        stripe_subscription_id="sub_live",
        stripe_status=stripe_status,
        provider=Subscription.Provider.STRIPE,
    )
    sub = Subscription.objects.get(cooperative=tenant_a)
    before = sub.trial_ends_at

    with pytest.raises(ApplicationError) as refused:
        services.trial_extend(subscription=sub, days=10, operator=operator, reason="uji")

    assert "kartu" in refused.value.message
    assert Subscription.objects.get(pk=sub.pk).trial_ends_at == before
