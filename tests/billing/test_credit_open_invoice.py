"""Credit that arrives while a transfer invoice is open (unpaid, no proof sent) is
taken off that invoice at once, not kept for the next one; an invoice it covers in full
is paid at once. Race-safe: the subscription row is locked first, so a refund and the
application never both spend the same credit."""

import threading
from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.db import connection
from django.utils import timezone

from billing import services
from billing.models import CreditEntry, Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from tests.billing.cleanup import billing_rows_drop
from tests.billing.test_credit import (
    BESAR_YEAR,
    SEDANG_YEAR,
    _balance,
    _give_credit,
    _paid_sedang_yearly,
    _png,
    _renewal_issued,
    _upgrade,
)
from tests.console.test_concurrency import _blocked_on_a_lock
from tests.faults.helpers import raw_connection


def test_credit_given_back_by_a_lapsed_upgrade_goes_onto_the_open_renewal_at_once(
    tenant_a, operator, clock
):
    """An upgrade's invoice took Rp 1.000.000 of credit and is left unpaid; the renewal
    is issued meanwhile (nothing left to take). When the upgrade lapses with its period,
    its credit comes back and is taken off the open renewal that very day."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    _give_credit(sub, 1_000_000)
    upgrade = _upgrade(sub)
    assert upgrade.credit_applied == Decimal(1_000_000) and _balance(sub) == 0
    renewal = _renewal_issued(sub, clock)
    assert renewal.plan.code == "besar" and renewal.credit_applied == 0

    clock.now = sub.current_period_end + timedelta(hours=1)
    services.billing_sweep(now=clock.now)
    upgrade.refresh_from_db()
    assert upgrade.status == Invoice.Status.VOID

    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.OPEN
    assert renewal.credit_applied == Decimal(1_000_000)
    assert renewal.amount_due == BESAR_YEAR - Decimal(1_000_000)
    # the tax invoice stays the full taxed price
    assert renewal.amount == BESAR_YEAR and renewal.dpp + renewal.ppn == renewal.amount
    assert _balance(sub) == 0
    applied = CreditEntry.objects.filter(subscription=sub, reason="applied").latest("seq")
    assert applied.invoice == renewal and applied.amount == Decimal(-1_000_000)
    event = AuditEvent.objects.filter(action="billing.credit_applied").latest("pk")
    assert event.data["invoice"] == renewal.number and event.data["amount"] == "-1000000"


def test_credit_of_a_duplicate_payment_pays_the_open_upgrade_at_once(tenant_a, operator, clock):
    """An upgrade's invoice is left open; the renewal (for the upgraded plan, yearly) is
    transferred and so is the same period monthly (both start the renewal day). Both are
    confirmed: the yearly one is credited and, being more than the open upgrade's
    invoice, pays it at once (nothing to transfer); the rest stays as credit."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    upgrade = _upgrade(sub)
    assert upgrade.status == Invoice.Status.OPEN and upgrade.credit_applied == 0
    renewal = _renewal_issued(sub, clock)
    assert (renewal.plan.code, renewal.interval) == ("besar", "year")
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    monthly = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="month", by="admin"
    )
    assert monthly.period_start == renewal.period_start
    services.bank_proof_upload(
        invoice=monthly, upload=_png(), by="bendahara", amount_claimed=monthly.amount_due
    )
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    upgrade.refresh_from_db()
    assert upgrade.credit_applied == 0 and upgrade.status == Invoice.Status.OPEN

    services.bank_transfer_confirm(invoice=monthly, operator=operator)

    upgrade.refresh_from_db()
    assert upgrade.credit_applied == upgrade.amount and upgrade.status == Invoice.Status.PAID
    assert upgrade.amount_due == 0
    assert _balance(sub) == BESAR_YEAR - upgrade.amount
    assert AuditEvent.objects.filter(
        action="billing.invoice_paid_by_credit", data__reference=upgrade.reference
    ).exists()
    sub.refresh_from_db()
    assert sub.plan.code == "besar"


def test_an_invoice_awaiting_the_operator_or_a_card_that_bills_takes_no_credit(
    tenant_a, operator, clock
):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    _give_credit(sub, 500_000)
    assert services.credit_apply_to_open(subscription=sub, by="t") == 0
    renewal.refresh_from_db()
    assert renewal.credit_applied == 0 and _balance(sub) == Decimal(500_000)

    # Rejected while a card subscription bills: open again, but it takes no credit.
    Subscription.objects.filter(pk=sub.pk).update(
        stripe_subscription_id="sub_x", stripe_status="active"
    )
    services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada")
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.OPEN and renewal.credit_applied == 0
    assert services.credit_apply_to_open(subscription=sub, by="t") == 0
    Subscription.objects.filter(pk=sub.pk).update(stripe_subscription_id=None, stripe_status="")
    assert services.credit_apply_to_open(subscription=sub, by="t") == Decimal(500_000)
    renewal.refresh_from_db()
    assert renewal.credit_applied == Decimal(500_000)
    assert renewal.amount_due == SEDANG_YEAR - Decimal(500_000)


def test_a_refund_and_the_credit_going_onto_the_open_invoice_at_once_spend_it_once(
    scratch_tenant,
):
    """A refund (a raw connection of its own, inside an open transaction) holds the
    subscription row and pays out the whole credit; the application to the open invoice,
    on Django's connection in a thread, waits, then finds nothing left and takes
    nothing."""
    connection.set_schema_to_public()
    sub = Subscription.objects.get(cooperative=scratch_tenant)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    credit = _give_credit(sub, 40_000)
    outcome: dict = {}

    def apply_credit():
        try:
            connection.set_schema_to_public()
            outcome["taken"] = services.credit_apply_to_open(subscription=sub, by="system")
        except Exception as exc:  # judged below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=apply_credit)
    raw = raw_connection()
    try:
        raw.autocommit = False
        with raw.cursor() as cur:
            cur.execute(
                f'SELECT id FROM public."{Subscription._meta.db_table}" WHERE id = %s FOR UPDATE',
                [sub.pk],
            )
            cur.execute(
                f'INSERT INTO public."{CreditEntry._meta.db_table}" (subscription_id, seq, '
                "amount, balance_after, reason, note, created_by, created_at) "
                "VALUES (%s, %s, -40000, 0, 'refund', 'dikembalikan', 'ops', now())",
                [sub.pk, credit.seq + 1],
            )
        thread.start()
        _blocked_on_a_lock(raw.get_backend_pid())
        raw.commit()
        thread.join(30)
        assert not thread.is_alive()
        assert outcome == {"taken": Decimal(0)}, outcome
        inv.refresh_from_db()
        assert inv.credit_applied == 0 and inv.status == Invoice.Status.OPEN
        assert _balance(sub) == 0
        assert sum(e.amount for e in CreditEntry.objects.filter(subscription=sub)) == 0
    finally:
        raw.close()
        thread.join(30) if thread.is_alive() else None
        connection.set_schema_to_public()
        billing_rows_drop(cooperative=scratch_tenant)


def test_credit_arriving_with_nothing_open_waits_for_the_next_invoice(tenant_a, operator):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    _give_credit(sub, 300_000)
    assert services.credit_apply_to_open(subscription=sub, by="t") == 0
    assert _balance(sub) == Decimal(300_000)


def test_a_transfer_rejected_back_to_open_takes_the_credit_at_once(
    tenant_a, operator, clock, client_a, admin_a, django_capture_on_commit_callbacks
):
    """Credit that arrived while the renewal's proof awaited the operator stayed aside
    (the transfer was checked as issued). The operator finds no transfer and rejects
    it: the invoice is open again and the credit is taken off it in the same step; the
    page, the PDF and the e-mail say what is left to transfer."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    _give_credit(sub, 500_000)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada")

    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.OPEN
    assert renewal.credit_applied == Decimal(500_000)
    assert renewal.amount_due == SEDANG_YEAR - Decimal(500_000) == Decimal(3_000_000)
    assert renewal.amount == SEDANG_YEAR  # the tax invoice keeps the full price
    assert _balance(sub) == 0
    applied = CreditEntry.objects.filter(subscription=sub, reason="applied").latest("seq")
    assert applied.invoice == renewal and applied.amount == Decimal(-500_000)
    assert AuditEvent.objects.filter(
        action="billing.credit_applied", data__invoice=renewal.number
    ).exists()

    from tests.billing.test_upgrade_awaiting_renewal import _page

    page = _page(client_a, tenant_a, admin_a)
    assert "Tagihan Rp 3.500.000 dikurangi kredit Rp 500.000." in page
    assert "Transfer Rp 3.000.000 ke" in page
    assert "tidak ada" in page  # the reason is still shown
    [m] = [m for m in mail.outbox if "ditolak" in m.subject]
    assert "tidak ada" in m.body
    assert "dikurangi kredit Rp 500.000" in m.body and "Rp 3.000.000" in m.body


def test_a_rejected_transfer_the_credit_covers_is_paid_by_it_at_once(tenant_a, operator, clock):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    renewal = _renewal_issued(sub, clock)
    services.bank_proof_upload(
        invoice=renewal, upload=_png(), by="bendahara", amount_claimed=renewal.amount_due
    )
    _give_credit(sub, 4_000_000)
    services.bank_transfer_reject(invoice=renewal, operator=operator, reason="tidak ada")

    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.PAID
    assert renewal.credit_applied == SEDANG_YEAR and renewal.amount_due == 0
    assert renewal.confirmed_by is None  # no transfer was confirmed
    assert _balance(sub) == Decimal(500_000)
    sub.refresh_from_db()
    assert timezone.localdate(sub.current_period_end) == renewal.period_end
    assert AuditEvent.objects.filter(
        action="billing.invoice_paid_by_credit", data__reference=renewal.reference
    ).exists()
