"""Stripe's ``invoice.voided`` and ``invoice.marked_uncollectible`` are handled like the
other invoice events: the invoice is re-fetched and our copy takes Stripe's state now
(void, dated the day we learn of it, audited), once however often the event is
delivered; with ``invoice.paid`` in either order the end state is Stripe's, and a void
copy paid later is re-issued as before (test_void_invoice_paid_later)."""

import re
from datetime import datetime, time
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from billing.audit import BillingAudit
from billing.models import Invoice, WebhookEvent
from billing.services import add_months
from billing.webhooks import HANDLED
from core.audit.models import AuditEvent

from .stripe_server import R, invoice_mark_uncollectible
from .test_checkout import subscribe
from .test_void_invoice_paid_later import _failed_renewal, _pay


def _at(day, hour=10):
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _voided_audits(inv: Invoice):
    return AuditEvent.objects.filter(action=BillingAudit.INVOICE_VOIDED, target_id=str(inv.pk))


def test_invoice_voided_makes_the_copy_void_on_the_day_it_is_learnt_audited(
    admin_client_a, stripe_plans, deliver, local_stripe
):
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    local_stripe.call(R.Invoice._api_void_invoice, inv.stripe_invoice_id)

    response = deliver("invoice.voided", {"id": inv.stripe_invoice_id})

    assert response.status_code == 200
    inv.refresh_from_db()
    assert (inv.status, inv.voided_on) == (Invoice.Status.VOID, timezone.localdate())
    row = WebhookEvent.objects.get(event_id=response.event_id)
    assert row.state == WebhookEvent.State.PROCESSED and row.subscription_id == sub.pk
    [audit] = _voided_audits(inv)
    assert audit.actor_label == "stripe" and audit.data["stripe_status"] == "void"
    assert audit.data["voided_on"] == timezone.localdate().isoformat()


def test_invoice_marked_uncollectible_makes_the_copy_void_audited(
    admin_client_a, stripe_plans, deliver, local_stripe
):
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    local_stripe.call(invoice_mark_uncollectible, inv.stripe_invoice_id)

    response = deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id})

    inv.refresh_from_db()
    assert (inv.status, inv.voided_on) == (Invoice.Status.VOID, timezone.localdate())
    assert WebhookEvent.objects.get(event_id=response.event_id).state == "processed"
    [audit] = _voided_audits(inv)
    assert audit.data["stripe_status"] == "uncollectible"


def test_a_void_event_delivered_twice_or_again_later_changes_nothing_more(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    local_stripe.call(invoice_mark_uncollectible, inv.stripe_invoice_id)
    first = deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id})
    voided_on = Invoice.objects.get(pk=inv.pk).voided_on

    clock.now = _at(add_months(timezone.localdate().replace(day=1), 1).replace(day=3))
    again = deliver(
        "invoice.marked_uncollectible", {"id": inv.stripe_invoice_id}, event_id=first.event_id
    )
    later = deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id})

    assert again.status_code == later.status_code == 200
    inv.refresh_from_db()
    assert (inv.status, inv.voided_on) == (Invoice.Status.VOID, voided_on)
    assert _voided_audits(inv).count() == 1
    assert not Invoice.objects.filter(reissue_of=inv).exists()


def test_marked_uncollectible_learnt_before_the_payment_ends_in_a_reissue_either_order(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    """Learnt void, then paid: the re-issue of billing 0023. The uncollectible event
    arriving once more after the payment changes nothing."""
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    local_stripe.call(invoice_mark_uncollectible, inv.stripe_invoice_id)
    late = deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id})
    clock.now = _at(add_months(timezone.localdate().replace(day=1), 1).replace(day=5))
    _pay(local_stripe, deliver, clock, sub, inv)
    deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id})
    deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id}, event_id=late.event_id)

    voided = Invoice.objects.get(pk=inv.pk)
    assert voided.status == Invoice.Status.VOID
    [reissue] = Invoice.objects.filter(reissue_of=voided)
    assert reissue.status == Invoice.Status.PAID
    assert Invoice.objects.filter(stripe_invoice_id=inv.stripe_invoice_id).count() == 2
    assert _voided_audits(voided).count() == 1


def test_marked_uncollectible_arriving_after_the_payment_leaves_the_invoice_paid(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    """Stripe marked it uncollectible and it was paid before either event was processed:
    whichever arrives first, the copy ends paid (Stripe's state), never void."""
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    local_stripe.call(invoice_mark_uncollectible, inv.stripe_invoice_id)
    _pay(local_stripe, deliver, clock, sub, inv)  # invoice.paid first
    deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id})

    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID and inv.voided_on is None
    assert not Invoice.objects.filter(reissue_of=inv).exists()
    assert not _voided_audits(inv).exists()


def test_marked_uncollectible_first_for_an_invoice_paid_since_makes_it_paid(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    _, sub = subscribe(admin_client_a, deliver)
    inv = _failed_renewal(local_stripe, deliver, sub)
    local_stripe.call(invoice_mark_uncollectible, inv.stripe_invoice_id)

    def pay():
        from .stripe_server import invoice_pay
        from .test_dunning import _set_card

        _set_card(sub.stripe_customer_id, "4242424242424242")
        assert invoice_pay(inv.stripe_invoice_id).status == "paid"

    local_stripe.call(pay)
    deliver("invoice.marked_uncollectible", {"id": inv.stripe_invoice_id})
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID and inv.voided_on is None
    deliver("invoice.paid", {"id": inv.stripe_invoice_id})
    inv.refresh_from_db()
    assert inv.status == Invoice.Status.PAID
    assert not Invoice.objects.filter(reissue_of=inv).exists()


def test_the_documented_webhook_events_are_the_ones_handled():
    """The events to register at Stripe (docs/billing.md, Webhooks) are those handled."""
    text = (Path(settings.BASE_DIR) / "docs" / "billing.md").read_text()
    handled_line = text.split("## Webhooks", 1)[1].split("3. Handled:", 1)[1].split("Other", 1)[0]
    documented = set()
    for name in re.findall(r"`([a-z_.\/]+)`", handled_line):
        head, _, tail = name.rpartition(".")
        documented |= {f"{head}.{t}" for t in tail.split("/")}
    assert documented == HANDLED
    assert {"invoice.voided", "invoice.marked_uncollectible"} <= HANDLED
