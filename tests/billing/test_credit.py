"""The cooperative's credit (kredit/saldo): money paid by transfer that is no longer owed
is credited, taken off the next bank-transfer invoice (paid at once when it covers it),
refundable by an operator, and never below zero."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import services
from billing.models import CreditEntry, Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from tests.billing.conftest import pay_by_bank

SEDANG_YEAR = Decimal(3_500_000)
BESAR_YEAR = Decimal(7_500_000)


def _png():
    return SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")


def _to_transfer(inv: Invoice) -> Decimal:
    """What the cooperative transfers (or transferred) for an invoice."""
    return inv.amount - getattr(inv, "credit_applied", Decimal(0))


def _balance(sub) -> Decimal:
    return services.credit_balance(subscription=sub)


def _paid_sedang_yearly(tenant_a, operator):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    first = pay_by_bank(sub, "sedang", "year", operator)
    sub.refresh_from_db()
    return sub, first


def _renewal_issued(sub, clock) -> Invoice:
    clock.now = sub.current_period_end - timedelta(days=10)
    services.billing_sweep(now=clock.now)
    return Invoice.objects.get(subscription=sub, kind="subscription", status="open")


def _upgrade(sub, code="besar") -> Invoice:
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code=code), interval="year", by="admin"
    )
    return Invoice.objects.filter(subscription=sub, kind=Invoice.Kind.PRORATION).latest("pk")


def test_a_paid_difference_of_a_rejected_renewal_is_credited_when_the_plan_changes_again(
    tenant_a, operator, clock
):
    """(a) The upgrade's difference for the next period is paid, the renewal it topped
    up is rejected, the plan is changed again: the renewal is voided and reissued at the
    full price; the difference paid is not lost, it is credited and taken off it."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    upgrade = _upgrade(sub)
    difference_for_next = BESAR_YEAR - SEDANG_YEAR
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada")

    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.VOID
    services.billing_sweep(now=clock.now + timedelta(days=1))

    again = Invoice.objects.filter(subscription=sub, kind="subscription").latest("pk")
    assert again.pk != renewal.pk and again.plan.code == "sedang"
    # Money: for the next period (Sedang, Rp 3.500.000) the cooperative is asked, in all,
    # for what it paid with the upgrade plus what is left to transfer: no more.
    asked = difference_for_next + _to_transfer(again)
    assert asked == max(SEDANG_YEAR, difference_for_next)
    # The difference (Rp 4.000.000) covered the Rp 3.500.000 renewal: paid by credit,
    # Rp 500.000 left.
    again.refresh_from_db()
    assert again.credit_applied == SEDANG_YEAR and again.status == Invoice.Status.PAID
    assert _balance(sub) == difference_for_next - SEDANG_YEAR
    entry = CreditEntry.objects.get(subscription=sub, reason="upgrade_difference")
    assert entry.invoice == upgrade and entry.amount == difference_for_next
    assert entry.for_period_start == renewal.period_start
    assert AuditEvent.objects.filter(action="billing.invoice_paid_by_credit").exists()
    sub.refresh_from_db()
    assert timezone.localdate(sub.current_period_end) == again.period_end


def test_a_with_another_upgrade_the_credit_goes_off_the_next_invoice(tenant_a, operator, clock):
    """(a) again, the plan changed up this time: the credit is taken off the next
    invoice issued (the new upgrade's), which shows what is left to transfer."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada")

    second = _upgrade(sub, "tanpa-batas")
    assert second.pk != upgrade.pk
    assert second.credit_applied == min(BESAR_YEAR - SEDANG_YEAR, second.amount)
    assert _to_transfer(second) == second.amount - second.credit_applied
    assert _balance(sub) == BESAR_YEAR - SEDANG_YEAR - second.credit_applied


def _period_begins(clock, inv):
    clock.now = timezone.make_aware(
        timezone.datetime.combine(inv.period_start, timezone.datetime.min.time())
    ) + timedelta(hours=12)
    services.billing_sweep(now=clock.now)


def _renewal_and_upgrade_paid(tenant_a, operator, clock):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    upgrade = _upgrade(sub)
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    sub.refresh_from_db()
    assert sub.plan.code == "besar"
    return sub, renewal, upgrade


def test_b_downgrade_after_paying_the_next_periods_difference_credits_it(tenant_a, operator, clock):
    """(b) The renewal is paid early, an upgrade's difference for that period too, then
    the cooperative goes back to the renewal's plan: that period runs on it, so the
    difference paid for it is credited when it begins, and taken off the next renewal."""
    sub, renewal, upgrade = _renewal_and_upgrade_paid(tenant_a, operator, clock)
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )

    _period_begins(clock, renewal)
    sub.refresh_from_db()
    assert sub.plan.code == "sedang" and sub.status == "active"
    # Money: the period runs on Sedang (Rp 3.500.000); Rp 3.500.000 + Rp 4.000.000 were
    # transferred for it; what is not credited back is what it cost.
    transferred = _to_transfer(renewal) + (BESAR_YEAR - SEDANG_YEAR)
    assert transferred - _balance(sub) == SEDANG_YEAR
    entry = CreditEntry.objects.get(subscription=sub, reason="upgrade_difference")
    assert entry.invoice == upgrade and entry.for_period_start == renewal.period_start

    # The following renewal is paid by the credit (Rp 4.000.000 > Rp 3.500.000).
    clock.now = sub.current_period_end - timedelta(days=10)
    services.billing_sweep(now=clock.now)
    following = Invoice.objects.filter(subscription=sub, kind="subscription").latest("pk")
    assert following.pk != renewal.pk
    assert following.status == Invoice.Status.PAID and following.credit_applied == SEDANG_YEAR
    assert _balance(sub) == BESAR_YEAR - SEDANG_YEAR - SEDANG_YEAR
    sub.refresh_from_db()
    assert timezone.localdate(sub.current_period_end) == following.period_end


def test_b_withdrawn_downgrade_keeps_the_dearer_plan_and_credits_nothing(tenant_a, operator, clock):
    sub, renewal, upgrade = _renewal_and_upgrade_paid(tenant_a, operator, clock)
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    _period_begins(clock, renewal)
    sub.refresh_from_db()
    assert sub.plan.code == "besar" and _balance(sub) == 0


def test_a_voided_invoice_gives_back_the_credit_taken_off_it(tenant_a, operator, clock):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    _give_credit(sub, 1_000_000)
    renewal = _renewal_issued(sub, clock)
    assert renewal.credit_applied == Decimal(1_000_000)
    assert _to_transfer(renewal) == SEDANG_YEAR - Decimal(1_000_000)
    assert _balance(sub) == 0
    # Another plan for the renewal: this one is void, its credit comes back and goes
    # onto the new one.
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="year", by="admin"
    )
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.VOID
    assert _balance(sub) == Decimal(1_000_000)
    services.billing_sweep(now=clock.now)
    new = Invoice.objects.filter(subscription=sub, kind="subscription").latest("pk")
    assert new.plan.code == "kecil" and new.credit_applied == Decimal(1_000_000)
    assert _to_transfer(new) == Decimal(500_000)
    assert sum(e.amount for e in CreditEntry.objects.filter(subscription=sub)) == _balance(sub)


def _give_credit(sub, amount):
    from billing.services.common import _lock
    from billing.services.credit import _credit_move

    with transaction.atomic():
        return _credit_move(
            sub=_lock(sub), amount=Decimal(amount), reason="upgrade_difference", by="t"
        )


def test_refund_reduces_the_credit_reason_required_audited(subscription_a, operator):
    _give_credit(subscription_a, 750_000)
    with pytest.raises(ApplicationError):
        services.credit_refund_record(
            subscription=subscription_a, amount="500000", reason=" ", operator=operator
        )
    for bad in ("0", "-5", "1,5", "abc", "800000"):
        with pytest.raises(ApplicationError):
            services.credit_refund_record(
                subscription=subscription_a, amount=bad, reason="transfer BCA", operator=operator
            )
    with pytest.raises(ApplicationError):
        services.credit_refund_record(
            subscription=subscription_a, amount="100", reason="x", operator="admin"
        )
    assert _balance(subscription_a) == Decimal(750_000)

    entry = services.credit_refund_record(
        subscription=subscription_a, amount="500.000", reason="transfer BCA", operator=operator
    )
    assert entry.amount == Decimal(-500_000) and entry.reason == "refund"
    assert _balance(subscription_a) == Decimal(250_000)
    audit = AuditEvent.objects.get(action="billing.credit_refunded")
    assert audit.reason == "transfer BCA" and audit.data["amount"] == "-500000"


def test_the_database_refuses_a_negative_balance_or_a_second_entry_alike(subscription_a):
    first = _give_credit(subscription_a, 100)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditEntry.objects.create(
            subscription=subscription_a,
            seq=2,
            amount=Decimal(-200),
            balance_after=Decimal(-100),
            reason="refund",
            created_by="t",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditEntry.objects.create(
            subscription=subscription_a,
            seq=first.seq,
            amount=Decimal(-100),
            balance_after=Decimal(0),
            reason="refund",
            created_by="t",
        )


def test_billing_page_and_invoice_show_the_credit_and_what_to_transfer(
    tenant_a, operator, clock, client_a, admin_a
):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    _give_credit(sub, 1_000_000)
    renewal = _renewal_issued(sub, clock)
    from tests.billing.test_upgrade_awaiting_renewal import _page

    page = _page(client_a, tenant_a, admin_a)
    assert "Tagihan Rp 3.500.000 dikurangi kredit Rp 1.000.000." in page
    assert "Transfer Rp 2.500.000 ke" in page
    assert "Saldo kredit: <strong>Rp 0</strong>" in page
    from billing.pdf import invoice_html

    html = invoice_html(invoice=renewal)
    assert "Dikurangi kredit" in html and "Rp 2.500.000" in html


def test_two_transfers_confirmed_for_the_same_period_credit_the_first(tenant_a, operator, clock):
    """The renewal's proof awaits the operator, the cooperative asks for the period on
    another plan and transfers that too; the operator confirms both. The period was paid
    twice: it runs on the plan confirmed last, and the other payment is credited."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    other = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    assert (other.period_start, other.period_end) == (renewal.period_start, renewal.period_end)
    services.bank_proof_upload(
        invoice=other, upload=_png(), by="bendahara", amount_claimed=other.amount_due
    )

    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    assert _balance(sub) == 0
    services.bank_transfer_confirm(invoice=other, operator=operator)

    paid_for_period = _to_transfer(renewal) + _to_transfer(other)
    assert paid_for_period - _balance(sub) == BESAR_YEAR
    entry = CreditEntry.objects.get(subscription=sub, reason="duplicate_payment")
    assert entry.invoice == renewal and entry.amount == SEDANG_YEAR
    _period_begins(clock, renewal)
    sub.refresh_from_db()
    assert sub.plan.code == "besar"


def test_billing_page_says_a_card_does_not_use_the_credit(tenant_a, operator, client_a, admin_a):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    _give_credit(sub, 250_000)
    from tests.billing.test_upgrade_awaiting_renewal import _page

    page = _page(client_a, tenant_a, admin_a)
    assert "Saldo kredit: <strong>Rp 250.000</strong>" in page
    assert "Kredit Rp 250.000 hanya mengurangi tagihan transfer bank." in page


@pytest.mark.parametrize("last", ["month", "year"])
def test_a_monthly_and_a_yearly_transfer_for_the_period_starting_the_same_day_bill_it_once(
    tenant_a, operator, clock, last
):
    """The yearly renewal's proof awaits the operator and the cooperative switches to
    monthly on the renewal day (or the other way round): both invoices start the same
    day, both are transferred and confirmed. That is the same period paid twice: it runs
    on the one confirmed last, until that invoice's end, and the other is credited."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    assert renewal.interval == "year"
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    monthly = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="month", by="admin"
    )
    assert monthly.period_start == renewal.period_start
    assert monthly.period_end < renewal.period_end
    services.bank_proof_upload(
        invoice=monthly, upload=_png(), by="bendahara", amount_claimed=monthly.amount_due
    )

    first_confirmed, last_confirmed = (renewal, monthly) if last == "month" else (monthly, renewal)
    services.bank_transfer_confirm(invoice=first_confirmed, operator=operator)
    assert _balance(sub) == 0
    services.bank_transfer_confirm(invoice=last_confirmed, operator=operator)

    # Money: of the two transfers, only the invoice the period runs on is kept.
    paid_for_period = _to_transfer(renewal) + _to_transfer(monthly)
    assert paid_for_period - _balance(sub) == last_confirmed.amount
    entry = CreditEntry.objects.get(subscription=sub, reason="duplicate_payment")
    assert entry.invoice == first_confirmed and entry.amount == first_confirmed.amount
    sub.refresh_from_db()
    assert timezone.localdate(sub.current_period_end) == last_confirmed.period_end
    _period_begins(clock, renewal)
    sub.refresh_from_db()
    assert (sub.plan.code, sub.interval) == ("sedang", last)


def test_a_monthly_payment_confirmed_after_a_yearly_renewal_an_upgrade_topped_up_ends_monthly(
    tenant_a, operator, clock
):
    """An upgrade's paid invoice also carried the yearly renewal's difference (its period
    runs to the renewal's end), then the period is paid monthly too and confirmed last:
    the yearly renewal is credited and the period ends with the month, not with the
    upgrade's invoice (a difference buys no time)."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    upgrade = _upgrade(sub)
    assert upgrade.period_end == renewal.period_end
    services.bank_transfer_confirm(invoice=upgrade, operator=operator)
    monthly = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="month", by="admin"
    )
    services.bank_proof_upload(
        invoice=monthly, upload=_png(), by="bendahara", amount_claimed=monthly.amount_due
    )
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    services.bank_transfer_confirm(invoice=monthly, operator=operator)

    assert CreditEntry.objects.get(subscription=sub, reason="duplicate_payment").invoice == renewal
    sub.refresh_from_db()
    assert timezone.localdate(sub.current_period_end) == monthly.period_end
    # Money: the yearly period will not run, so neither the renewal nor the upgrade's
    # difference for it (Rp 4.000.000) is owed: both are credited; the month is kept.
    difference = CreditEntry.objects.get(subscription=sub, reason="upgrade_difference")
    assert difference.invoice == upgrade and difference.amount == BESAR_YEAR - SEDANG_YEAR
    assert difference.for_period_start == renewal.period_start
    assert _balance(sub) == renewal.amount + (BESAR_YEAR - SEDANG_YEAR)
