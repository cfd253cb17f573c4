"""The database refuses to rewrite a received webhook or a paid invoice."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import services
from billing.models import Invoice, Plan, Subscription, WebhookEvent


def test_received_webhook_body_cannot_be_rewritten(db):
    row = WebhookEvent.objects.create(
        event_id="evt_1", event_type="invoice.paid", valid=True, raw_body="{}"
    )
    row.state = WebhookEvent.State.PROCESSED
    row.save()  # processing state may change
    for field, value in (("raw_body", '{"forged": true}'), ("event_id", "evt_2"), ("valid", False)):
        with pytest.raises(IntegrityError), transaction.atomic():
            WebhookEvent.objects.filter(pk=row.pk).update(**{field: value})


def test_valid_event_id_is_unique_but_forgeries_may_repeat_it(db):
    WebhookEvent.objects.create(event_id="evt_same", valid=True, raw_body="{}")
    WebhookEvent.objects.create(event_id="evt_same", valid=False, state="rejected", raw_body="{}")
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(event_id="evt_same", valid=True, raw_body="{}")


def test_invalid_event_must_be_rejected(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookEvent.objects.create(event_id="evt_x", valid=False, state="processed", raw_body="{}")


def test_paid_invoice_cannot_change(tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    Invoice.objects.filter(pk=inv.pk).update(status="paid", paid_at=timezone.now())
    for change in ({"amount": 1}, {"status": "open"}, {"reference": "LMBXXXXXXXX"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Invoice.objects.filter(pk=inv.pk).update(**change)


def test_negative_prices_and_zero_member_limits_are_refused(db):
    for bad in ({"price_monthly": -1}, {"max_members": 0}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Plan.objects.filter(code="kecil").update(**bad)


def test_bank_invoice_needs_a_reference(tenant_a):
    sub = Subscription.objects.get(cooperative=tenant_a)
    inv = services.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=inv.pk).update(reference=None)


def test_suspended_subscription_records_since_when(tenant_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.filter(cooperative=tenant_a).update(
            status="suspended", suspended_since=None
        )
