"""A plan change on a paying card mid-period is prorated by Stripe on the card's next
invoice (create_prorations): the cooperative is told so, with the day, not only
"Paket diganti" next to a "Tagihan berikutnya" that shows the plain price."""

import re

from django.utils import timezone
from django.utils.formats import date_format

from billing.models import Plan

from .test_checkout import subscribe


def _message(response) -> str:
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))
    return text.split("Paket diganti menjadi", 1)[1][:400]


def test_a_card_upgrade_mid_period_says_the_difference_is_charged_with_the_next_invoice(
    admin_client_a, stripe_plans, deliver
):
    _, sub = subscribe(admin_client_a, deliver, plan_code="sedang")
    besar = Plan.objects.get(code="besar")
    response = admin_client_a.post(
        "/langganan/paket/", {"plan": besar.pk, "interval": "month"}, follow=True
    )
    sub.refresh_from_db()
    assert sub.plan == besar
    message = _message(response)
    day = date_format(timezone.localdate(sub.current_period_end))
    assert "Selisih harga untuk sisa periode ini ditagih ke kartu" in message, message
    assert day in message, message


def test_a_card_downgrade_mid_period_says_the_unused_time_reduces_the_next_invoice(
    admin_client_a, stripe_plans, deliver
):
    _, sub = subscribe(admin_client_a, deliver, plan_code="besar")
    kecil = Plan.objects.get(code="kecil")
    response = admin_client_a.post(
        "/langganan/paket/", {"plan": kecil.pk, "interval": "month"}, follow=True
    )
    sub.refresh_from_db()
    assert sub.plan == kecil
    message = _message(response)
    day = date_format(timezone.localdate(sub.current_period_end))
    assert "mengurangi tagihan kartu berikutnya" in message, message
    assert day in message, message
