"""Card and bank transfer never bill the same cooperative twice: a manual payment for a
card-paying cooperative is refused unless the card subscription ends first; a card in
arrears may switch to transfer, which ends the card subscription."""

import pytest
from django.core import mail
from django.utils import timezone

from billing.models import Invoice, Plan, Subscription
from billing.providers.stripe_provider import stripe_client
from core.common.errors import ApplicationError
from lumbung.console import services as console
from tests.console.conftest import make_operator, verified_client

from .conftest import add_active_members
from .test_checkout import subscribe
from .test_dunning import _renewal_attempt, _set_card

REASON = "Transfer BRI terlihat di mutasi 3/12"


def test_manual_payment_for_a_card_paying_cooperative_is_refused_until_the_card_ends(
    admin_client_a, stripe_plans, deliver
):
    _, sub = subscribe(admin_client_a, deliver)
    op = make_operator("billing", "billing@ops.test")
    sedang = Plan.objects.get(code="sedang")
    with pytest.raises(ApplicationError) as err:
        console.tenant_payment_record(
            operator=op, cooperative=sub.cooperative, reason=REASON, plan=sedang, interval="month"
        )
    assert "kartu" in err.value.message
    sub.refresh_from_db()
    assert sub.provider == "stripe" and sub.stripe_status == "active"
    assert not Invoice.objects.filter(subscription=sub, provider="bank_transfer").exists()

    # Through the console screen: the warning is on the form, the refusal is shown.
    client = verified_client(op)
    url = f"/konsol/koperasi/{sub.cooperative_id}/record_payment/"
    page = client.get(url).content.decode()
    assert 'name="end_card_subscription"' in page
    refused = client.post(
        url,
        {
            "reason": REASON,
            "confirm": "on",
            "plan": sedang.pk,
            "interval": "month",
            "amount": str(sedang.price_monthly),
        },
    )
    assert refused.status_code == 200 and "menagih dua kali" in refused.content.decode()

    done = client.post(
        url,
        {
            "reason": REASON,
            "confirm": "on",
            "plan": sedang.pk,
            "interval": "month",
            "amount": str(sedang.price_monthly),
            "end_card_subscription": "on",
        },
    )
    assert done.status_code == 302
    sub.refresh_from_db()
    assert sub.provider == "bank_transfer" and sub.stripe_status == "canceled"
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote["status"] == "canceled"
    paid = Invoice.objects.get(subscription=sub, provider="bank_transfer", status="paid")
    assert sub.status == "active" and sub.current_period_end.date() >= paid.period_end
    # Stripe's own "deleted" event afterwards changes nothing.
    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.status == "active" and sub.provider == "bank_transfer"


def test_a_card_cooperative_in_arrears_may_switch_to_transfer(
    admin_client_a, stripe_plans, deliver, local_stripe, operator
):
    from billing import services

    _, sub = subscribe(admin_client_a, deliver)
    local_stripe.call(_set_card, sub.stripe_customer_id, "4000000000000341")
    failed = local_stripe.call(_renewal_attempt, sub.stripe_customer_id, sub.stripe_subscription_id)
    deliver("invoice.payment_failed", {"id": failed})
    sub.refresh_from_db()
    assert sub.status == "past_due" and sub.stripe_status == "past_due"

    plan = Plan.objects.get(code="sedang")
    resp = admin_client_a.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": plan.pk, "interval": "month"}
    )
    assert resp.status_code == 302
    sub.refresh_from_db()
    assert sub.provider == "bank_transfer" and sub.stripe_status == "canceled"
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote["status"] == "canceled"
    inv = Invoice.objects.get(subscription=sub, provider="bank_transfer", status="open")
    # the cancellation's webhook does not suspend or re-mark the card
    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})
    sub.refresh_from_db()
    assert sub.status == "past_due" and sub.provider == "bank_transfer"
    mail.outbox.clear()
    services.bank_transfer_confirm(invoice=inv, operator=operator)
    sub.refresh_from_db()
    assert sub.status == "active" == sub.cooperative.status


def test_console_refuses_a_payment_for_a_plan_the_members_do_not_fit(tenant_a, db):
    op = make_operator("billing", "billing2@ops.test")
    add_active_members(tenant_a, 101)
    small = Plan.objects.get(code="kecil")
    sub = Subscription.objects.get(cooperative=tenant_a)
    with pytest.raises(ApplicationError) as err:
        console.tenant_payment_record(
            operator=op, cooperative=tenant_a, reason=REASON, plan=small, interval="month"
        )
    assert err.value.code == "plan_below_member_count"
    from billing.services import bank_invoice_issue

    stale = bank_invoice_issue(subscription=sub, plan=small, interval="month", by="t")
    with pytest.raises(ApplicationError):
        console.tenant_payment_record(
            operator=op, cooperative=tenant_a, reason=REASON, invoice=stale
        )
    assert not Invoice.objects.filter(subscription=sub, status="paid").exists()


def test_manual_payment_that_fails_leaves_the_card_subscription_running(
    admin_client_a, stripe_plans, deliver
):
    """The operator ends the card with a manual payment, but the payment cannot be
    recorded (the invoice chosen was void meanwhile): nothing happens, at Stripe either.
    The card used to be cancelled at Stripe first, then the payment refused and rolled
    back: the cooperative had no card and no payment, and our row still said the card
    billed."""
    from billing import services

    _, sub = subscribe(admin_client_a, deliver)
    op = make_operator("billing", "billing3@ops.test")
    void = Invoice.objects.create(
        subscription=sub,
        provider=Subscription.Provider.BANK_TRANSFER,
        number="INV/VOID/0001",
        reference="LMBVOID0001",
        plan=sub.plan,
        interval="month",
        amount=sub.plan.price_monthly,
        issued_on=sub.created_at.date(),
        due_on=sub.created_at.date(),
        status=Invoice.Status.VOID,
        voided_on=timezone.localdate(),
    )

    with pytest.raises(ApplicationError) as err:
        console.tenant_payment_record(
            operator=op,
            cooperative=sub.cooperative,
            reason=REASON,
            invoice=void,
            end_card_subscription=True,
        )

    assert err.value.code == services.BillingErrors.INVOICE_NOT_PAYABLE
    remote = stripe_client().v1.subscriptions.retrieve(sub.stripe_subscription_id)
    assert remote["status"] == "active"
    sub.refresh_from_db()
    assert sub.provider == "stripe" and sub.stripe_status == "active"
    assert not Invoice.objects.filter(subscription=sub, status="paid").exists()


def test_manual_payment_is_refused_while_stripe_cannot_end_the_card(
    admin_client_a, stripe_plans, deliver, settings
):
    """Stripe unreachable when the operator records a payment ending the card: the
    payment is refused (nothing recorded, the card still bills and our row says so)
    rather than recorded while the card may charge again: no double billing."""
    from tests.faults.helpers import free_port

    _, sub = subscribe(admin_client_a, deliver)
    op = make_operator("billing", "billing4@ops.test")
    sedang = Plan.objects.get(code="sedang")
    settings.STRIPE_API_BASE = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(ApplicationError) as err:
        console.tenant_payment_record(
            operator=op,
            cooperative=sub.cooperative,
            reason=REASON,
            plan=sedang,
            interval="month",
            end_card_subscription=True,
        )

    assert "tidak dapat dihubungi" in err.value.message
    sub.refresh_from_db()
    assert sub.provider == "stripe" and sub.stripe_status == "active"
    assert not Invoice.objects.filter(subscription=sub, provider="bank_transfer").exists()
