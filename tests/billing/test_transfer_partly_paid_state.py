"""A cooperative that chose bank transfer (a transfer invoice was issued for it) pays by
transfer from then on, also while that invoice is only partly paid
(billing.bank_transfer_receive): its subscription's ``provider`` is bank transfer, so a
plan change and the renewal sweep treat it as a transfer subscription. A plan change
voids the partly paid invoice of the old plan and keeps what came as credit; the sweep
then issues the renewal for the new plan with that credit taken off. (Before, the
provider stayed empty until an invoice was paid whole: the plan change left the old
plan's invoice open and the sweep issued nothing.)"""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice, Plan, Subscription

pytestmark = pytest.mark.django_db


def _plan(code: str) -> Plan:
    return Plan.objects.get(code=code)


def _received(sub: Subscription, operator, amount: int) -> Invoice:
    inv = billing.bank_invoice_issue(
        subscription=sub, plan=_plan("sedang"), interval="month", by="t"
    )
    billing.bank_transfer_receive(invoice=inv, operator=operator, amount=Decimal(amount))
    inv.refresh_from_db()
    return inv


def test_a_transfer_invoice_issued_makes_bank_transfer_the_way_of_paying(tenant_a, operator):
    sub = Subscription.objects.get(cooperative=tenant_a)
    assert sub.provider == ""
    inv = _received(sub, operator, 100_000)
    assert inv.status == Invoice.Status.OPEN and inv.amount_due == inv.amount - 100_000
    sub.refresh_from_db()
    assert sub.provider == Subscription.Provider.BANK_TRANSFER
    assert sub.get_provider_display() == "Transfer bank"


def test_a_plan_change_after_a_partly_paid_transfer_then_the_renewal_sweep(
    tenant_a, operator, clock
):
    """Active on a period an operator granted (no payment method recorded), the
    cooperative asks a transfer invoice for the next period, pays part of it, then
    changes plan; at the period's end the sweep issues the renewal for the new plan."""
    sub = Subscription.objects.get(cooperative=tenant_a)
    sub = billing.subscription_status_override(
        subscription=sub, status="active", operator=operator, reason="uji", grace_days=10
    )
    assert sub.provider == ""
    period_end = sub.current_period_end
    old = _received(sub, operator, 100_000)
    assert old.period_start == timezone.localdate(period_end) + timedelta(days=1)

    sub.refresh_from_db()
    billing.plan_change(subscription=sub, plan=_plan("besar"), interval="month", by="t")
    old.refresh_from_db()
    sub.refresh_from_db()
    # As for transfer: the old plan's invoice is not owed; what came is the credit.
    assert old.status == Invoice.Status.VOID
    assert billing.credit_balance(subscription=sub) == Decimal(100_000)
    assert (sub.plan.code, sub.interval) == ("besar", "month")

    clock.now = period_end - timedelta(days=1)
    counts = billing.billing_sweep(now=clock.now)
    assert counts["renewal_invoices"] == 1
    [renewal] = sub.invoices.filter(status=Invoice.Status.OPEN)
    assert renewal.plan.code == "besar" and renewal.provider == "bank_transfer"
    assert renewal.amount == Decimal(750_000)
    assert renewal.credit_applied == Decimal(100_000)
    assert renewal.amount_due == Decimal(650_000)
    assert renewal.period_start == old.period_start
    assert billing.credit_balance(subscription=sub) == 0


def test_the_migration_records_transfer_where_an_unpaid_transfer_invoice_shows_it(
    tenant_a, tenant_b, operator
):
    """billing 0028 on rows written before: a subscription with no provider and an
    unpaid transfer invoice is a transfer one; one whose card still bills, or with no
    transfer invoice, is left as it is."""
    from django.apps import apps

    migration = importlib.import_module("billing.migrations.0028_provider_transfer_chosen_backfill")
    chose = Subscription.objects.get(cooperative=tenant_a)
    _received(chose, operator, 100_000)
    untouched = Subscription.objects.get(cooperative=tenant_b)
    Subscription.objects.filter(pk__in=[chose.pk, untouched.pk]).update(provider="")
    migration.forwards(apps, None)
    chose.refresh_from_db()
    untouched.refresh_from_db()
    assert chose.provider == "bank_transfer"
    assert untouched.provider == ""

    Subscription.objects.filter(pk=chose.pk).update(
        provider="", stripe_subscription_id="sub_live", stripe_status="active"
    )
    migration.forwards(apps, None)
    chose.refresh_from_db()
    assert chose.provider == ""  # its card still bills


def test_migrating_to_0028_runs_its_backfill_over_the_rows(tenant_a, operator):
    """billing 0028 applied as ``migrate`` applies it (Django's executor, from 0027 on the
    public schema, inside the test's transaction), not only its function called: a
    migration whose operations lost the RunPython would leave the row as it was."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    sub = Subscription.objects.get(cooperative=tenant_a)
    _received(sub, operator, 100_000)
    with connection.cursor() as cur:  # the rows' deferred checks before any ALTER TABLE
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate([("billing", "0027_credit_entry_payment_received")])
    Subscription.objects.filter(pk=sub.pk).update(provider="")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("billing", "0028_provider_transfer_chosen_backfill")])
    sub.refresh_from_db()
    assert sub.provider == "bank_transfer"
