"""The demo cooperative (``seed_demo``) was active with MRR Rp 0: a trial row marked
active, never billed. It is now seeded paying like a real one: the cheapest plan its
active members fit, monthly, by bank transfer, an invoice issued and its transfer
confirmed by the demo's operator through the same services an operator's click uses."""

import pytest
from django.conf import settings
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice, Subscription
from billing.selectors import mrr_billed
from lumbung.console.models import TenantStats

pytestmark = pytest.mark.django_db


def _as_seed_demo_made_it(coop) -> Subscription:
    """cooperative_create(status=ACTIVE) + trial_start: active, a trial end, no period."""
    Subscription.objects.filter(cooperative=coop).update(
        status="active", current_period_end=None, provider=""
    )
    return Subscription.objects.get(cooperative=coop)


def test_seed_demo_runs_the_billing_seed_in_the_public_schema():
    assert "billing.services.demo_subscription_seed" in settings.DEMO_PUBLIC_SEEDERS


def test_the_demo_pays_a_real_plan_by_transfer_and_has_its_mrr(tenant_a, operator):
    sub = _as_seed_demo_made_it(tenant_a)
    assert mrr_billed(subscription=sub) == 0  # what the console showed

    billing.demo_subscription_seed(cooperative=tenant_a, operator=operator)

    sub.refresh_from_db()
    [invoice] = Invoice.objects.filter(subscription=sub)
    assert invoice.status == Invoice.Status.PAID and invoice.provider == "bank_transfer"
    assert invoice.confirmed_by == operator and invoice.reference
    assert invoice.interval == "month" and invoice.plan == sub.plan
    assert sub.active_members is not None and sub.plan.allows(sub.active_members)
    assert (sub.status, sub.provider) == ("active", "bank_transfer")
    assert sub.current_period_end > timezone.now() + timezone.timedelta(days=27)
    mrr = mrr_billed(subscription=sub)
    assert mrr == invoice.dpp > 0
    assert TenantStats.objects.get(cooperative=tenant_a).mrr == mrr


def test_seeding_again_bills_nothing_more(tenant_a, operator):
    _as_seed_demo_made_it(tenant_a)
    billing.demo_subscription_seed(cooperative=tenant_a, operator=operator)
    billing.demo_subscription_seed(cooperative=tenant_a, operator=operator)
    assert Invoice.objects.filter(subscription__cooperative=tenant_a).count() == 1
