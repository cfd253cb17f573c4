"""A card that fails: the cooperative is told the day its access becomes read-only (the
day the operator's console names), on the billing page, in the banner and in every
failure e-mail, including Stripe's retries days later, and where to change the card."""

import re
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.formats import date_format

from billing.models import Subscription

from .stripe_server import R
from .test_checkout import subscribe
from .test_dunning import _renewal_attempt, _set_card


def _suspend_day(sub: Subscription) -> str:
    grace = timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    return date_format(timezone.localdate(sub.past_due_since + grace))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _failed_card(admin_client_a, deliver, local_stripe) -> tuple[Subscription, str]:
    _, sub = subscribe(admin_client_a, deliver)
    mail.outbox.clear()
    local_stripe.call(_set_card, sub.stripe_customer_id, "4000000000000341")
    invoice_id = local_stripe.call(
        _renewal_attempt, sub.stripe_customer_id, sub.stripe_subscription_id
    )
    assert deliver("invoice.payment_failed", {"id": invoice_id}).status_code == 200
    sub.refresh_from_db()
    assert sub.status == Subscription.Status.PAST_DUE
    return sub, invoice_id


def test_a_failed_card_tells_the_cooperative_the_day_access_becomes_read_only(
    admin_client_a, stripe_plans, deliver, local_stripe
):
    sub, _ = _failed_card(admin_client_a, deliver, local_stripe)
    day = _suspend_day(sub)

    [failed] = [m for m in mail.outbox if "gagal" in m.subject]
    assert day in failed.body, failed.body
    assert "Kelola kartu" in failed.body

    page = _text(admin_client_a.get("/langganan/").content.decode())
    assert f"ditangguhkan bila belum dibayar {day}" in page, page
    assert "Kartu gagal ditagih" in page and "Kelola kartu" in page
    # the banner every staff page shows says the day too
    banner = page.split("Pembayaran langganan terlambat", 1)[1][:200]
    assert day in banner, banner


def test_a_failure_retried_days_later_names_the_same_day_not_a_fresh_grace(
    admin_client_a, stripe_plans, deliver, local_stripe, clock
):
    sub, invoice_id = _failed_card(admin_client_a, deliver, local_stripe)
    day = _suspend_day(sub)
    mail.outbox.clear()

    # Stripe retries the same invoice five days later; the card still declines
    clock.advance(days=5)
    local_stripe.call(R.Invoice._api_pay_invoice, invoice_id)
    assert deliver("invoice.payment_failed", {"id": invoice_id}).status_code == 200

    sub.refresh_from_db()
    assert _suspend_day(sub) == day  # the grace was not restarted
    [failed] = [m for m in mail.outbox if "gagal" in m.subject]
    assert day in failed.body, failed.body
    assert f"{settings.BILLING_PAST_DUE_GRACE_DAYS} hari" not in failed.body
