"""A transfer proof rejected after another invoice for the same period was confirmed (a
monthly and a yearly renewal from the same day are one period): the period is paid, so
the rejected invoice is not owed any more. It is void (audited), not open again: the
cooperative is not asked on /langganan/ to transfer it, the operators' list does not
show it, the credit it took comes back and is not spent on it, and what a paid upgrade
added for its period is credited, as when the other invoice is confirmed after it."""

from decimal import Decimal

from billing import services
from billing.models import CreditEntry, Invoice
from core.audit.models import AuditEvent
from core.common.money import format_rupiah
from tests.billing.test_credit import _balance, _give_credit, _period_begins, _png, _upgrade
from tests.billing.test_upgrade_awaiting_renewal import _page
from tests.billing.test_upgrade_same_start_renewals import (
    BESAR_MONTH,
    SEDANG_MONTH,
    _both_awaiting,
    _monthly_for_same_day,
)
from tests.console.conftest import verified_client


def _reject_on_screen(operator, inv) -> str:
    response = verified_client(operator).post(
        f"/billing/operator/transfer/{inv.pk}/tolak/", {"reason": "tidak ada"}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_transfer_rejected_after_the_period_was_paid_is_void_not_open(
    tenant_a, operator, clock, client_a, admin_a
):
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    services.bank_transfer_confirm(invoice=yearly, operator=operator)
    shown = _reject_on_screen(operator, monthly)
    monthly.refresh_from_db()

    assert monthly.status == Invoice.Status.VOID
    # The operator is told why, and the invoice is off the operators' list.
    assert f"Bukti transfer {monthly.number} ditolak." in shown
    assert f"sudah dibayar dengan tagihan {yearly.number}" in shown
    listing = verified_client(operator).get("/billing/operator/transfer/").content.decode()
    assert monthly.reference not in listing
    # The cooperative is asked to transfer nothing.
    page = _page(client_a, tenant_a, admin_a)
    assert "bayar dengan transfer bank" not in page
    assert f"Transfer {format_rupiah(SEDANG_MONTH)} ke" not in page
    voided = AuditEvent.objects.get(action="billing.bank_invoice_voided", target_id=str(monthly.pk))
    assert yearly.number in voided.reason
    assert AuditEvent.objects.filter(action="billing.bank_transfer_rejected").count() == 1
    # The period runs on the yearly invoice that paid it; nothing credited.
    assert _balance(sub) == 0
    _period_begins(clock, yearly)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval, sub.status) == ("sedang", "year", "active")
    assert sub.current_period_end.date() == yearly.period_end


def test_the_credit_a_superseded_transfer_took_comes_back_and_is_not_spent_on_it(
    tenant_a, operator, clock, client_a, admin_a
):
    """The monthly invoice took the cooperative's credit when issued (more than it
    costs): rejected after the yearly one paid the period, it is not paid by that
    credit (the period would be bought twice and the yearly payment credited); the
    credit is back, whole."""
    from tests.billing.test_credit import _paid_sedang_yearly, _renewal_issued

    sub, _first = _paid_sedang_yearly(tenant_a, operator)
    yearly = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=yearly, upload=_png(), by="bendahara", amount_claimed=yearly.amount_due
    )
    _give_credit(sub, 200_000)
    monthly = _monthly_for_same_day(sub)
    assert monthly.credit_applied == Decimal(200_000)
    services.bank_proof_upload(
        invoice=monthly, upload=_png(), by="bendahara", amount_claimed=monthly.amount_due
    )
    services.bank_transfer_confirm(invoice=yearly, operator=operator)
    _give_credit(sub, 500_000)  # more than the monthly's rest: it would pay it

    services.bank_transfer_reject(invoice=monthly, operator=operator, reason="tidak ada")
    monthly.refresh_from_db()
    yearly.refresh_from_db()

    assert monthly.status == Invoice.Status.VOID
    assert yearly.status == Invoice.Status.PAID
    assert not CreditEntry.objects.filter(reason="duplicate_payment").exists()
    assert _balance(sub) == Decimal(700_000)
    back = CreditEntry.objects.filter(subscription=sub).latest("seq")
    assert (back.reason, back.amount, back.invoice) == ("invoice_voided", 200_000, monthly)
    page = _page(client_a, tenant_a, admin_a)
    assert "bayar dengan transfer bank" not in page
    assert sum(e.amount for e in CreditEntry.objects.filter(subscription=sub)) == _balance(sub)
    _period_begins(clock, yearly)
    sub.refresh_from_db()
    assert sub.current_period_end.date() == yearly.period_end


def test_the_topped_up_transfer_rejected_after_the_other_was_confirmed_credits_the_difference(
    tenant_a, operator, clock
):
    """The paid upgrade topped up the monthly invoice (issued last); the yearly one is
    confirmed, then the monthly one rejected: the period runs on the yearly invoice as
    it was bought, so the difference comes back as billed, with its credit note."""
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    services.bank_transfer_confirm(invoice=yearly, operator=operator)
    services.bank_transfer_reject(invoice=monthly, operator=operator, reason="tidak ada")
    monthly.refresh_from_db()

    assert monthly.status == Invoice.Status.VOID
    assert _balance(sub) == BESAR_MONTH - SEDANG_MONTH
    entry = CreditEntry.objects.get(subscription=sub, reason="upgrade_difference")
    assert entry.invoice == upgrade and entry.credit_note.amount == BESAR_MONTH - SEDANG_MONTH
    _period_begins(clock, yearly)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval) == ("sedang", "year")


def test_a_rejected_transfer_for_a_period_nobody_paid_is_open_again(tenant_a, operator, clock):
    """The monthly and the yearly one both await; the monthly one is rejected first: the
    period is not paid yet, so it is open again (the cooperative may still pay it)."""
    sub, first, yearly, monthly = _both_awaiting(tenant_a, operator, clock)
    services.bank_transfer_reject(invoice=monthly, operator=operator, reason="tidak ada")
    monthly.refresh_from_db()
    assert monthly.status == Invoice.Status.OPEN
    yearly.refresh_from_db()
    assert yearly.status == Invoice.Status.AWAITING
