"""The billing life cycle end to end (issue 27): a moved clock, the local Stripe server,
the Celery tasks run eagerly (as the worker would), the cooperative's and the operator's
screens over HTTP. Two walks: bank transfer (trial -> limits -> trial end -> transfer ->
proof rejected/confirmed -> upgrade invoiced -> downgrade at renewal -> late payment ->
suspended -> archived -> reactivated with a grace -> sweep) and card (checkout ->
cancel at period end -> cancelled runs out -> grace -> manual payment refused -> card in
arrears switches to transfer)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from billing import services
from billing.models import Invoice, Notice, Plan, Subscription
from billing.tasks import billing_reminders_task, billing_sweep_task, billing_usage_count_task
from core.common.errors import ApplicationError
from core.users import services as users
from lumbung.console import services as console
from lumbung.console.stats import mrr_for
from tenants.models import Cooperative
from tests.billing.conftest import confirm_transfer
from tests.console.conftest import make_operator, verified_client

from .conftest import add_active_members
from .stripe_server import R
from .test_checkout import subscribe
from .test_dunning import _renewal_attempt, _set_card

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _login(client, tenant, user):
    connection.set_tenant(tenant)
    try:
        client.force_login(user)
    finally:
        connection.set_schema_to_public()


def _sub(tenant) -> Subscription:
    return Subscription.objects.select_related("plan", "cooperative").get(cooperative=tenant)


def _subjects() -> list[str]:
    return [m.subject for m in mail.outbox]


def _status(tenant) -> str:
    sub = _sub(tenant)
    assert sub.status == Cooperative.objects.get(pk=tenant.pk).status
    return sub.status


def test_bank_transfer_life_cycle(
    admin_client_a, admin_a, tenant_a, clock, eager_tasks, django_capture_on_commit_callbacks
):
    op = make_operator("billing", "lifecycle-billing@ops.test")

    def ops():  # a fresh operator session at the moved clock's time
        return verified_client(op)

    client = admin_client_a
    mail.outbox.clear()

    # -- trial: the plan's limits ------------------------------------------------------
    assert _status(tenant_a) == "trial" and _sub(tenant_a).plan.code == "kecil"
    connection.set_tenant(tenant_a)
    try:
        for n in (2, 3):
            users.user_create(
                by=admin_a,
                email=f"s{n}@alpha.test",
                full_name="S",
                role="petugas",
                password="Kuat-Sekali-99",
            )
        with pytest.raises(ApplicationError) as err:
            users.user_create(
                by=admin_a,
                email="s4@alpha.test",
                full_name="S",
                role="petugas",
                password="Kuat-Sekali-99",
            )
        assert "/langganan/" in err.value.message
    finally:
        connection.set_schema_to_public()
    add_active_members(tenant_a, 130)
    with django_capture_on_commit_callbacks(execute=True):
        billing_usage_count_task.delay()
    assert _sub(tenant_a).is_over_limit
    assert any("melebihi batas" in s for s in _subjects())

    # -- the trial ends: past due, told so ----------------------------------------------
    clock.now = _sub(tenant_a).trial_ends_at + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep_task.delay()
    assert _status(tenant_a) == "past_due"
    assert any("uji coba" in s and "berakhir" in s for s in _subjects())

    # -- paying by bank transfer: a plan that does not fit is refused --------------------
    _login(client, tenant_a, admin_a)
    kecil, sedang = Plan.objects.get(code="kecil"), Plan.objects.get(code="sedang")
    client.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": kecil.pk, "interval": "year"}
    )
    assert not Invoice.objects.filter(subscription__cooperative=tenant_a).exists()
    client.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": sedang.pk, "interval": "year"}
    )
    inv = Invoice.objects.get(subscription__cooperative=tenant_a, status="open")
    assert inv.number.startswith(f"INV/{timezone.localdate().year}/")
    assert inv.dpp + inv.ppn == inv.amount == Decimal(3_500_000)
    upload = {"file": SimpleUploadedFile("b.png", PNG, "image/png"), "amount": "3.500.000"}
    client.post(f"/langganan/transfer/{inv.number}/bukti/", upload)
    inv.refresh_from_db()
    assert inv.status == "awaiting_confirmation"
    assert inv.reference in ops().get("/billing/operator/transfer/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        ops().post(f"/billing/operator/transfer/{inv.pk}/tolak/", {"reason": "Nominal kurang"})
    assert "Nominal kurang" in client.get("/langganan/").content.decode()
    assert any("ditolak" in s for s in _subjects())
    client.post(
        f"/langganan/transfer/{inv.number}/bukti/",
        {"file": SimpleUploadedFile("b2.png", PNG, "image/png"), "amount": "3.500.000"},
    )
    clock.advance(days=3)  # the operator is slow: the proof has waited > 1 day
    assert "menunggu lebih dari sehari" in ops().get("/billing/operator/transfer/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        confirm_transfer(ops(), inv)
    sub = _sub(tenant_a)
    inv.refresh_from_db()
    # paid late: the year runs from the payment date
    assert inv.period_start == timezone.localdate() and sub.status == "active"
    assert sub.plan == sedang and not sub.is_over_limit
    assert timezone.localdate(sub.current_period_end) == inv.period_end
    assert any("dipulihkan" in s for s in _subjects())
    assert mrr_for(sub) == (inv.dpp / 12).quantize(Decimal(1))

    # -- upgrade mid-year: a prorated invoice, the plan moves when paid -------------------
    clock.advance(days=100)
    _login(client, tenant_a, admin_a)
    unlimited = Plan.objects.get(code="tanpa-batas")
    client.post("/langganan/paket/", {"plan": unlimited.pk, "interval": "year"})
    sub = _sub(tenant_a)
    assert sub.plan == sedang
    upgrade = Invoice.objects.get(subscription=sub, kind="proration", status="open")
    assert 0 < upgrade.amount < Decimal(15_000_000 - 3_500_000)
    services.bank_transfer_confirm(invoice=upgrade, operator=op)
    assert _sub(tenant_a).plan == unlimited

    # -- downgrade: at renewal -----------------------------------------------------------
    besar = Plan.objects.get(code="besar")
    client.post("/langganan/paket/", {"plan": besar.pk, "interval": "year"})
    sub = _sub(tenant_a)
    assert sub.plan == unlimited and sub.next_plan == besar
    clock.now = sub.current_period_end - timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep_task.delay()
        billing_reminders_task.delay()
    renewal = Invoice.objects.get(subscription=sub, kind="subscription", status="open")
    assert renewal.plan == besar and renewal.period_start == inv.period_end + timedelta(days=1)

    # -- not paid: period end -> past due -> suspended (with the e-mails) -----------------
    clock.now = sub.current_period_end + timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep_task.delay()
    assert _status(tenant_a) == "past_due"
    assert any("Masa langganan" in s for s in _subjects())
    clock.advance(days=15)
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep_task.delay()
    assert _status(tenant_a) == "suspended"
    assert any("ditangguhkan" in s for s in _subjects())

    # -- a late payment: from the payment date, never a period in the past ----------------
    services.bank_transfer_confirm(invoice=renewal, operator=op)
    sub = _sub(tenant_a)
    assert sub.status == "active" and sub.plan == besar and sub.next_plan is None
    assert sub.current_period_end > timezone.now() + timedelta(days=360)

    # -- never paid again: suspended -> archived -> reactivated with a grace -------------
    clock.now = sub.current_period_end + timedelta(days=1)
    billing_sweep_task.delay()
    clock.advance(days=15)
    billing_sweep_task.delay()
    clock.advance(days=181)
    with django_capture_on_commit_callbacks(execute=True):
        billing_sweep_task.delay()
    assert _status(tenant_a) == "archived"
    assert any("diarsipkan" in s for s in _subjects())
    ops().post(
        f"/konsol/koperasi/{tenant_a.pk}/reactivate/",
        {"reason": "Ketua berjanji membayar", "confirm": "on", "days": 7},
    )
    sub = _sub(tenant_a)
    assert sub.status == "active"
    assert timezone.localdate(sub.current_period_end) == timezone.localdate() + timedelta(days=7)
    assert mrr_for(sub) == 0  # a grace is not revenue
    clock.advance(days=8)
    billing_sweep_task.delay()
    assert _status(tenant_a) == "past_due"
    assert Notice.objects.filter(subscription=sub).count() >= 6


def test_card_life_cycle(
    admin_client_a,
    admin_a,
    tenant_a,
    stripe_plans,
    deliver,
    local_stripe,
    eager_tasks,
    django_capture_on_commit_callbacks,
    clock,
):
    op = make_operator("billing", "lifecycle-card@ops.test")
    _, sub = subscribe(admin_client_a, deliver)
    assert sub.status == "active" and sub.provider == "stripe"

    # A manual payment would bill twice: refused.
    with pytest.raises(ApplicationError):
        console.tenant_payment_record(
            operator=op, cooperative=tenant_a, reason="mutasi", plan=sub.plan, interval="month"
        )

    # Cancel at the period end: shown; then cancelled: the paid period runs out.
    from billing.providers.stripe_provider import stripe_client

    stripe_client().v1.subscriptions.update(
        sub.stripe_subscription_id, {"cancel_at_period_end": True}
    )
    deliver("customer.subscription.updated", {"id": sub.stripe_subscription_id})
    assert _sub(tenant_a).cancel_at_period_end
    mail.outbox.clear()
    stripe_client().v1.subscriptions.cancel(sub.stripe_subscription_id)
    deliver("customer.subscription.deleted", {"id": sub.stripe_subscription_id})
    sub = _sub(tenant_a)
    assert sub.status == "active" and sub.stripe_status == "canceled"
    assert any("dihentikan" in s for s in _subjects())
    assert not any("ditangguhkan" in s for s in _subjects())
    clock.now = sub.current_period_end + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.billing_sweep()
    assert _status(tenant_a) == "past_due"

    # Back on a card (the paid month is over: charged at once), which then fails: in
    # arrears, the cooperative switches to transfer.
    _login(admin_client_a, tenant_a, admin_a)
    _, sub = subscribe(admin_client_a, deliver)
    assert sub.status == "active" and sub.stripe_status == "active"
    local_stripe.call(_set_card, sub.stripe_customer_id, "4000000000000341")
    failed = local_stripe.call(_renewal_attempt, sub.stripe_customer_id, sub.stripe_subscription_id)
    deliver("invoice.payment_failed", {"id": failed})
    assert _status(tenant_a) == "past_due"
    plan = Plan.objects.get(code="sedang")
    admin_client_a.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": plan.pk, "interval": "month"}
    )
    sub = _sub(tenant_a)
    assert sub.provider == "bank_transfer" and sub.stripe_status == "canceled"
    assert (
        local_stripe.call(lambda: R.Subscription._api_retrieve(sub.stripe_subscription_id).status)
        == "canceled"
    )
    bank = Invoice.objects.get(subscription=sub, provider="bank_transfer", status="open")
    console.tenant_payment_record(operator=op, cooperative=tenant_a, reason="mutasi", invoice=bank)
    assert _status(tenant_a) == "active"
    stripe_invoices = Invoice.objects.filter(subscription=sub, provider="stripe")
    assert stripe_invoices.exists()
    assert all(i.number.startswith("INV/") and i.provider_number for i in stripe_invoices)
