"""An upgrade while the renewal's transfer proof awaits the operator: the renewal was
transferred at the old plan's price (the operator checks that amount against the bank
statement, so it is kept as it is), and the upgrade's prorated invoice carries the
difference for that next period too. Every period is paid at the plan it runs on, once,
whichever order the operator confirms the two in."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from billing import services
from billing.models import Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from tests.billing.conftest import pay_by_bank


def _page(client, tenant, user) -> str:
    """The billing page, logged in after the clock moved (a fresh session)."""
    from django.db import connection

    connection.set_tenant(tenant)
    client.force_login(user)
    connection.set_schema_to_public()
    return client.get("/langganan/").content.decode()


def _png():
    return SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")


def _upgrade_while_renewal_awaits(tenant_a, operator, clock):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    first = pay_by_bank(sub, "sedang", "year", operator)
    sub.refresh_from_db()
    clock.now = sub.current_period_end - timedelta(days=10)
    services.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, status="open")
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.AWAITING
    assert renewal.amount == Decimal(3_500_000)
    besar = Plan.objects.get(code="besar")
    sub.refresh_from_db()
    services.plan_change(subscription=sub, plan=besar, interval="year", by="admin")
    sub.refresh_from_db()
    upgrade = Invoice.objects.get(subscription=sub, kind=Invoice.Kind.PRORATION)
    return sub, first, renewal, upgrade, besar


def test_upgrade_invoices_the_difference_for_the_period_whose_renewal_awaits_the_operator(
    tenant_a, operator, clock
):
    sub, first, renewal, upgrade, besar = _upgrade_while_renewal_awaits(tenant_a, operator, clock)
    renewal.refresh_from_db()
    # The transfer on its way is for the renewal as issued: kept, proof and all.
    assert renewal.status == Invoice.Status.AWAITING and renewal.amount == Decimal(3_500_000)
    assert renewal.proofs.count() == 1
    rest_of_year = services.proration_amount(
        old_price=Decimal(3_500_000),
        new_price=Decimal(7_500_000),
        period_start=first.period_start,
        period_end=first.period_end,
        today=timezone.localdate(),
    )
    assert upgrade.amount == rest_of_year + Decimal(7_500_000 - 3_500_000)
    assert upgrade.period_end == renewal.period_end
    audit = AuditEvent.objects.get(action="billing.plan_upgrade_invoiced")
    assert audit.data["invoice"] == upgrade.number
    assert audit.data["covers"] == [renewal.number]


@pytest.mark.parametrize("upgrade_first", [True, False])
def test_the_next_period_runs_on_the_upgrade_once_both_are_paid_in_either_order(
    tenant_a, operator, clock, upgrade_first
):
    sub, first, renewal, upgrade, besar = _upgrade_while_renewal_awaits(tenant_a, operator, clock)
    order = [upgrade, renewal] if upgrade_first else [renewal, upgrade]

    services.bank_transfer_confirm(invoice=order[0], operator=operator)
    sub.refresh_from_db()
    # Paying the difference alone buys no time: the next period is not paid yet.
    if upgrade_first:
        assert timezone.localdate(sub.current_period_end) == first.period_end
    services.bank_transfer_confirm(invoice=order[1], operator=operator)

    sub.refresh_from_db()
    assert sub.plan == besar and sub.next_plan is None
    assert timezone.localdate(sub.current_period_end) == renewal.period_end
    services.billing_sweep(now=clock.now + timedelta(days=11))
    sub.refresh_from_db()
    assert sub.plan == besar and sub.status == "active"
    # The next period cost the dearer plan's price, once.
    paid_for_next = sum(
        i.amount
        for i in Invoice.objects.filter(subscription=sub, status="paid")
        if i.period_end >= renewal.period_start
    ) - (upgrade.amount - Decimal(7_500_000 - 3_500_000))
    assert paid_for_next == Decimal(7_500_000)


def test_rejected_renewal_keeps_its_price_and_the_difference_is_not_billed_twice(
    tenant_a, operator, clock, client_a, admin_a
):
    sub, first, renewal, upgrade, besar = _upgrade_while_renewal_awaits(tenant_a, operator, clock)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada di mutasi")
    renewal.refresh_from_db()
    assert renewal.status == "open" and renewal.amount == Decimal(3_500_000)
    sub.refresh_from_db()
    assert timezone.localdate(sub.current_period_end) == first.period_end

    services.billing_sweep(now=clock.now + timedelta(days=1))
    owed = Invoice.objects.filter(subscription=sub, status__in=["open", "awaiting_confirmation"])
    assert list(owed) == [renewal], "no second renewal at the full dearer price"

    page = _page(client_a, tenant_a, admin_a)
    assert f"selisih ke paket {besar.name} ditagih pada {upgrade.number}" in page


def test_billing_page_says_the_awaiting_renewal_difference_is_in_the_upgrade_invoice(
    tenant_a, operator, clock, client_a, admin_a
):
    sub, first, renewal, upgrade, besar = _upgrade_while_renewal_awaits(tenant_a, operator, clock)
    page = _page(client_a, tenant_a, admin_a)
    assert f"selisih ke paket {besar.name} ditagih pada {upgrade.number}" in page
    assert f"Tagihan {upgrade.number}: bayar dengan transfer bank" in page


def test_a_rejected_renewal_paid_late_runs_on_the_plan_whose_difference_was_paid(
    tenant_a, operator, clock
):
    sub, first, renewal, upgrade, besar = _upgrade_while_renewal_awaits(tenant_a, operator, clock)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada di mutasi")
    clock.advance(days=12)  # the paid period is over, the renewal still unpaid
    services.billing_sweep(now=clock.now)
    sub.refresh_from_db()
    assert sub.status == "past_due"

    services.bank_transfer_confirm(invoice=renewal, operator=operator)

    sub.refresh_from_db()
    assert sub.status == "active" and sub.plan == besar and sub.next_plan is None
