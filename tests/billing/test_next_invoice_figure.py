"""The billing page's "Tagihan berikutnya" figure, before the next invoice is issued, is
what that invoice will ask: the plan and interval it is for (a change scheduled for
the renewal, or the plan the members need), PPN added when the plan's price is without
it, and the credit it will take off."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction

from billing import services
from billing.models import CreditEntry, Plan, Subscription
from billing.services.credit import _credit_move
from billing.tax import tax_split
from core.common.money import format_rupiah
from tests.billing.conftest import pay_by_bank


def _next_invoice_card(client) -> str:
    page = client.get("/langganan/").content.decode()
    card = page[page.index("Tagihan berikutnya") :]
    return " ".join(card[: card.index("</div>")].split())


def _value(card: str) -> str:
    start = card.index('<span class="value">') + len('<span class="value">')
    return card[start : card.index("</span>", start)]


def _issued_amount(sub, plan, interval):
    """What the invoice issued now asks (issued in a savepoint, then rolled back)."""
    sid = transaction.savepoint()
    inv = services.bank_invoice_issue(subscription=sub, plan=plan, interval=interval, by="t")
    due = inv.amount_due
    transaction.savepoint_rollback(sid)
    return due


def test_a_plan_priced_without_ppn_shows_the_invoice_amount_with_ppn(tenant_a, admin_client_a):
    sub = Subscription.objects.select_related("plan").get(cooperative=tenant_a)
    Plan.objects.filter(pk=sub.plan_id).update(prices_include_ppn=False)
    plan = Plan.objects.get(pk=sub.plan_id)
    dpp, ppn = tax_split(
        price=plan.price_monthly, rate=Decimal(settings.BILLING_PPN_RATE), includes_ppn=False
    )
    assert _issued_amount(sub, plan, "month") == dpp + ppn

    assert _value(_next_invoice_card(admin_client_a)) == format_rupiah(dpp + ppn)


def test_a_change_scheduled_for_the_renewal_shows_that_plans_price(
    tenant_a, admin_client_a, operator
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    Subscription.objects.filter(pk=sub.pk).update(trial_ends_at=sub.created_at)
    sub.refresh_from_db()
    pay_by_bank(sub, "sedang", "year", operator)
    sub.refresh_from_db()
    kecil = Plan.objects.get(code="kecil")
    services.plan_change(subscription=sub, plan=kecil, interval="month", by="admin")
    sub.refresh_from_db()
    assert (sub.next_plan, sub.next_interval) == (kecil, "month")

    card = _next_invoice_card(admin_client_a)
    assert _value(card) == format_rupiah(kecil.price_monthly), card
    assert "Kecil" in card


def test_credit_held_is_taken_off_the_figure(tenant_a, admin_client_a):
    sub = Subscription.objects.select_related("plan").get(cooperative=tenant_a)
    with transaction.atomic():
        _credit_move(
            sub=sub,
            amount=Decimal(50_000),
            reason=CreditEntry.Reason.DUPLICATE_PAYMENT,
            by="t",
        )
    price = sub.plan.price_monthly
    assert _issued_amount(sub, sub.plan, "month") == price - 50_000

    card = _next_invoice_card(admin_client_a)
    assert _value(card) == format_rupiah(price - 50_000)
    assert f"{format_rupiah(price)} dikurangi kredit {format_rupiah(Decimal(50_000))}" in card
