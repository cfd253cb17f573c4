"""The console's subscription panel says the subscription's real state: a paying card
subscription is not shown as a trial; every status the model has says what it means
(paid until, billed next, ending at the period end, past due, suspended, archived)."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from billing import services as billing
from billing.models import Plan, Subscription

pytestmark = pytest.mark.django_db


def _d(moment) -> str:
    return date_format(timezone.localdate(moment))


def _panel(client, coop) -> str:
    html = client.get(f"/konsol/koperasi/{coop.pk}/").content.decode()
    panel = html.split("<h2>Langganan</h2>", 1)[1].split("</dl>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", panel))


def _set(coop, **fields) -> Subscription:
    Subscription.objects.filter(cooperative=coop).update(**fields)
    return Subscription.objects.get(cooperative=coop)


def test_a_paying_card_subscription_is_not_shown_as_a_trial(op_clients, tenant_a):
    now = timezone.now()
    sub = _set(
        tenant_a,
        status="active",
        provider="stripe",
        stripe_subscription_id="sub_state_1",
        stripe_status="active",
        trial_ends_at=now - timedelta(days=20),
        current_period_end=now + timedelta(days=10),
        card_paid_until=now + timedelta(days=10),
    )
    text = _panel(op_clients["billing"], tenant_a)
    assert "Uji coba sampai" not in text
    assert f"Dibayar dengan kartu sampai {_d(sub.card_paid_until)}" in text
    assert f"Tagihan kartu berikutnya {_d(sub.current_period_end)}" in text


def test_a_card_ending_at_the_period_end_says_when_and_that_nothing_is_billed_next(
    op_clients, tenant_a
):
    now = timezone.now()
    sub = _set(
        tenant_a,
        status="active",
        provider="stripe",
        stripe_subscription_id="sub_state_2",
        stripe_status="active",
        current_period_end=now + timedelta(days=4),
        card_paid_until=now + timedelta(days=4),
        cancel_at_period_end=True,
    )
    text = _panel(op_clients["billing"], tenant_a)
    assert "Tagihan kartu berikutnya" not in text
    assert (
        f"Langganan kartu berhenti {_d(sub.current_period_end)}, di akhir periode; "
        "kartu tidak ditagih lagi"
    ) in text


def test_a_trial_says_its_end_and_when_a_card_set_up_is_first_charged(op_clients, tenant_a):
    now = timezone.now()
    sub = _set(
        tenant_a,
        status="trial",
        provider="stripe",
        stripe_subscription_id="sub_state_3",
        stripe_status="trialing",
        trial_ends_at=now + timedelta(days=5),
        current_period_end=now + timedelta(days=5),
    )
    text = _panel(op_clients["billing"], tenant_a)
    assert f"Uji coba sampai {_d(sub.trial_ends_at)}" in text
    assert f"Kartu mulai ditagih {_d(sub.current_period_end)}" in text


def test_a_bank_transfer_subscription_says_paid_until_and_when_the_renewal_is_issued(
    op_clients, tenant_a
):
    now = timezone.now()
    sub = _set(
        tenant_a,
        status="active",
        provider="bank_transfer",
        trial_ends_at=now - timedelta(days=40),
        current_period_end=now + timedelta(days=20),
    )
    text = _panel(op_clients["billing"], tenant_a)
    assert "Uji coba sampai" not in text
    assert f"Dibayar sampai {_d(sub.current_period_end)}" in text
    renewal = sub.current_period_end - timedelta(days=settings.BILLING_RENEWAL_NOTICE_DAYS)
    assert f"Tagihan perpanjangan terbit {_d(renewal)}" in text


def test_past_due_says_since_when_and_when_it_is_suspended_with_the_open_invoice(
    op_clients, tenant_a
):
    sub = Subscription.objects.get(cooperative=tenant_a)
    invoice = billing.bank_invoice_issue(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="t"
    )
    since = timezone.now() - timedelta(days=2)
    sub = _set(tenant_a, status="past_due", past_due_since=since)
    text = _panel(op_clients["billing"], tenant_a)
    assert "Uji coba sampai" not in text
    assert f"Menunggak sejak {_d(since)}" in text
    suspend_on = since + timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    assert f"Ditangguhkan otomatis bila belum dibayar {_d(suspend_on)}" in text
    assert f"Tagihan belum lunas {invoice.number}, Rp " in text
    assert f"jatuh tempo {date_format(invoice.due_on)}" in text


def test_suspended_says_since_when_why_and_when_it_is_archived(op_clients, tenant_a):
    since = timezone.now() - timedelta(days=3)
    _set(tenant_a, status="suspended", suspended_since=since)
    text = _panel(op_clients["billing"], tenant_a)
    assert f"Ditangguhkan sejak {_d(since)}" in text
    assert "Sebab tagihan belum dibayar" in text
    archive_on = since + timedelta(days=settings.BILLING_ARCHIVE_AFTER_DAYS)
    assert f"Diarsipkan otomatis {_d(archive_on)}" in text

    _set(tenant_a, suspended_by_operator=True, operator_reason="Data ganda diperiksa")
    text = _panel(op_clients["billing"], tenant_a)
    assert "Sebab oleh operator: Data ganda diperiksa" in text


def test_archived_says_so(op_clients, tenant_a):
    since = timezone.now() - timedelta(days=70)
    _set(tenant_a, status="archived", suspended_since=since)
    text = _panel(op_clients["billing"], tenant_a)
    assert f"Diarsipkan; ditangguhkan sejak {_d(since)}" in text
    assert "Uji coba sampai" not in text
