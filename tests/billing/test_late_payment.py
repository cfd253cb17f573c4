"""Paying a stale bank invoice: the paid period runs from the payment date, so an active
subscription always has a period end ahead of it."""

from datetime import timedelta

from django.utils import timezone

from billing import services
from billing.models import Invoice, Subscription
from tests.billing.conftest import pay_by_bank


def test_late_payment_of_a_stale_renewal_invoice_runs_from_the_payment_date(
    tenant_a, operator, clock
):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    first = pay_by_bank(sub, "kecil", "month", operator)
    sub.refresh_from_db()
    end = sub.current_period_end

    clock.now = end - timedelta(days=10)
    services.billing_sweep(now=clock.now)  # renewal invoice issued
    renewal = Invoice.objects.get(subscription=sub, status="open")
    assert renewal.period_start == first.period_end + timedelta(days=1)

    clock.now = end + timedelta(days=50)  # past due, suspended, the whole period gone
    services.billing_sweep(now=end + timedelta(days=1))
    services.billing_sweep(now=clock.now)
    sub.refresh_from_db()
    assert sub.status == "suspended"

    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    sub.refresh_from_db()
    renewal.refresh_from_db()
    today = timezone.localdate()
    assert sub.status == "active"
    assert renewal.period_start == today
    assert renewal.period_end == services.add_months(today, 1) - timedelta(days=1)
    assert timezone.localdate(sub.current_period_end) == renewal.period_end
    assert sub.current_period_end > clock.now + timedelta(days=26)
    services.billing_sweep(now=clock.advance(days=1))
    sub.refresh_from_db()
    assert sub.status == "active"


def test_payment_within_the_period_keeps_the_invoiced_period(tenant_a, operator, clock):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    pay_by_bank(sub, "kecil", "month", operator)
    sub.refresh_from_db()
    end = sub.current_period_end
    clock.now = end - timedelta(days=10)
    services.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, status="open")
    period = (renewal.period_start, renewal.period_end)
    clock.advance(days=3)
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    renewal.refresh_from_db()
    assert (renewal.period_start, renewal.period_end) == period
