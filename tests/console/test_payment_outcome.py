"""The console's *Catat pembayaran manual* says what the payment did to the cooperative's
access: active again (and until when), or still suspended / archived because an
operator's decision holds it (with that decision's reason and how to lift it), and which
other bills are still unpaid. The audit row records the status before and after."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.utils import timezone, translation

from billing import services as billing
from billing.models import Invoice, Plan, Subscription
from core.audit.models import AuditEvent
from core.common.dates import format_date
from core.common.money import format_rupiah
from lumbung.console import services as console

pytestmark = pytest.mark.django_db
REASON = "Mutasi BRI 7/12"


def _day(d) -> str:
    with translation.override("id"):
        return format_date(d)


def _sub(coop) -> Subscription:
    return Subscription.objects.get(cooperative=coop)


def _pay(client, coop, plan) -> str:
    """Record a month of ``plan`` paid from the console; the message shown after it."""
    resp = client.post(
        f"/konsol/koperasi/{coop.pk}/record_payment/",
        {
            "reason": REASON,
            "confirm": "on",
            "plan": plan.pk,
            "interval": "month",
            "amount": str(plan.price_monthly),
        },
    )
    assert resp.status_code == 302, resp.content.decode()[:2000]
    return [str(m) for m in get_messages(resp.wsgi_request)][-1]  # this request's


def _swept(coop, days: int) -> Subscription:
    """The daily sweep after the trial: past due the day after, suspended after the
    grace (15 days on), archived after the archive days (15 + 181)."""
    sub = _sub(coop)
    start = sub.trial_ends_at + timedelta(days=1)
    for offset in (0, 15, 15 + 181):
        if offset <= days:
            billing.billing_sweep(now=start + timedelta(days=offset))
    sub.refresh_from_db()
    return sub


def _audited(operator) -> AuditEvent:
    connection.set_schema_to_public()
    return (
        AuditEvent.objects.filter(action="console.payment_recorded", actor=operator)
        .order_by("-pk")
        .first()
    )


def test_paying_for_a_cooperative_the_sweep_suspended_says_it_is_active_again_and_until_when(
    op_clients, operators, tenant_a
):
    assert _swept(tenant_a, 15).status == "suspended"

    message = _pay(op_clients["billing"], tenant_a, Plan.objects.get(code="sedang"))

    sub = _sub(tenant_a)
    assert sub.status == "active"
    assert "Koperasi aktif kembali (sebelumnya: Ditangguhkan (hanya baca))" in message
    assert f"aktif sampai {_day(timezone.localdate(sub.current_period_end))}" in message
    event = _audited(operators["billing"])
    assert event.data["status_from"] == "suspended" and event.data["status_to"] == "active"


def test_paying_for_an_active_cooperative_says_it_stays_active(op_clients, tenant_a):
    plan = Plan.objects.get(code="sedang")
    _pay(op_clients["billing"], tenant_a, plan)

    message = _pay(op_clients["billing"], tenant_a, Plan.objects.get(code="kecil"))

    assert "Koperasi tetap aktif" in message
    assert "aktif kembali" not in message


def test_paying_for_a_cooperative_an_operator_suspended_says_it_stays_suspended_and_why(
    op_clients, operators, tenant_a
):
    console.tenant_suspend(
        operator=operators["admin"], cooperative=tenant_a, reason="Sengketa pengurus"
    )

    message = _pay(op_clients["billing"], tenant_a, Plan.objects.get(code="sedang"))

    assert _sub(tenant_a).status == "suspended"
    assert "Koperasi tetap ditangguhkan" in message
    assert "Alasan: Sengketa pengurus." in message
    assert "Aktifkan kembali" in message
    assert "aktif kembali (" not in message
    event = _audited(operators["billing"])
    assert event.data["status_from"] == event.data["status_to"] == "suspended"


def test_paying_for_a_cooperative_an_operator_archived_says_it_stays_archived_and_why(
    op_clients, operators, tenant_a
):
    console.tenant_archive(
        operator=operators["admin"], cooperative=tenant_a, reason="Koperasi bergabung"
    )

    message = _pay(op_clients["billing"], tenant_a, Plan.objects.get(code="sedang"))

    assert _sub(tenant_a).status == "archived"
    assert "Koperasi tetap diarsipkan" in message and "diarsipkan oleh operator" in message
    assert "Alasan: Koperasi bergabung." in message and "Aktifkan kembali" in message


def test_paying_for_an_operators_suspension_the_sweep_archived_says_it_stays_archived(
    op_clients, operators, tenant_a
):
    console.tenant_suspend(
        operator=operators["admin"], cooperative=tenant_a, reason="Pemeriksaan keuangan"
    )
    sub = _sub(tenant_a)
    billing.billing_sweep(now=sub.suspended_since + timedelta(days=181))
    assert _sub(tenant_a).status == "archived"

    message = _pay(op_clients["billing"], tenant_a, Plan.objects.get(code="sedang"))

    assert _sub(tenant_a).status == "archived"
    assert "Koperasi tetap diarsipkan" in message and "ditangguhkan oleh operator" in message
    assert "Alasan penangguhan: Pemeriksaan keuangan." in message
    assert "Aktifkan kembali" in message


def test_paying_one_bill_names_the_bills_still_unpaid(op_clients, tenant_a):
    sub = _sub(tenant_a)
    today = timezone.localdate()
    other = billing.bank_invoice_issue(
        subscription=sub,
        plan=Plan.objects.get(code="besar"),
        interval="month",
        by="t",
        kind=Invoice.Kind.PRORATION,
        amount=Decimal(150_000),
        period=(today, today + timedelta(days=20)),
    )

    message = _pay(op_clients["billing"], tenant_a, Plan.objects.get(code="sedang"))

    other.refresh_from_db()
    assert other.status == Invoice.Status.OPEN
    assert "Masih belum dibayar:" in message
    assert f"{other.number} ({format_rupiah(other.amount_due)}, jatuh tempo " in message
    assert _day(other.due_on) in message
