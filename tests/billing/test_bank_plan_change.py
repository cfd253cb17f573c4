"""Changing plan on bank transfer inside a paid period: an upgrade is invoiced for the
rest of the period (and applies when paid), a downgrade applies at renewal."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from billing import services
from billing.models import Invoice, Plan, Subscription
from tests.billing.conftest import pay_by_bank


def _paid_sedang_yearly(tenant_a, operator):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    first = pay_by_bank(sub, "sedang", "year", operator)
    sub.refresh_from_db()
    assert sub.status == "active" and sub.plan.code == "sedang" and sub.interval == "year"
    return sub, first


def test_upgrade_on_bank_transfer_issues_a_prorated_invoice_and_applies_when_paid(
    tenant_a, operator, clock
):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    end = sub.current_period_end
    clock.advance(days=200)
    today = timezone.localdate()
    unlimited = Plan.objects.get(code="tanpa-batas")

    services.plan_change(subscription=sub, plan=unlimited, interval="year", by="admin")

    sub.refresh_from_db()
    assert sub.plan.code == "sedang", "no free upgrade: the plan moves when the invoice is paid"
    inv = Invoice.objects.get(subscription=sub, kind=Invoice.Kind.PRORATION)
    total = (first.period_end - first.period_start).days + 1
    remaining = (first.period_end - today).days + 1
    expected = (Decimal(15_000_000 - 3_500_000) * remaining / total).quantize(Decimal(1))
    assert inv.status == Invoice.Status.OPEN and inv.amount == expected > 0
    assert inv.plan == unlimited and inv.period_start == today
    assert inv.period_end == first.period_end

    services.bank_transfer_confirm(invoice=inv, operator=operator)
    sub.refresh_from_db()
    assert sub.plan == unlimited and sub.current_period_end == end and sub.status == "active"

    # The renewal is for the new plan at its full price.
    services.billing_sweep(now=end - timedelta(days=5))
    renewal = Invoice.objects.get(subscription=sub, kind="subscription", status="open")
    assert renewal.plan == unlimited and renewal.amount == Decimal(15_000_000)


def test_unpaid_upgrade_invoice_lapses_with_the_period(tenant_a, operator, clock):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    clock.advance(days=300)
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    inv = Invoice.objects.get(subscription=sub, kind=Invoice.Kind.PRORATION)
    clock.advance(days=80)
    services.billing_sweep(now=timezone.now())
    inv.refresh_from_db()
    sub.refresh_from_db()
    assert inv.status == Invoice.Status.VOID
    assert sub.plan.code == "sedang"


def test_downgrade_on_bank_transfer_applies_at_renewal(tenant_a, operator, clock):
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    clock.advance(days=30)
    small = Plan.objects.get(code="kecil")
    services.plan_change(subscription=sub, plan=small, interval="month", by="admin")
    sub.refresh_from_db()
    assert sub.plan.code == "sedang" and sub.interval == "year"
    assert sub.next_plan == small and sub.next_interval == "month"
    assert not Invoice.objects.filter(subscription=sub, kind=Invoice.Kind.PRORATION).exists()

    clock.now = sub.current_period_end - timedelta(days=5)
    services.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, status="open")
    assert renewal.plan == small and renewal.interval == "month"
    assert renewal.amount == small.price_monthly
    assert renewal.period_start == first.period_end + timedelta(days=1)
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    sub.refresh_from_db()
    # paid early: the rest of the year was paid on "sedang" and stays on it
    assert sub.plan.code == "sedang" and sub.interval == "year"
    assert sub.next_plan == small and sub.next_interval == "month"
    assert timezone.localdate(sub.current_period_end) == renewal.period_end

    services.billing_sweep(now=clock.now + timedelta(days=4))  # the year's last day
    sub.refresh_from_db()
    assert sub.plan.code == "sedang" and sub.next_plan == small
    counts = services.billing_sweep(now=clock.now + timedelta(days=6))  # the month begins
    sub.refresh_from_db()
    assert counts["scheduled_plans"] == 1
    assert sub.plan == small and sub.interval == "month" and sub.next_plan is None
    assert sub.next_interval == "" and sub.status == "active"


def test_next_year_prepaid_on_a_dearer_plan_keeps_the_paid_year_on_its_plan(
    admin_client_a, tenant_a, operator
):
    Subscription.objects.filter(cooperative=tenant_a).update(trial_ends_at=timezone.now())
    sub = Subscription.objects.get(cooperative=tenant_a)
    first = pay_by_bank(sub, "kecil", "year", operator)
    besar = Plan.objects.get(code="besar")
    # "Transfer bank" on the dearer plan (not "Ganti paket", which invoices the difference)
    response = admin_client_a.post(
        "/langganan/bayar/", {"provider": "bank_transfer", "plan": besar.pk, "interval": "year"}
    )
    assert response.status_code == 302
    nxt = Invoice.objects.get(subscription=sub, status="open")
    assert nxt.period_start == first.period_end + timedelta(days=1)
    assert nxt.amount == besar.price_yearly

    services.bank_transfer_confirm(invoice=nxt, operator=operator)
    sub.refresh_from_db()
    assert sub.plan.code == "kecil", "no free upgrade for the year paid at the kecil price"
    assert sub.next_plan == besar and sub.next_interval == "year"
    assert timezone.localdate(sub.current_period_end) == nxt.period_end
    page = admin_client_a.get("/langganan/").content.decode()
    assert "mulai perpanjangan: Besar" in page

    services.billing_sweep(now=_end_of(first.period_end) - timedelta(hours=1))
    sub.refresh_from_db()
    assert sub.plan.code == "kecil"
    services.billing_sweep(now=_end_of(first.period_end) + timedelta(hours=1))
    sub.refresh_from_db()
    assert sub.plan == besar and sub.interval == "year" and sub.next_plan is None


def _end_of(day):
    from datetime import datetime, time

    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


def test_proration_amount_is_the_difference_for_the_remaining_days():
    from datetime import date

    start, end = date(2026, 1, 1), date(2026, 12, 31)  # 365 days
    args = {"old_price": Decimal(3_500_000), "new_price": Decimal(15_000_000)}
    assert services.proration_amount(**args, period_start=start, period_end=end, today=start) == (
        Decimal(11_500_000)
    )
    # 1 day left: 11,500,000 / 365 = 31,506.8… -> 31,507 (half up)
    assert services.proration_amount(
        **args, period_start=start, period_end=end, today=end
    ) == Decimal(31_507)
    assert services.proration_amount(
        **args, period_start=start, period_end=end, today=date(2027, 1, 1)
    ) == Decimal(0)
    assert services.proration_amount(
        old_price=Decimal(5), new_price=Decimal(3), period_start=start, period_end=end, today=start
    ) == Decimal(0)  # cheaper: nothing to invoice now


def test_going_back_to_the_current_plan_voids_the_renewal_invoice_for_the_abandoned_one(
    tenant_a, operator, clock
):
    """A downgrade scheduled for the renewal, then given up: the renewal invoice already
    issued for the smaller plan is not owed any more (paying it would move the
    cooperative to the plan it gave up, at its price), the renewal is invoiced for the
    plan kept, and the change of mind is audited."""
    from core.audit.models import AuditEvent

    sub, first = _paid_sedang_yearly(tenant_a, operator)
    clock.advance(days=30)
    small = Plan.objects.get(code="kecil")
    services.plan_change(subscription=sub, plan=small, interval="month", by="admin")
    clock.now = sub.current_period_end - timedelta(days=5)
    services.billing_sweep(now=clock.now)
    for_small = Invoice.objects.get(subscription=sub, status="open")
    assert for_small.plan == small

    sub.refresh_from_db()
    services.plan_change(subscription=sub, plan=first.plan, interval="year", by="admin")

    sub.refresh_from_db()
    for_small.refresh_from_db()
    assert sub.next_plan is None and sub.next_interval == ""
    assert for_small.status == Invoice.Status.VOID
    reverted = AuditEvent.objects.filter(
        action="billing.plan_change_scheduled", data__to="sedang/year"
    )
    assert reverted.count() == 1
    services.billing_sweep(now=clock.now + timedelta(hours=1))
    renewal = Invoice.objects.get(subscription=sub, status="open")
    assert renewal.plan.code == "sedang" and renewal.interval == "year"
    assert renewal.amount == first.plan.price_yearly
    assert renewal.period_start == first.period_end + timedelta(days=1)


def test_upgrade_after_the_next_period_was_paid_early_invoices_that_period_too(
    tenant_a, operator, clock
):
    """The renewal paid early at the cheaper price, then an upgrade in the last days of
    the current period: the next period, already paid at the cheaper price, is not given
    on the dearer plan for free."""
    sub, first = _paid_sedang_yearly(tenant_a, operator)
    clock.now = sub.current_period_end - timedelta(days=10)
    services.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, status="open")
    services.bank_transfer_confirm(invoice=renewal, operator=operator)
    sub.refresh_from_db()
    assert sub.plan.code == "sedang"
    today = timezone.localdate()
    unlimited = Plan.objects.get(code="tanpa-batas")

    services.plan_change(subscription=sub, plan=unlimited, interval="year", by="admin")

    inv = Invoice.objects.get(subscription=sub, kind=Invoice.Kind.PRORATION)
    rest_of_year = services.proration_amount(
        old_price=Decimal(3_500_000),
        new_price=Decimal(15_000_000),
        period_start=first.period_start,
        period_end=first.period_end,
        today=today,
    )
    assert inv.amount == rest_of_year + Decimal(15_000_000 - 3_500_000)
    assert inv.period_start == today and inv.period_end == renewal.period_end
    services.bank_transfer_confirm(invoice=inv, operator=operator)
    sub.refresh_from_db()
    assert sub.plan == unlimited
    assert timezone.localdate(sub.current_period_end) == renewal.period_end


def _voided_audits(inv):
    from core.audit.models import AuditEvent

    return AuditEvent.objects.filter(
        action="billing.bank_invoice_voided", target_type="billing.invoice", target_id=str(inv.pk)
    )


def test_every_bank_invoice_made_void_is_audited_with_the_reason(tenant_a, operator, clock):
    """A void invoice is money no longer owed: whichever path voids it (another invoice
    replaces it, a plan change, an unpaid upgrade lapsing) leaves the audit row."""
    sub = Subscription.objects.get(cooperative=tenant_a)
    kecil, sedang = Plan.objects.get(code="kecil"), Plan.objects.get(code="sedang")
    first = services.bank_invoice_issue(subscription=sub, plan=kecil, interval="year", by="t")
    second = services.bank_invoice_issue(subscription=sub, plan=sedang, interval="year", by="t")
    first.refresh_from_db()
    assert first.status == "void" and _voided_audits(first).count() == 1
    assert second.number in _voided_audits(first).get().reason

    Subscription.objects.filter(pk=sub.pk).update(provider="bank_transfer")
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="month", by="admin"
    )
    second.refresh_from_db()
    assert second.status == "void" and _voided_audits(second).count() == 1

    sub, _first = _paid_sedang_yearly(tenant_a, operator)
    clock.advance(days=300)
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    upgrade = Invoice.objects.get(subscription=sub, kind=Invoice.Kind.PRORATION)
    clock.advance(days=80)
    services.billing_sweep(now=timezone.now())
    upgrade.refresh_from_db()
    assert upgrade.status == "void" and _voided_audits(upgrade).count() == 1


def test_upgrade_message_names_the_upgrade_invoice_not_an_awaiting_renewal(
    tenant_a, operator, clock, client_a, admin_a
):
    """The renewal's transfer proof awaits the operator when the cooperative upgrades in
    the last days of its paid period: the message after the change names the prorated
    invoice just issued (number and amount), not the older renewal invoice, which said
    the new plan applied only at the next renewal."""
    from django.contrib.messages import get_messages
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    sub, first = _paid_sedang_yearly(tenant_a, operator)
    clock.now = sub.current_period_end - timedelta(days=10)
    services.billing_sweep(now=clock.now)
    renewal = Invoice.objects.get(subscription=sub, status="open")
    services.bank_proof_upload(
        invoice=renewal,
        upload=SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png"),
        by="bendahara",
        amount_claimed=renewal.amount_due,
    )
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.AWAITING
    besar = Plan.objects.get(code="besar")
    connection.set_tenant(tenant_a)
    client_a.force_login(admin_a)  # after the clock moved: a fresh session
    connection.set_schema_to_public()

    response = client_a.post("/langganan/paket/", {"plan": besar.pk, "interval": "year"})

    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    upgrade = Invoice.objects.filter(subscription=sub, kind=Invoice.Kind.PRORATION).first()
    assert upgrade is not None, (texts, list(Invoice.objects.filter(subscription=sub).values()))
    assert upgrade.status == Invoice.Status.OPEN and upgrade.amount > 0
    assert renewal.due_on <= upgrade.due_on and renewal.pk < upgrade.pk
    amount = f"Rp {upgrade.amount:,.0f}".replace(",", ".")
    # It also carries the difference for the period whose renewal awaits the operator
    # (tests/billing/test_upgrade_awaiting_renewal.py).
    assert texts == [
        f"Tagihan selisih {upgrade.number} ({amount}) untuk sisa periode ini dan periode "
        f"tagihan {renewal.number} diterbitkan. Paket {besar.name} berlaku setelah tagihan "
        "dibayar."
    ]
    # The page's transfer instructions are for the invoice still to be paid, the upgrade,
    # not the renewal whose proof already awaits the operator.
    page = client_a.get("/langganan/").content.decode()
    assert f"Tagihan {upgrade.number}: bayar dengan transfer bank" in page
    assert upgrade.reference in page


def test_every_plan_change_audit_row_says_from_to_and_the_members_counted(
    tenant_a, operator, clock
):
    from core.audit.models import AuditEvent

    sub, first = _paid_sedang_yearly(tenant_a, operator)
    clock.advance(days=100)
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="besar"), interval="year", by="admin"
    )
    invoiced = AuditEvent.objects.get(action="billing.plan_upgrade_invoiced")
    upgrade = Invoice.objects.get(subscription=sub, kind=Invoice.Kind.PRORATION)
    assert invoiced.data == {
        "from": "sedang/year",
        "to": "besar/year",
        "active_members": 0,
        "invoice": upgrade.number,
        "amount": str(upgrade.amount),
    }
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="kecil"), interval="month", by="admin"
    )
    scheduled = AuditEvent.objects.filter(action="billing.plan_change_scheduled").latest("pk")
    assert scheduled.data == {
        "from": "sedang/year",
        "to": "kecil/month",
        "active_members": 0,
        "from_date": (first.period_end + timedelta(days=1)).isoformat(),
    }
    sub.refresh_from_db()
    services.plan_change(
        subscription=sub, plan=Plan.objects.get(code="sedang"), interval="year", by="admin"
    )
    withdrawn = AuditEvent.objects.filter(action="billing.plan_change_scheduled").latest("pk")
    assert withdrawn.data == {"from": "kecil/month", "to": "sedang/year", "active_members": 0}


def test_a_second_upgrade_while_the_first_ones_transfer_awaits_the_operator_bills_nothing_twice(
    tenant_a, operator, clock, client_a, admin_a
):
    """The upgrade to Besar was transferred (its proof awaits the operator), then the
    cooperative picks Tanpa Batas: a second prorated invoice from Sedang would bill the
    Besar part of the rest of the year again once both are confirmed. It is refused,
    naming the transfer, with nothing changed; once the operator has confirmed it, the
    next upgrade bills only Tanpa Batas less Besar."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.common.errors import ApplicationError

    sub, first = _paid_sedang_yearly(tenant_a, operator)
    clock.advance(days=100)
    besar, top = Plan.objects.get(code="besar"), Plan.objects.get(code="tanpa-batas")
    services.plan_change(subscription=sub, plan=besar, interval="year", by="admin")
    up1 = Invoice.objects.get(subscription=sub, kind="proration")
    png = SimpleUploadedFile("b.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")
    services.bank_proof_upload(
        invoice=up1, upload=png, by="bendahara", amount_claimed=up1.amount_due
    )

    sub.refresh_from_db()
    for plan in (top, Plan.objects.get(code="sedang")):
        try:
            services.plan_change(subscription=sub, plan=plan, interval="year", by="admin")
        except ApplicationError as exc:
            assert exc.code == "transfer_awaiting_confirmation"
            assert up1.number in str(exc.message)
        else:
            raise AssertionError(f"a change to {plan.code} was accepted")
    assert Invoice.objects.filter(subscription=sub).count() == 2
    sub.refresh_from_db()
    assert (sub.plan, sub.next_plan) == (Plan.objects.get(code="sedang"), besar)
    # On the page: a clear message, no error page.
    from tests.billing.test_upgrade_awaiting_renewal import _page

    _page(client_a, tenant_a, admin_a)  # logged in after the clock moved
    response = client_a.post("/langganan/paket/", {"plan": top.pk, "interval": "year"})
    assert response.status_code == 302
    page = client_a.get("/langganan/").content.decode()
    assert f"Bukti transfer tagihan {up1.number} masih menunggu konfirmasi operator" in page

    services.bank_transfer_confirm(invoice=up1, operator=operator)
    sub.refresh_from_db()
    services.plan_change(subscription=sub, plan=top, interval="year", by="admin")
    up2 = Invoice.objects.filter(subscription=sub, kind="proration").latest("pk")
    assert up2.amount == services.proration_amount(
        old_price=besar.price_yearly,
        new_price=top.price_yearly,
        period_start=first.period_start,
        period_end=first.period_end,
        today=timezone.localdate(),
    )
