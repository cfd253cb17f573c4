"""Operator figures: churn counts only cooperatives that left; the overdue list gives
amounts and days; a paid card subscription ending at the period end is shown."""

from datetime import timedelta

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import Plan, Subscription
from lumbung.console import selectors

pytestmark = pytest.mark.django_db


def test_churn_counts_only_cooperatives_that_left(tenant_a, tenant_b):
    before = selectors.overview()["churned_30"]
    a = Subscription.objects.get(cooperative=tenant_a)
    b = Subscription.objects.get(cooperative=tenant_b)
    # alpha: suspended then paid off -> not churn; beta: archived -> churn
    billing.subscription_status_override(
        subscription=a, status="suspended", operator="ops", reason="x"
    )
    billing.subscription_status_override(subscription=a, status="trial", operator="ops", reason="y")
    billing.subscription_status_override(
        subscription=b, status="archived", operator="ops", reason="z"
    )
    assert selectors.overview()["churned_30"] == before + 1


def test_overview_lists_overdue_invoices_with_amounts_and_days(op_clients, tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    Subscription.objects.filter(pk=sub.pk).update(trial_ends_at=timezone.now())
    inv = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    inv.due_on = timezone.localdate() - timedelta(days=6)
    inv.save(update_fields=["due_on"])
    data = selectors.overview()
    [row] = [i for i in data["overdue"] if i.pk == inv.pk]
    assert row.days_overdue == 6
    assert data["overdue_amount"] >= inv.amount
    html = op_clients["billing"].get("/konsol/").content.decode()
    assert inv.number in html and "Hari terlambat" in html


def test_cancel_at_period_end_is_shown_to_the_operator(op_clients, tenant_a):
    Subscription.objects.filter(cooperative=tenant_a).update(
        cancel_at_period_end=True, current_period_end=timezone.now() + timedelta(days=9)
    )
    html = op_clients["billing"].get(f"/konsol/koperasi/{tenant_a.pk}/").content.decode()
    assert "berakhir di akhir periode" in html
