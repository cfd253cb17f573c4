"""An upgrade while a monthly and a yearly renewal for the same first day are both on
their way (proofs awaiting the operator, or one paid): those are one period bought twice
(the one confirmed last runs, the other is credited), so the upgrade bills the plan
difference for that period once, never once per invoice. Whatever the operator does next
(confirms both in either order, rejects one, a plan change voids one), the cooperative
pays for that period the price of the plan it runs on, once."""

from decimal import Decimal

import pytest
from django.utils import timezone

from billing import selectors, services
from billing.models import CreditEntry, Invoice, Plan
from core.common.money import format_rupiah
from tests.billing.test_credit import (
    _balance,
    _paid_sedang_yearly,
    _period_begins,
    _png,
    _renewal_issued,
    _to_transfer,
    _upgrade,
)
from tests.billing.test_upgrade_awaiting_renewal import _page

SEDANG_MONTH, SEDANG_YEAR = Decimal(350_000), Decimal(3_500_000)
BESAR_MONTH, BESAR_YEAR = Decimal(750_000), Decimal(7_500_000)


def _rest_of_year(first) -> Decimal:
    return services.proration_amount(
        old_price=SEDANG_YEAR,
        new_price=BESAR_YEAR,
        period_start=first.period_start,
        period_end=first.period_end,
        today=timezone.localdate(),
    )


def _monthly_for_same_day(sub) -> Invoice:
    monthly = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="admin"
    )
    return monthly


def _both_awaiting(tenant_a, operator, clock):
    """Sedang paid yearly; ten days before the renewal the yearly renewal and a monthly
    invoice for the same first day are both transferred (proofs awaiting)."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    yearly = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=yearly, upload=_png(), by="bendahara", amount_claimed=yearly.amount_due
    )
    monthly = _monthly_for_same_day(sub)
    assert monthly.period_start == yearly.period_start and monthly.interval == "month"
    services.bank_proof_upload(
        invoice=monthly, upload=_png(), by="bendahara", amount_claimed=monthly.amount_due
    )
    return sub, first, yearly, monthly


def _refresh(*invoices):
    for inv in invoices:
        inv.refresh_from_db()


def _paid_for_period(sub, start) -> Decimal:
    """What the cooperative paid for the period beginning on ``start`` and was not
    credited back: the subscription invoice for it that still counts as paid, and the
    differences paid upgrades billed for it, not credited since."""
    invoices = (
        Invoice.objects.filter(subscription=sub, status="paid", period_start=start)
        .exclude(credit_entries__reason="duplicate_payment")
        .distinct()
    )
    lines = selectors.upgrade_differences_for(subscription=sub, period_start=start)
    return sum((i.amount for i in invoices), Decimal(0)) + sum(
        (line.amount for line in lines), Decimal(0)
    )


def test_an_upgrade_bills_the_difference_for_a_period_bought_monthly_and_yearly_once(
    tenant_a, operator, clock, client_a, admin_a
):
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)

    # The rest of this year on Besar, and the next period's difference once: for the
    # invoice issued last (the monthly one), not also for the yearly one.
    assert upgrade.amount == _rest_of_year(first) + (BESAR_MONTH - SEDANG_MONTH)
    [part] = upgrade.differences.all()
    assert (part.renewal, part.amount) == (monthly, BESAR_MONTH - SEDANG_MONTH)
    page = _page(client_a, tenant_a, admin_a)
    assert f"Transfer {format_rupiah(upgrade.amount)} ke" in page
    assert page.count(f"ditagih pada {upgrade.number}") == 1
    assert selectors.invoice_numbers_covered_by(subscription=sub, upgrade=upgrade) == [
        monthly.number
    ]


def test_an_upgrade_after_both_were_confirmed_bills_only_the_period_that_runs(
    tenant_a, operator, clock
):
    """Both transfers were confirmed (the monthly one last: the yearly one is credited),
    then the cooperative upgrades: the credited yearly renewal is not topped up."""
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    services.bank_transfer_confirm(invoice=yearly, operator=operator)
    services.bank_transfer_confirm(invoice=monthly, operator=operator)
    assert _balance(sub) == SEDANG_YEAR

    upgrade = _upgrade(sub)
    assert upgrade.amount == _rest_of_year(first) + (BESAR_MONTH - SEDANG_MONTH)


@pytest.mark.parametrize("last", ["month", "year"])
@pytest.mark.parametrize("upgrade_paid_first", [True, False])
def test_both_confirmed_the_period_costs_the_plan_it_runs_on_once(
    tenant_a, operator, clock, last, upgrade_paid_first
):
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    order = [yearly, monthly] if last == "month" else [monthly, yearly]
    if upgrade_paid_first:
        order.insert(0, upgrade)
    else:
        order.append(upgrade)
    for inv in order:
        inv.refresh_from_db()
        if inv.status != Invoice.Status.PAID:  # the upgrade may be paid by the credit
            services.bank_transfer_confirm(invoice=inv, operator=operator)
    _refresh(yearly, monthly, upgrade)
    assert upgrade.status == Invoice.Status.PAID

    start = yearly.period_start
    if last == "month":
        # The month runs on Besar: Sedang's month + the difference = Besar's month.
        assert _balance(sub) + upgrade.credit_applied == SEDANG_YEAR
        expected_plan, price = ("besar", "month"), BESAR_MONTH
    else:
        # The year runs on Sedang as transferred: the month and its difference back.
        assert _balance(sub) + upgrade.credit_applied == SEDANG_MONTH + (BESAR_MONTH - SEDANG_MONTH)
        expected_plan, price = ("sedang", "year"), SEDANG_YEAR
    assert _paid_for_period(sub, start) == price
    _period_begins(clock, yearly)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval) == expected_plan
    assert sub.status == "active"
    # Never below zero, never more than paid: the ledger adds up.
    assert sum(e.amount for e in CreditEntry.objects.filter(subscription=sub)) == _balance(sub)


def test_the_topped_up_transfer_rejected_and_the_other_confirmed_gives_the_difference_back(
    tenant_a, operator, clock
):
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    services.bank_transfer_reject(invoice=monthly, operator=operator, reason="tidak ada")
    services.bank_transfer_confirm(invoice=yearly, operator=operator)
    _refresh(yearly, monthly)

    assert monthly.status == Invoice.Status.VOID
    assert _balance(sub) == BESAR_MONTH - SEDANG_MONTH
    assert _paid_for_period(sub, yearly.period_start) == SEDANG_YEAR
    _period_begins(clock, yearly)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval) == ("sedang", "year")


def test_the_other_transfer_rejected_keeps_the_difference_on_the_period_it_topped_up(
    tenant_a, operator, clock
):
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    services.bank_transfer_reject(invoice=yearly, operator=operator, reason="tidak ada")
    services.bank_transfer_confirm(invoice=monthly, operator=operator)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    _refresh(yearly)

    assert yearly.status == Invoice.Status.VOID  # the period is paid by the monthly one
    assert _balance(sub) == 0
    assert _paid_for_period(sub, monthly.period_start) == BESAR_MONTH
    _period_begins(clock, monthly)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval) == ("besar", "month")


def test_the_upgrade_paid_after_the_period_it_topped_up_was_cancelled_gives_it_back_at_once(
    tenant_a, operator, clock
):
    """The monthly transfer the difference topped up is rejected and voided (the yearly
    one paid the period) while the upgrade is still unpaid: the upgrade is paid as
    issued, and the difference for a period that runs on another invoice comes back as
    credit at once."""
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    services.bank_transfer_reject(invoice=monthly, operator=operator, reason="tidak ada")
    services.bank_transfer_confirm(invoice=yearly, operator=operator)
    monthly.refresh_from_db()
    assert monthly.status == Invoice.Status.VOID
    assert _balance(sub) == 0

    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    assert _balance(sub) == BESAR_MONTH - SEDANG_MONTH
    assert _paid_for_period(sub, yearly.period_start) == SEDANG_YEAR
    sub.refresh_from_db()
    assert sub.plan.code == "besar"  # the rest of this year, paid
    _period_begins(clock, yearly)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval) == ("sedang", "year")


def test_going_back_to_the_plan_voids_the_unpaid_upgrade_and_bills_nothing(
    tenant_a, operator, clock
):
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    upgrade.refresh_from_db()
    assert upgrade.status == Invoice.Status.VOID
    services.bank_transfer_confirm(invoice=monthly, operator=operator)
    services.bank_transfer_confirm(invoice=yearly, operator=operator)
    assert _balance(sub) == SEDANG_MONTH
    assert _to_transfer(yearly) == SEDANG_YEAR


def test_both_transfers_rejected_then_paid_by_card_gives_the_paid_difference_back(
    tenant_a, operator, clock, client_a, admin_a, stripe_plans, deliver
):
    """The upgrade is paid, both transfers for the next period are rejected, then the
    cooperative pays by card from that period on: the open invoices are void, and the
    difference paid for the period (the monthly one's) comes back as credit, once."""
    from tests.billing.test_checkout import subscribe

    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    for inv in (yearly, monthly):
        services.bank_transfer_reject(invoice=inv, operator=operator, reason="tidak ada")
    assert _balance(sub) == 0

    _page(client_a, tenant_a, admin_a)  # logged in after the clock moved
    _, sub = subscribe(client_a, deliver, plan_code="besar", interval="year", end_trial=False)
    _refresh(yearly, monthly)
    assert (yearly.status, monthly.status) == (Invoice.Status.VOID, Invoice.Status.VOID)
    entry = CreditEntry.objects.get(subscription=sub, reason="upgrade_difference")
    assert (entry.invoice, entry.amount) == (upgrade, BESAR_MONTH - SEDANG_MONTH)
    assert _balance(sub) == BESAR_MONTH - SEDANG_MONTH
    page = _page(client_a, tenant_a, admin_a)
    assert f"Saldo kredit: <strong>{format_rupiah(BESAR_MONTH - SEDANG_MONTH)}</strong>" in page


def test_a_second_upgrade_tops_up_the_same_invoice_from_the_plan_already_paid(
    tenant_a, operator, clock
):
    """After the upgrade to Besar is paid, the cooperative upgrades again to Tanpa Batas:
    the next period's difference is billed once more only from Besar, for the invoice the
    first upgrade topped up; the period then costs Tanpa Batas's price, once."""
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    second = _upgrade(sub, "tanpa-batas")
    top = Plan.objects.get(code="tanpa-batas")

    [line] = second.differences.all()
    assert (line.renewal, line.amount) == (monthly, top.price_monthly - BESAR_MONTH)
    for inv in (second, yearly, monthly):
        inv.refresh_from_db()
        if inv.status != Invoice.Status.PAID:
            services.bank_transfer_confirm(invoice=inv, operator=operator)
    assert _paid_for_period(sub, monthly.period_start) == top.price_monthly
    _period_begins(clock, monthly)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval) == ("tanpa-batas", "month")
