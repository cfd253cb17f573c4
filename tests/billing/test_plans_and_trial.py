from datetime import timedelta

from django.utils import timezone

from billing.models import Plan, Subscription
from billing.selectors import plans_public


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
