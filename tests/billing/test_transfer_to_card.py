"""A cooperative paying by bank transfer switches to a card: the open transfer invoices
for periods the card pays are void (no longer owed, no reminders, not confirmable); a
transfer already paid, or whose proof awaits the operator, is never voided."""

import threading
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as dtime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from billing import selectors, services
from billing.models import Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from tests.billing.cleanup import billing_rows_drop

from .conftest import pay_by_bank
from .test_checkout import complete_checkout, subscribe

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _remote(stripe_id: str) -> dict:
    from billing.providers.stripe_provider import stripe_client

    return stripe_client().v1.subscriptions.retrieve(stripe_id).to_dict()


def _paid_month_with_renewal(subscription, operator) -> tuple[Invoice, Invoice]:
    """alpha's trial is over; it paid a month by transfer and the sweep issued the
    renewal invoice for the next month (open, unpaid)."""
    Subscription.objects.filter(pk=subscription.pk).update(trial_ends_at=timezone.now())
    paid = pay_by_bank(subscription, "sedang", "month", operator)
    subscription.refresh_from_db()
    services.billing_sweep(now=subscription.current_period_end - timedelta(days=10))
    renewal = Invoice.objects.get(subscription=subscription, kind="subscription", status="open")
    assert renewal.period_start == paid.period_end + timedelta(days=1)
    return paid, renewal


def test_switching_to_card_voids_the_open_renewal_invoice_the_card_pays_for(
    admin_client_a, stripe_plans, deliver, subscription_a, operator, settings
):
    paid, renewal = _paid_month_with_renewal(subscription_a, operator)
    page = admin_client_a.get("/langganan/").content.decode()
    assert renewal.number in page and renewal.reference in page  # owed, before

    mail.outbox.clear()
    _, sub = subscribe(admin_client_a, deliver, plan_code="sedang", interval="month")

    remote = _remote(sub.stripe_subscription_id)
    assert remote["status"] == "trialing"  # the card pays from the renewal period on
    assert remote["trial_end"] == int(sub.current_period_end.timestamp())
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.VOID
    paid.refresh_from_db()
    assert paid.status == Invoice.Status.PAID
    audit = AuditEvent.objects.get(action="billing.bank_invoice_voided")
    assert audit.target_id == str(renewal.pk)
    assert audit.data["stripe_subscription"] == sub.stripe_subscription_id
    # The cooperative is told, the page no longer shows it as owed.
    [told] = [m for m in mail.outbox if renewal.number in m.subject]
    assert "dibatalkan" in told.subject and "kartu" in told.body
    page = admin_client_a.get("/langganan/").content.decode()
    assert renewal.reference not in page
    assert "bayar dengan transfer bank" not in page
    # No reminder for it any more, nor for operators to confirm.
    for days in settings.BILLING_REMINDER_DAYS:
        assert services.bank_reminders_send(today=renewal.due_on - timedelta(days=days)) == 0
    assert not [m for m in mail.outbox if "Pengingat" in m.subject]
    assert renewal not in selectors.transfers_awaiting()
    with pytest.raises(ApplicationError):
        services.bank_transfer_confirm(invoice=renewal, operator=operator)
    # The sweep issues no new renewal invoice for the card-paying cooperative.
    services.billing_sweep(now=sub.current_period_end - timedelta(days=3))
    assert not sub.invoices.filter(status__in=["open", "awaiting_confirmation"]).exists()


def test_a_card_is_refused_while_a_transfer_awaits_the_operators_confirmation(
    admin_client_a, stripe_plans, deliver, subscription_a, operator
):
    _, renewal = _paid_month_with_renewal(subscription_a, operator)
    admin_client_a.post(
        f"/langganan/transfer/{renewal.number}/bukti/",
        {"file": SimpleUploadedFile("bukti.png", PNG, "image/png"), "amount": str(renewal.amount)},
    )
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.AWAITING

    plan = Plan.objects.get(code="sedang")
    response = admin_client_a.post(
        "/langganan/bayar/", {"provider": "stripe", "plan": plan.pk, "interval": "month"}
    )
    assert response.status_code == 302 and response.url == "/langganan/", "sent to Checkout"
    page = admin_client_a.get("/langganan/").content.decode()
    assert f"Bukti transfer tagihan {renewal.number} masih menunggu konfirmasi operator" in page
    assert "Bayar dengan kartu setelah transfer itu dikonfirmasi" in page
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.AWAITING
    subscription_a.refresh_from_db()
    assert subscription_a.provider == "bank_transfer" and not subscription_a.stripe_subscription_id

    # Once confirmed, the card may be set up: first charged when the paid renewal ends.
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    _, sub = subscribe(admin_client_a, deliver, plan_code="sedang", interval="month")
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.PAID
    end = timezone.make_aware(datetime.combine(renewal.period_end, dtime(23, 59, 59)))
    assert _remote(sub.stripe_subscription_id)["trial_end"] == int(end.timestamp())


def test_a_proof_sent_while_checkout_was_open_is_left_for_the_operator(
    admin_client_a, stripe_plans, deliver, subscription_a, operator
):
    _, renewal = _paid_month_with_renewal(subscription_a, operator)
    plan = Plan.objects.get(code="sedang")
    checkout = admin_client_a.post(
        "/langganan/bayar/", {"provider": "stripe", "plan": plan.pk, "interval": "month"}
    )
    assert checkout.status_code == 302
    # Meanwhile the transfer's proof is uploaded, then the card checkout completes.
    admin_client_a.post(
        f"/langganan/transfer/{renewal.number}/bukti/",
        {"file": SimpleUploadedFile("bukti.png", PNG, "image/png"), "amount": str(renewal.amount)},
    )
    mail.outbox.clear()
    session = complete_checkout(checkout.url)
    deliver("checkout.session.completed", {"id": session["id"], "object": "checkout.session"})

    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.AWAITING, "a transfer that may be sent was voided"
    [told] = [m for m in mail.outbox if renewal.number in m.subject]
    assert "menunggu konfirmasi operator" in told.body
    assert not AuditEvent.objects.filter(action="billing.bank_invoice_voided").exists()
    # Told once: Stripe's next event about the card says nothing again.
    deliver("customer.subscription.updated", {"id": session["subscription"]})
    assert len([m for m in mail.outbox if renewal.number in m.subject]) == 1


def test_card_switch_and_operator_confirmation_at_once_do_not_deadlock(scratch_tenant):
    """The switch to card voids open invoices under the lock order of billing
    (subscription, then invoices), as bank_transfer_confirm takes them. The operator's
    confirmation is held just after its first row lock while Stripe's state is applied:
    either order of the two ends without a deadlock, and the confirmed invoice stays
    paid."""
    from core.users.models import User

    sub = Subscription.objects.get(cooperative=scratch_tenant)
    op = User.objects.create_user(
        username=f"race-{uuid.uuid4().hex[:8]}@lumbung.test",
        password="Operator-Sandi-9",
        operator_role=User.OperatorRole.BILLING,
    )
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    now = timezone.now()
    stripe_sub = {
        "id": f"sub_race_{uuid.uuid4().hex[:8]}",
        "customer": f"cus_race_{uuid.uuid4().hex[:8]}",
        "status": "active",
        "current_period_end": int((now + timedelta(days=30)).timestamp()),
        "items": {"data": [{"price": {"id": "price_not_ours"}}]},
    }
    errors: dict[str, Exception] = {}
    first_lock_held = threading.Event()

    def pause_after_first_row_lock(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "FOR UPDATE" in sql and not first_lock_held.is_set():
            first_lock_held.set()
            time.sleep(0.5)  # Stripe's state is applied meanwhile
        return result

    def operator_confirms():
        try:
            with connection.execute_wrapper(pause_after_first_row_lock), transaction.atomic():
                services.bank_transfer_confirm(invoice=inv, operator=op)
        except Exception as exc:  # reported by the assertion below
            errors["confirm"] = exc
        finally:
            connection.close()

    def card_starts_paying():
        try:
            assert first_lock_held.wait(5)
            with transaction.atomic():
                # what a webhook does: the event row, then the subscription's state
                services.subscription_sync_stripe(
                    subscription=Subscription(pk=sub.pk), stripe_sub=stripe_sub
                )
        except Exception as exc:  # reported by the assertion below
            errors["sync"] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=operator_confirms),
        threading.Thread(target=card_starts_paying),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert errors == {}
        inv.refresh_from_db()
        assert inv.status == Invoice.Status.PAID  # confirmed first: never voided after
    finally:
        connection.set_schema_to_public()
        billing_rows_drop(cooperative=scratch_tenant)
