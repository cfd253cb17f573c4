"""A manual payment that ends the card: Stripe is asked last, inside the transaction (so
a refusal before it, or Stripe refusing, records nothing and the card still bills: never
a double charge). If the database then fails to commit after Stripe ended the card, the
card is ended with no payment recorded: the mismatch is recorded as the truth (the card
no longer bills) and flagged for operators until the payment is recorded, and the
operator is told to record it again. If even that cannot be written, Stripe's own
"subscription deleted" event flags it."""

import pytest
from django.db import OperationalError, connection

from billing.models import Invoice, Plan, Subscription, WebhookEvent
from billing.providers.stripe_provider import StripeProvider, stripe_client
from billing.selectors import operator_flags
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from lumbung.console import services as console
from tests.console.conftest import make_operator, verified_client

from .test_checkout import subscribe

REASON = "Transfer BRI terlihat di mutasi 3/12"


@pytest.fixture
def commit_fails_after_stripe_cancel(monkeypatch):
    """The payment's transaction fails to commit right after Stripe ended the card (the
    connection dropped): the first savepoint release after the cancellation raises, and
    Django rolls the savepoint back, as a failed COMMIT leaves nothing written."""
    state = {"cancelled": False, "failed": False}
    real_cancel = StripeProvider.subscription_cancel
    real_commit = connection.savepoint_commit

    def cancel(self, *, subscription):
        result = real_cancel(self, subscription=subscription)
        state["cancelled"] = True
        return result

    def savepoint_commit(sid):
        if state["cancelled"] and not state["failed"]:
            state["failed"] = True
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit(sid)

    monkeypatch.setattr(StripeProvider, "subscription_cancel", cancel)
    monkeypatch.setattr(connection, "savepoint_commit", savepoint_commit)
    return state


def test_commit_failing_after_stripe_ended_the_card_is_recorded_and_flagged(
    admin_client_a, stripe_plans, deliver, commit_fails_after_stripe_cancel
):
    _, sub = subscribe(admin_client_a, deliver)
    op = make_operator("billing", "billing-commit@ops.test")
    sedang = Plan.objects.get(code="sedang")

    with pytest.raises(ApplicationError) as err:
        _record_ending_card(op, sub, sedang)

    assert commit_fails_after_stripe_cancel["failed"]
    assert "gagal dicatat" in err.value.message and "sekali lagi" in err.value.message
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote["status"] == "canceled"
    assert not Invoice.objects.filter(subscription=sub, provider="bank_transfer").exists()
    # Our row says what Stripe does: the card no longer bills; flagged for operators.
    sub.refresh_from_db()
    assert sub.stripe_status == "canceled" and sub.provider == "bank_transfer"
    assert sub.card_end_unrecorded_at is not None
    assert sub in operator_flags()["card_end_unrecorded"]
    audit = AuditEvent.objects.get(action="billing.card_ended_payment_unrecorded")
    assert (
        audit.reason == REASON and audit.data["stripe_subscription"] == sub.stripe_subscription_id
    )
    page = verified_client(op).get("/billing/operator/transfer/").content.decode()
    assert sub.cooperative.name in page and "belum tercatat" in page

    # The operator records the payment again: no card to end now; the flag is cleared.
    console.tenant_payment_record(
        operator=op, cooperative=sub.cooperative, reason=REASON, plan=sedang, interval="month"
    )
    sub.refresh_from_db()
    assert sub.card_end_unrecorded_at is None and sub.status == "active"
    assert Invoice.objects.filter(subscription=sub, provider="bank_transfer", status="paid")
    assert sub not in operator_flags()["card_end_unrecorded"]


def test_stripe_deleting_a_card_we_still_think_bills_is_flagged(
    admin_client_a, stripe_plans, deliver
):
    """Nothing could be written after the failed commit either: our row still says the
    card bills. Stripe's event for the ended subscription flags it for operators."""
    _, sub = subscribe(admin_client_a, deliver)
    stripe_client().v1.subscriptions.cancel(sub.stripe_subscription_id)

    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})

    sub.refresh_from_db()
    assert sub.stripe_status == "canceled"
    assert sub.card_end_unrecorded_at is not None
    event = WebhookEvent.objects.get(event_type="customer.subscription.deleted")
    assert event.flagged and "tanpa tercatat" in event.flag_reason


def test_a_card_the_cooperative_set_to_end_is_not_flagged_when_stripe_ends_it(
    admin_client_a, stripe_plans, deliver
):
    _, sub = subscribe(admin_client_a, deliver)
    Subscription.objects.filter(pk=sub.pk).update(cancel_at_period_end=True)
    stripe_client().v1.subscriptions.cancel(sub.stripe_subscription_id)

    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})

    sub.refresh_from_db()
    assert sub.card_end_unrecorded_at is None
    assert not WebhookEvent.objects.get(event_type="customer.subscription.deleted").flagged


def test_the_operator_is_told_the_truth_when_the_flag_cannot_be_written_either(
    admin_client_a, stripe_plans, deliver, commit_fails_after_stripe_cancel, monkeypatch, caplog
):
    from billing.services import plans

    _, sub = subscribe(admin_client_a, deliver)
    op = make_operator("billing", "billing-down@ops.test")

    real_lock = plans._lock

    def database_still_down(subscription):
        if commit_fails_after_stripe_cancel["failed"]:
            raise OperationalError("could not connect to server")
        return real_lock(subscription)

    monkeypatch.setattr(plans, "_lock", database_still_down)
    with pytest.raises(ApplicationError) as err:
        _record_ending_card(op, sub, Plan.objects.get(code="sedang"))

    assert "setelah sistem pulih" in err.value.message
    assert "ditandai" not in err.value.message
    assert any(r.levelname == "CRITICAL" for r in caplog.records)
    sub.refresh_from_db()
    assert sub.card_end_unrecorded_at is None  # left to Stripe's event (test above)


def test_the_operator_is_told_in_plain_words_and_the_error_is_logged(
    admin_client_a, stripe_plans, deliver, commit_fails_after_stripe_cancel, caplog
):
    """The message names no exception (``OperationalError``): the operator acts on what
    it says; the technical error is in the log."""
    _, sub = subscribe(admin_client_a, deliver)
    op = make_operator("billing", "billing-plain@ops.test")
    with pytest.raises(ApplicationError) as err:
        _record_ending_card(op, sub, Plan.objects.get(code="sedang"))
    assert "gagal dicatat. Catat pembayaran ini sekali lagi" in err.value.message
    assert "Error" not in err.value.message, err.value.message
    assert "server closed the connection unexpectedly" in caplog.text


def _record_ending_card(op, sub, plan) -> None:
    """The operator records a bank payment for ``sub``'s cooperative on ``plan`` and ends
    its card subscription at Stripe."""
    console.tenant_payment_record(
        operator=op,
        cooperative=sub.cooperative,
        reason=REASON,
        plan=plan,
        interval="month",
        end_card_subscription=True,
    )
