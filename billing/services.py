"""Billing writes: trials, subscription state (and the cooperative's status that follows
it), plan changes, payments (Stripe and bank transfer), the daily sweeps."""

from __future__ import annotations

import calendar
import logging
import secrets
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from tenants.models import Cooperative

from .emails import billing_email_send
from .models import Interval, Invoice, PaymentProof, Plan, Subscription
from .providers.base import PaymentStart, provider_get
from .usage import active_member_count

log = logging.getLogger(__name__)

S = Subscription.Status


class BillingErrors(StrEnum):
    PLAN_BELOW_MEMBERS = "plan_below_member_count"
    PLAN_UNAVAILABLE = "plan_unavailable"
    NOT_OPERATOR = "not_billing_operator"
    INVOICE_NOT_PAYABLE = "invoice_not_payable"
    PROOF_INVALID = "proof_invalid"
    ARCHIVED = "subscription_archived"
    PROVIDER_UNKNOWN = "provider_unknown"
    STATUS_INVALID = "status_invalid"
    ALREADY_SUBSCRIBED = "already_subscribed"
    CARD_ACTIVE = "card_subscription_active"


# A Stripe subscription in one of these states still bills the cooperative.
LIVE_STRIPE_STATUSES = ("active", "trialing", "past_due", "unpaid")
# ... and of those, the ones where the card is not paying.
ARREARS_STRIPE_STATUSES = ("past_due", "unpaid")


# -- helpers -----------------------------------------------------------------------------


def _audit(**kwargs):
    """audit_log in the current schema. Billing rows live in the public schema but are
    changed from both hosts: a user object is only linked when it belongs to the schema
    being written (operators in public, a cooperative's staff in its own), otherwise
    it is recorded by name."""
    actor = kwargs.get("actor")
    if (
        actor is not None
        and not isinstance(actor, str)
        and getattr(actor, "is_authenticated", False)
    ):
        in_public = getattr(connection, "schema_name", "public") == "public"
        if in_public != bool(getattr(actor, "operator_role", "")):
            kwargs["actor"] = f"{getattr(actor, 'username', actor)}"
    return audit_log(**kwargs)


def add_months(d: date, months: int) -> date:
    month = d.month - 1 + months
    year = d.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def period_end_for(start: date, interval: str) -> date:
    return add_months(start, 12 if interval == Interval.YEAR else 1)


def _end_of_day(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(23, 59, 59)))


def _lock(subscription: Subscription) -> Subscription:
    return (
        Subscription.objects.select_related("plan", "cooperative")
        .select_for_update(of=("self",))
        .get(pk=subscription.pk)
    )


def default_plan() -> Plan:
    plan = Plan.objects.filter(is_active=True).order_by("sort_order", "pk").first()
    if plan is None:
        raise ApplicationError(BillingErrors.PLAN_UNAVAILABLE, _("Belum ada paket langganan."))
    return plan


def _check_plan_fits(*, subscription: Subscription, plan: Plan) -> int:
    """Refuse a plan that is not offered or whose member limit is below the
    cooperative's active members."""
    if not plan.is_active:
        raise ApplicationError(
            BillingErrors.PLAN_UNAVAILABLE,
            _("Paket %(plan)s tidak lagi ditawarkan.") % {"plan": plan.name},
        )
    return plan_fits_check(subscription=subscription, plan=plan)


def plan_fits_check(*, subscription: Subscription, plan: Plan) -> int:
    """Refuse (with the reason) a plan whose member limit is below the cooperative's
    active members (counted now). Returns the count."""
    count = active_member_count(cooperative=subscription.cooperative)
    if not plan.allows(count):
        raise ApplicationError(
            BillingErrors.PLAN_BELOW_MEMBERS,
            _(
                "Paket %(plan)s hanya untuk paling banyak %(max)s anggota aktif, sedangkan "
                "koperasi Anda saat ini memiliki %(count)s anggota aktif. Pilih paket yang "
                "lebih besar."
            )
            % {"plan": plan.name, "max": f"{plan.max_members:,}".replace(",", "."), "count": count},
            fields={"plan": [_("Paket terlalu kecil untuk jumlah anggota aktif.")]},
        )
    return count


# -- state -----------------------------------------------------------------------------


def _status_set(
    *, sub: Subscription, status: str, reason: str, actor, now: datetime | None = None
) -> bool:
    """Move a (locked) subscription and its cooperative to ``status``. Returns whether
    anything changed. Sends the suspended / restored e-mails on commit."""
    now = now or timezone.now()
    old = sub.status
    if old == status:
        return False
    sub.status = status
    if status == S.PAST_DUE:
        sub.past_due_since = sub.past_due_since or now
    elif status not in (S.SUSPENDED, S.ARCHIVED):
        sub.past_due_since = None
    if status in (S.SUSPENDED, S.ARCHIVED):
        sub.suspended_since = sub.suspended_since or now
    else:
        sub.suspended_since = None
    sub.save()
    Cooperative.objects.filter(pk=sub.cooperative_id).update(
        status=status, status_reason=reason, updated_at=now
    )
    sub.cooperative.status = status
    sub.cooperative.status_reason = reason
    _audit(
        actor=actor,
        action="billing.status_changed",
        target=sub.cooperative,
        reason=reason,
        data={"from": old, "to": status},
    )
    if status == S.SUSPENDED:
        billing_email_send(kind="suspended", subscription=sub)
    elif status == S.ARCHIVED:
        billing_email_send(kind="archived", subscription=sub, extra={"reason": reason})
    elif status == S.ACTIVE and old in (S.PAST_DUE, S.SUSPENDED, S.ARCHIVED):
        billing_email_send(kind="restored", subscription=sub)
    return True


@transaction.atomic
def trial_start(*, cooperative: Cooperative) -> Subscription:
    """TENANT_PROVISIONED_HOOKS: give a new cooperative its trial (no card needed).
    Idempotent."""
    existing = Subscription.objects.filter(cooperative=cooperative).first()
    if existing:
        return existing
    status = cooperative.status if cooperative.status in S.values else S.TRIAL
    sub = Subscription.objects.create(
        cooperative=cooperative,
        plan=default_plan(),
        status=status,
        trial_ends_at=timezone.now() + timedelta(days=settings.TRIAL_DAYS),
        past_due_since=timezone.now() if status == S.PAST_DUE else None,
        suspended_since=timezone.now() if status in (S.SUSPENDED, S.ARCHIVED) else None,
    )
    _audit(
        actor="system",
        action="billing.trial_started",
        target=cooperative,
        data={"plan": sub.plan.code, "trial_ends_at": sub.trial_ends_at.isoformat()},
    )
    return sub


STRIPE_STATUS_MAP = {
    "trialing": S.TRIAL,
    "active": S.ACTIVE,
    "past_due": S.PAST_DUE,
    "unpaid": S.PAST_DUE,
    "canceled": None,  # see _card_canceled: the paid period runs out, then the grace
    "incomplete_expired": None,  # never started: leave the cooperative as it was
    "incomplete": None,
    "paused": S.SUSPENDED,
}


def _ts(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


@transaction.atomic
def subscription_sync_stripe(
    *, subscription: Subscription, stripe_sub: dict, actor="stripe"
) -> Subscription:
    """Apply the state of a Stripe subscription (fetched from the API just now) to ours.
    Safe to call any number of times, in any order: the result depends only on the
    fetched state."""
    from .providers.stripe_provider import (
        plan_for_price,
        subscription_period_end,
        subscription_price_id,
    )

    sub = _lock(subscription)
    dead = ("canceled", "incomplete_expired")
    if sub.provider == Subscription.Provider.BANK_TRANSFER and stripe_sub["status"] in dead:
        return sub  # the cooperative moved to bank transfer; an ended card plan is history
    other = bool(sub.stripe_subscription_id) and sub.stripe_subscription_id != stripe_sub["id"]
    if other and (sub.stripe_status not in (*dead, "") or stripe_sub["status"] in dead):
        # An older (or abandoned) subscription of this customer: ours stays current.
        log.info(
            "Ignoring state of %s: %s is current", stripe_sub["id"], sub.stripe_subscription_id
        )
        return sub
    if sub.stripe_subscription_id != stripe_sub["id"] and stripe_sub["status"] in (
        "incomplete",
        "incomplete_expired",
    ):
        return sub
    was_status = sub.stripe_status if sub.stripe_subscription_id == stripe_sub["id"] else ""
    sub.stripe_subscription_id = stripe_sub["id"]
    sub.stripe_status = stripe_sub["status"]
    sub.cancel_at_period_end = bool(stripe_sub.get("cancel_at_period_end"))
    sub.provider = Subscription.Provider.STRIPE
    if stripe_sub.get("customer") and not sub.stripe_customer_id:
        sub.stripe_customer_id = stripe_sub["customer"]
    found = plan_for_price(subscription_price_id(stripe_sub))
    if found:
        sub.plan, sub.interval = found
        if sub.over_limit_since and sub.plan.allows(sub.active_members or 0):
            sub.over_limit_since = None
    sub.current_period_end = _ts(subscription_period_end(stripe_sub))
    if stripe_sub.get("trial_end"):
        sub.trial_ends_at = _ts(stripe_sub["trial_end"])
    sub.save()
    target = STRIPE_STATUS_MAP.get(stripe_sub["status"])
    if stripe_sub["status"] == "canceled":
        target = _card_canceled(sub=sub, was_status=was_status)
    if target == S.PAST_DUE and sub.status in (S.SUSPENDED, S.ARCHIVED):
        target = None  # already further along the dunning path; paying restores
    if target == S.SUSPENDED and sub.status == S.ARCHIVED:
        target = None
    if target:
        _status_set(
            sub=sub,
            status=target,
            reason=_("Status langganan Stripe: %(s)s") % {"s": stripe_sub["status"]},
            actor=actor,
        )
    return sub


def _card_canceled(*, sub: Subscription, was_status: str) -> str | None:
    """A card subscription ended (by the cooperative, or by us when it moved to bank
    transfer). What was paid runs to its end: an active cooperative stays active until
    ``current_period_end``; the sweep then moves it to past due and the normal grace
    follows. A trial runs to its end. The cooperative is told the truth once."""
    now = timezone.now()
    paid_until = sub.current_period_end if sub.current_period_end else None
    if was_status != "canceled":
        billing_email_send(
            kind="subscription_canceled",
            subscription=sub,
            extra={
                "paid_until": paid_until if paid_until and paid_until > now else None,
                "grace_days": settings.BILLING_PAST_DUE_GRACE_DAYS,
            },
        )
    if sub.status in (S.TRIAL, S.PAST_DUE, S.SUSPENDED, S.ARCHIVED):
        return None
    if paid_until and paid_until > now:
        return S.ACTIVE
    return S.PAST_DUE


# -- choosing and paying ------------------------------------------------------------------


def _paid_invoice_now(sub: Subscription, today: date) -> Invoice | None:
    """The paid bank-transfer invoice whose period covers ``today`` (a paid period)."""
    return (
        sub.invoices.filter(
            provider=Subscription.Provider.BANK_TRANSFER,
            status=Invoice.Status.PAID,
            kind=Invoice.Kind.SUBSCRIPTION,
            period_start__lte=today,
            period_end__gte=today,
        )
        .order_by("-period_end", "-pk")
        .first()
    )


def proration_amount(
    *, old_price: Decimal, new_price: Decimal, period_start: date, period_end: date, today: date
) -> Decimal:
    """What the rest of a paid period costs on the dearer plan: the price difference for
    the remaining days (today included) over the period's days, whole rupiah, half up."""
    total = (period_end - period_start).days + 1
    remaining = (period_end - max(today, period_start)).days + 1
    if remaining <= 0 or new_price <= old_price:
        return Decimal(0)
    return ((new_price - old_price) * remaining / total).quantize(Decimal(1), ROUND_HALF_UP)


@transaction.atomic
def plan_change(*, subscription: Subscription, plan: Plan, interval: str, by) -> Subscription:
    """Change plan. Refused (with the reason) below the current active member count.
    A Stripe subscription is moved at Stripe first (prorated). A bank-transfer
    subscription inside a paid period is never moved for free: an upgrade issues a
    prorated invoice for the rest of the period and the plan changes when it is paid; a
    downgrade (or another interval) applies at renewal. Outside a paid period the plan
    changes at once (the next invoice is for it)."""
    if interval not in Interval.values:
        raise ApplicationError(BillingErrors.PLAN_UNAVAILABLE, _("Periode tagihan tidak dikenal."))
    if subscription.status == S.ARCHIVED:
        raise ApplicationError(BillingErrors.ARCHIVED, _("Langganan sudah diarsipkan."))
    count = _check_plan_fits(subscription=subscription, plan=plan)
    sub = _lock(subscription)
    old_plan, old_interval = sub.plan, sub.interval
    if old_plan.pk == plan.pk and old_interval == interval:
        if sub.next_plan_id or sub.next_interval:
            sub.next_plan, sub.next_interval = None, ""  # back to the current plan
            sub.save()
        return sub
    today = timezone.localdate()
    paid = (
        _paid_invoice_now(sub, today)
        if sub.provider == Subscription.Provider.BANK_TRANSFER and sub.status == S.ACTIVE
        else None
    )
    if paid is not None:
        return _bank_plan_change_in_paid_period(
            sub=sub, plan=plan, interval=interval, paid=paid, today=today, by=by, count=count
        )
    if (
        sub.provider == Subscription.Provider.STRIPE
        and sub.stripe_subscription_id
        and sub.stripe_status
        not in (
            "canceled",
            "incomplete_expired",
        )
    ):
        provider_get(Subscription.Provider.STRIPE).change_plan(
            subscription=sub, plan=plan, interval=interval
        )
    sub.plan, sub.interval = plan, interval
    sub.next_plan, sub.next_interval = None, ""
    if sub.is_over_limit and plan.allows(count):
        sub.over_limit_since = None
    sub.save()
    if sub.provider == Subscription.Provider.BANK_TRANSFER:
        # An unpaid invoice for the old plan is replaced by one for the new plan.
        for inv in sub.invoices.filter(status=Invoice.Status.OPEN).select_for_update():
            inv.status = Invoice.Status.VOID
            inv.save(update_fields=["status"])
    _audit(
        actor=by,
        action="billing.plan_changed",
        target=sub.cooperative,
        data={
            "from": f"{old_plan.code}/{old_interval}",
            "to": f"{plan.code}/{interval}",
            "active_members": count,
        },
    )
    return sub


def _bank_plan_change_in_paid_period(
    *, sub: Subscription, plan: Plan, interval: str, paid: Invoice, today: date, by, count: int
) -> Subscription:
    old_plan = sub.plan
    # What was asked applies from the renewal on; an unpaid invoice for another change
    # (a renewal for the old plan, an earlier upgrade) is replaced.
    sub.next_plan, sub.next_interval = plan, interval
    sub.save()
    for inv in sub.invoices.filter(status=Invoice.Status.OPEN).select_for_update():
        if inv.kind == Invoice.Kind.PRORATION or inv.period_start > today:
            inv.status = Invoice.Status.VOID
            inv.save(update_fields=["status"])
    amount = proration_amount(
        old_price=old_plan.price_for(sub.interval),
        new_price=plan.price_for(sub.interval),
        period_start=paid.period_start,
        period_end=timezone.localdate(sub.current_period_end),
        today=today,
    )
    data = {
        "from": f"{old_plan.code}/{sub.interval}",
        "to": f"{plan.code}/{interval}",
        "active_members": count,
    }
    if amount > 0:
        invoice = bank_invoice_issue(
            subscription=sub,
            plan=plan,
            interval=sub.interval,
            by=by,
            kind=Invoice.Kind.PRORATION,
            amount=amount,
            period=(today, timezone.localdate(sub.current_period_end)),
        )
        data |= {"invoice": invoice.number, "amount": str(amount)}
        _audit(actor=by, action="billing.plan_upgrade_invoiced", target=sub.cooperative, data=data)
    else:
        data["from_date"] = (timezone.localdate(sub.current_period_end) + timedelta(1)).isoformat()
        _audit(actor=by, action="billing.plan_change_scheduled", target=sub.cooperative, data=data)
    return sub


def renewal_plan(*, subscription: Subscription, count: int | None = None) -> tuple[Plan, str]:
    """The plan and interval the next (renewal) invoice is for: the change asked for,
    else the current plan; when the active members no longer fit it, the cheapest
    offered plan that fits (the cooperative is told in advance, see usage_record)."""
    plan = subscription.next_plan or subscription.plan
    interval = subscription.next_interval or subscription.interval
    if count is None:
        count = subscription.active_members
    if count is not None and not plan.allows(count):
        fitting = [p for p in Plan.objects.filter(is_active=True) if p.allows(count)]
        fitting.sort(key=lambda p: (p.price_for(interval), p.sort_order, p.pk))
        if fitting:
            plan = fitting[0]
    return plan, interval


def payment_start(
    *,
    subscription: Subscription,
    provider: str,
    plan: Plan,
    interval: str,
    success_url: str,
    cancel_url: str,
    by,
) -> PaymentStart:
    """Start paying with a provider: Stripe Checkout, or a bank-transfer invoice."""
    if provider not in settings.BILLING_PROVIDERS:
        raise ApplicationError(BillingErrors.PROVIDER_UNKNOWN, _("Cara pembayaran tidak dikenal."))
    if interval not in Interval.values:
        raise ApplicationError(BillingErrors.PLAN_UNAVAILABLE, _("Periode tagihan tidak dikenal."))
    _check_plan_fits(subscription=subscription, plan=plan)
    if (
        provider == Subscription.Provider.BANK_TRANSFER
        and subscription.stripe_subscription_id
        and subscription.stripe_status in ARREARS_STRIPE_STATUSES
    ):
        # A card in arrears may switch to transfer: the card subscription ends first, so
        # nothing is billed twice.
        subscription = card_subscription_end(
            subscription=subscription,
            by=by,
            reason=_("Beralih ke transfer bank karena pembayaran kartu menunggak"),
        )
    if subscription.stripe_subscription_id and subscription.stripe_status in LIVE_STRIPE_STATUSES:
        # Paying again would bill twice: change the plan or the card on the live one.
        raise ApplicationError(
            BillingErrors.ALREADY_SUBSCRIBED,
            _(
                'Langganan dengan kartu masih berjalan. Gunakan "Ganti paket" atau '
                '"Kelola kartu & tagihan" untuk mengubahnya.'
            ),
        )
    start = provider_get(provider).start_payment(
        subscription=subscription,
        plan=plan,
        interval=interval,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    with transaction.atomic():
        _audit(
            actor=by,
            action="billing.payment_started",
            target=subscription.cooperative,
            data={"provider": provider, "plan": plan.code, "interval": interval},
        )
    return start


def card_subscription_end(*, subscription: Subscription, by, reason: str) -> Subscription:
    """End a cooperative's card subscription at Stripe now and make bank transfer its way
    of paying (a card in arrears switching to transfer, or an operator recording a manual
    payment). The period already paid by card stays; Stripe charges no more."""
    from .providers.stripe_provider import StripeProvider

    reason = _require_reason(reason)
    if not (
        subscription.stripe_subscription_id and subscription.stripe_status in LIVE_STRIPE_STATUSES
    ):
        return subscription
    provider = provider_get(Subscription.Provider.STRIPE)
    assert isinstance(provider, StripeProvider)
    ended = provider.subscription_cancel(subscription=subscription)
    with transaction.atomic():
        sub = _lock(subscription)
        old = sub.stripe_status
        sub.stripe_status = ended.get("status") or "canceled"
        sub.cancel_at_period_end = False
        sub.provider = Subscription.Provider.BANK_TRANSFER
        sub.save()
        _audit(
            actor=by,
            action="billing.card_subscription_ended",
            target=sub.cooperative,
            reason=reason,
            data={"stripe_subscription": sub.stripe_subscription_id, "from": old},
        )
    return sub


# -- bank transfer ------------------------------------------------------------------------

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _token(n: int) -> str:
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(n))


@transaction.atomic
def bank_invoice_issue(
    *,
    subscription: Subscription,
    plan: Plan,
    interval: str,
    by,
    kind: str = Invoice.Kind.SUBSCRIPTION,
    amount: Decimal | None = None,
    period: tuple[date, date] | None = None,
) -> Invoice:
    """Issue a bank-transfer invoice (unique transfer reference). If an unpaid one for the
    same plan and period already exists it is returned instead of a second one. A
    ``proration`` invoice (an upgrade inside a paid period) carries its own amount and
    period."""
    sub = _lock(subscription)
    open_invoices = sub.invoices.filter(
        provider=Subscription.Provider.BANK_TRANSFER,
        kind=kind,
        status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
    ).select_for_update()
    for inv in open_invoices:
        if inv.plan_id == plan.pk and inv.interval == interval and kind == inv.Kind.SUBSCRIPTION:
            return inv
        if inv.status == Invoice.Status.OPEN:
            inv.status = Invoice.Status.VOID
            inv.save(update_fields=["status"])
    today = timezone.localdate()
    if period is not None:
        period_start, period_end = period
        due_on = min(today + timedelta(days=settings.BILLING_INVOICE_DUE_DAYS), period_end)
    else:
        covered_until = _covered_until(sub, today)
        if covered_until is not None:
            period_start = covered_until + timedelta(days=1)
            due_on = max(period_start - timedelta(days=1), today)
        else:
            period_start = today
            due_on = today + timedelta(days=settings.BILLING_INVOICE_DUE_DAYS)
        period_end = period_end_for(period_start, interval) - timedelta(days=1)
    price = plan.price_for(interval) if amount is None else amount
    invoice = Invoice.objects.create(
        subscription=sub,
        provider=Subscription.Provider.BANK_TRANSFER,
        kind=kind,
        number=invoice_number_next(on=today),
        reference=f"LMB{_token(8)}",
        plan=plan,
        interval=interval,
        **invoice_tax_fields(subscription=sub, price=price, includes_ppn=plan.prices_include_ppn),
        issued_on=today,
        due_on=due_on,
        period_start=period_start,
        period_end=period_end,
    )
    _audit(
        actor=by,
        action="billing.bank_invoice_issued",
        target=sub.cooperative,
        data={
            "invoice": invoice.number,
            "reference": invoice.reference,
            "amount": str(invoice.amount),
            "kind": kind,
        },
    )
    return invoice


def invoice_number_next(*, on: date) -> str:
    """The next number of the year's gap-free series, ``INV/2026/000123``. Call inside
    the transaction that creates the invoice: the year's row stays locked until it
    commits, and a rollback gives the number back."""
    from django.db import IntegrityError

    from .models import InvoiceSequence

    if not connection.in_atomic_block:
        raise RuntimeError("invoice_number_next needs the invoice's transaction")
    try:
        with transaction.atomic():
            InvoiceSequence.objects.get_or_create(year=on.year)
    except IntegrityError:
        pass  # created by a concurrent transaction just now
    seq = InvoiceSequence.objects.select_for_update().get(year=on.year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"INV/{on.year}/{seq.last:06d}"


def invoice_tax_fields(*, subscription: Subscription, price: Decimal, includes_ppn: bool) -> dict:
    """amount, DPP, PPN (settings.BILLING_PPN_RATE) and the buyer as the invoice shows
    them."""
    from .tax import tax_split

    rate = Decimal(settings.BILLING_PPN_RATE)
    dpp, ppn = tax_split(price=price, rate=rate, includes_ppn=includes_ppn)
    return {
        "amount": dpp + ppn,
        "dpp": dpp,
        "ppn": ppn,
        "ppn_rate": rate,
        "buyer_name": subscription.cooperative.name[:200],
        "buyer_npwp": subscription.npwp,
        "buyer_address": subscription.tax_address,
    }


def _covered_until(sub: Subscription, today: date) -> date | None:
    """The last day already covered (paid period, or the trial's last day when a
    trial cooperative pays: paying during a trial keeps the remaining trial days)."""
    if (
        sub.status == S.ACTIVE
        and sub.current_period_end
        and timezone.localdate(sub.current_period_end) >= today
    ):
        return timezone.localdate(sub.current_period_end)
    if (
        sub.status == S.TRIAL
        and sub.trial_ends_at
        and timezone.localdate(sub.trial_ends_at) > today
    ):
        return timezone.localdate(sub.trial_ends_at)
    return None


_PROOF_SIGNATURES = {
    b"%PDF": "pdf",
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpg",
}


@transaction.atomic
def bank_proof_upload(*, invoice: Invoice, upload, by, note: str = "") -> PaymentProof:
    """The cooperative uploads proof of transfer (PDF, PNG or JPEG, bounded size)."""
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if inv.provider != Subscription.Provider.BANK_TRANSFER or inv.status not in (
        Invoice.Status.OPEN,
        Invoice.Status.AWAITING,
    ):
        raise ApplicationError(
            BillingErrors.INVOICE_NOT_PAYABLE,
            _("Tagihan %(n)s tidak menunggu pembayaran transfer.") % {"n": inv.number},
        )
    if upload is None or upload.size == 0:
        raise ApplicationError(
            BillingErrors.PROOF_INVALID,
            _("Pilih berkas bukti transfer."),
            fields={"file": [_("Wajib diisi.")]},
        )
    if upload.size > settings.BILLING_PROOF_MAX_BYTES:
        raise ApplicationError(
            BillingErrors.PROOF_INVALID,
            _("Berkas terlalu besar (maksimal %(mb)s MB).")
            % {"mb": settings.BILLING_PROOF_MAX_BYTES // (1024 * 1024)},
            fields={"file": [_("Berkas terlalu besar.")]},
        )
    head = upload.read(8)
    upload.seek(0)
    if not any(head.startswith(sig) for sig in _PROOF_SIGNATURES):
        raise ApplicationError(
            BillingErrors.PROOF_INVALID,
            _("Bukti transfer harus berupa PDF, PNG atau JPEG."),
            fields={"file": [_("Jenis berkas tidak didukung.")]},
        )
    proof = PaymentProof.objects.create(
        invoice=inv, file=upload, uploaded_by=str(getattr(by, "username", by))[:200], note=note
    )
    inv.status = Invoice.Status.AWAITING
    inv.save(update_fields=["status"])
    _audit(actor=by, action="billing.proof_uploaded", target=inv, data={"proof": proof.pk})
    return proof


def _require_billing_operator(operator) -> None:
    from core.users.models import User

    allowed = {User.OperatorRole.BILLING, User.OperatorRole.ADMIN}
    if not (
        operator
        and getattr(operator, "is_authenticated", False)
        and operator.operator_role in allowed
    ):
        raise ApplicationError(
            BillingErrors.NOT_OPERATOR,
            _("Hanya operator penagihan yang dapat mengonfirmasi pembayaran."),
            status=403,
        )


@transaction.atomic
def bank_transfer_confirm(*, invoice: Invoice, operator, note: str = "") -> Invoice:
    """An operator confirms a bank transfer arrived: the invoice is paid and the
    subscription runs on that plan until the invoice's period end; access is restored
    at once. A late payment (the cooperative's access had lapsed and the invoice's
    period already began) runs from the payment date, so a paid subscription always
    has a period ahead of it. A proration invoice moves the plan for the rest of the
    current period. Refused while a card subscription still bills the cooperative."""
    _require_billing_operator(operator)
    inv = Invoice.objects.select_for_update().select_related("plan").get(pk=invoice.pk)
    if inv.provider != Subscription.Provider.BANK_TRANSFER or inv.status not in (
        Invoice.Status.OPEN,
        Invoice.Status.AWAITING,
    ):
        raise ApplicationError(
            BillingErrors.INVOICE_NOT_PAYABLE,
            _("Tagihan %(n)s tidak dapat dikonfirmasi (status: %(s)s).")
            % {"n": inv.number, "s": inv.get_status_display()},
        )
    sub = _lock(inv.subscription)
    _refuse_while_card_bills(sub)
    now = timezone.now()
    today = timezone.localdate(now)
    was = sub.status
    original = (inv.period_start, inv.period_end)
    if inv.kind == Invoice.Kind.PRORATION:
        if not (sub.current_period_end and sub.current_period_end > now):
            raise ApplicationError(
                BillingErrors.INVOICE_NOT_PAYABLE,
                _("Periode tagihan selisih %(n)s sudah berakhir.") % {"n": inv.number},
            )
    else:
        lapsed = not (sub.current_period_end and sub.current_period_end >= now) and not (
            sub.status == S.TRIAL and sub.trial_ends_at and sub.trial_ends_at > now
        )
        if inv.period_start and inv.period_start < today and lapsed:
            inv.period_start = today
            inv.period_end = period_end_for(today, inv.interval) - timedelta(days=1)
    inv.status = Invoice.Status.PAID
    inv.paid_at = now
    inv.confirmed_by = operator
    inv.save(update_fields=["status", "paid_at", "confirmed_by", "period_start", "period_end"])
    sub.provider = Subscription.Provider.BANK_TRANSFER
    sub.plan, sub.interval = inv.plan, inv.interval
    if sub.next_plan_id == inv.plan_id and (sub.next_interval or sub.interval) == inv.interval:
        sub.next_plan, sub.next_interval = None, ""
    period_end = _end_of_day(inv.period_end)
    if not sub.current_period_end or period_end > sub.current_period_end:
        sub.current_period_end = period_end
    if sub.over_limit_since and sub.plan.allows(sub.active_members or 0):
        sub.over_limit_since = None
    sub.save()
    _status_set(
        sub=sub,
        status=S.ACTIVE,
        reason=_("Transfer bank %(ref)s dikonfirmasi") % {"ref": inv.reference},
        actor=operator,
    )
    _audit(
        actor=operator,
        action="billing.bank_transfer_confirmed",
        target=inv,
        reason=note,
        data={
            "cooperative": sub.cooperative.slug,
            "amount": str(inv.amount),
            "reference": inv.reference,
            "kind": inv.kind,
            "period": [inv.period_start.isoformat(), inv.period_end.isoformat()],
            "invoice_period": [d.isoformat() if d else None for d in original],
        },
    )
    if was == S.TRIAL:
        billing_email_send(kind="payment_confirmed", subscription=sub, extra={"invoice": inv})
    return inv


def _refuse_while_card_bills(sub: Subscription) -> None:
    if sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES:
        raise ApplicationError(
            BillingErrors.CARD_ACTIVE,
            _(
                "Koperasi ini masih membayar dengan kartu (langganan Stripe berjalan). "
                "Pembayaran manual akan menagih dua kali: akhiri langganan kartu terlebih "
                "dahulu."
            ),
        )


@transaction.atomic
def bank_transfer_reject(*, invoice: Invoice, operator, reason: str) -> Invoice:
    """An operator finds no matching transfer: the invoice is open again."""
    _require_billing_operator(operator)
    if not reason.strip():
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Tuliskan alasan penolakan."),
            fields={"reason": [_("Wajib diisi.")]},
        )
    inv = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if inv.status != Invoice.Status.AWAITING:
        raise ApplicationError(
            BillingErrors.INVOICE_NOT_PAYABLE, _("Tagihan tidak menunggu konfirmasi.")
        )
    inv.status = Invoice.Status.OPEN
    inv.save(update_fields=["status"])
    inv.proofs.filter(rejected_at__isnull=True).update(
        rejected_at=timezone.now(), rejected_reason=reason.strip()
    )
    _audit(actor=operator, action="billing.bank_transfer_rejected", target=inv, reason=reason)
    billing_email_send(
        kind="proof_rejected",
        subscription=inv.subscription,
        extra={"invoice": inv, "reason": reason.strip()},
    )
    return inv


@transaction.atomic
def subscription_tax_details_set(
    *, subscription: Subscription, npwp: str, address: str, by
) -> Subscription:
    """The cooperative's NPWP and tax address, printed on the invoices issued from now
    on (an NPWP has 15 or 16 digits; empty clears it)."""
    digits = "".join(ch for ch in (npwp or "") if ch.isdigit())
    if npwp.strip() and len(digits) not in (15, 16):
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("NPWP terdiri dari 15 atau 16 angka."),
            fields={"npwp": [_("NPWP tidak valid.")]},
        )
    sub = _lock(subscription)
    sub.npwp = npwp.strip()[:30]
    sub.tax_address = (address or "").strip()[:300]
    sub.save()
    _audit(
        actor=by,
        action="billing.tax_details_set",
        target=sub.cooperative,
        data={"npwp": sub.npwp},
    )
    return sub


# -- daily work ---------------------------------------------------------------------------


def usage_record(*, subscription: Subscription, now: datetime | None = None) -> Subscription:
    """Count active members and raise/clear the over-limit flag. Never blocks work."""
    now = now or timezone.now()
    count = active_member_count(cooperative=subscription.cooperative)
    newly_over = False
    with transaction.atomic():
        sub = _lock(subscription)
        sub.active_members = count
        sub.active_members_counted_at = now
        over = not sub.plan.allows(count)
        if over and not sub.over_limit_since:
            newly_over = True
            sub.over_limit_since = now
            # Said in advance: the next invoice is for the plan that fits.
            next_plan, _interval = renewal_plan(subscription=sub, count=count)
            billing_email_send(
                kind="over_limit",
                subscription=sub,
                extra={"count": count, "next_plan": next_plan},
            )
            _audit(
                actor="system",
                action="billing.over_limit",
                target=sub.cooperative,
                data={
                    "active_members": count,
                    "max_members": sub.plan.max_members,
                    "plan": sub.plan.code,
                },
            )
        elif not over and sub.over_limit_since:
            sub.over_limit_since = None
            _audit(
                actor="system",
                action="billing.within_limit",
                target=sub.cooperative,
                data={"active_members": count},
            )
        sub.save()
    if newly_over:
        sub = _card_renewal_plan_set(sub=sub, count=count)
    return sub


def _card_renewal_plan_set(*, sub: Subscription, count: int) -> Subscription:
    """A card subscription over its member limit: its next Stripe invoice is for the plan
    that fits (moved at Stripe with no proration: nothing is charged now). A bank-transfer
    subscription gets it through renewal_plan() at renewal."""
    if not (
        sub.provider == Subscription.Provider.STRIPE
        and sub.stripe_subscription_id
        and sub.stripe_status in ("active", "trialing")
    ):
        return sub
    plan, interval = renewal_plan(subscription=sub, count=count)
    if plan.pk == sub.plan_id or not plan.stripe_price_for(interval):
        return sub
    try:
        provider_get(Subscription.Provider.STRIPE).change_plan(
            subscription=sub, plan=plan, interval=interval, proration_behavior="none"
        )
    except ApplicationError:
        log.warning("Moving %s to plan %s at Stripe failed", sub.cooperative.slug, plan.code)
        return sub
    with transaction.atomic():
        sub = _lock(sub)
        old = sub.plan
        sub.plan, sub.interval = plan, interval
        sub.over_limit_since = None
        sub.save()
        _audit(
            actor="system",
            action="billing.plan_changed",
            target=sub.cooperative,
            reason=_(
                "Anggota aktif melebihi batas paket: tagihan berikutnya untuk paket yang sesuai"
            ),
            data={
                "from": f"{old.code}/{interval}",
                "to": f"{plan.code}/{interval}",
                "active_members": count,
                "proration": "none",
            },
        )
    return sub


def billing_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The daily status walk: expired trials and unpaid bank periods become past_due,
    past_due beyond the grace period becomes suspended, suspended beyond the archive
    period becomes archived; bank-transfer renewals get their invoice."""
    now = now or timezone.now()
    grace = timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    notice = timedelta(days=settings.BILLING_TRIAL_NOTICE_DAYS)
    counts = {
        "trial_notices": 0,
        "past_due": 0,
        "suspended": 0,
        "archived": 0,
        "renewal_invoices": 0,
    }
    ids = list(
        Subscription.objects.exclude(status=S.ARCHIVED).order_by("pk").values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            sub = _lock(Subscription(pk=pk))
            if (
                sub.status == S.TRIAL
                and sub.trial_ends_at
                and now < sub.trial_ends_at <= now + notice
                and not sub.trial_notice_sent_at
                and not sub.stripe_subscription_id  # Stripe sends trial_will_end itself
            ):
                sub.trial_notice_sent_at = now
                sub.save(update_fields=["trial_notice_sent_at", "updated_at"])
                billing_email_send(kind="trial_ending", subscription=sub)
                counts["trial_notices"] += 1
            if (
                sub.status == S.TRIAL
                and sub.trial_ends_at
                and sub.trial_ends_at < now
                and sub.stripe_status != "trialing"
            ):
                if _status_set(
                    sub=sub,
                    status=S.PAST_DUE,
                    reason=_("Masa uji coba berakhir"),
                    actor="system",
                    now=now,
                ):
                    counts["past_due"] += 1
                    billing_email_send(
                        kind="trial_ended",
                        subscription=sub,
                        extra={"grace_days": settings.BILLING_PAST_DUE_GRACE_DAYS},
                    )
            elif sub.status == S.ACTIVE and _period_over(sub, now):
                if _status_set(
                    sub=sub,
                    status=S.PAST_DUE,
                    reason=_("Masa langganan berakhir, tagihan belum dibayar"),
                    actor="system",
                    now=now,
                ):
                    counts["past_due"] += 1
                    billing_email_send(
                        kind="period_ended",
                        subscription=sub,
                        extra={"grace_days": settings.BILLING_PAST_DUE_GRACE_DAYS},
                    )
            elif (
                sub.status == S.PAST_DUE and sub.past_due_since and sub.past_due_since + grace < now
            ):
                if _status_set(
                    sub=sub,
                    status=S.SUSPENDED,
                    reason=_("Tagihan belum dibayar melewati masa tenggang"),
                    actor="system",
                    now=now,
                ):
                    counts["suspended"] += 1
            elif sub.status == S.SUSPENDED and sub.suspended_since:
                days = sub.archive_after_days or settings.BILLING_ARCHIVE_AFTER_DAYS
                if sub.suspended_since + timedelta(days=days) < now and _status_set(
                    sub=sub,
                    status=S.ARCHIVED,
                    reason=_("Ditangguhkan lebih dari %(d)s hari") % {"d": days},
                    actor="system",
                    now=now,
                ):
                    counts["archived"] += 1
        # An upgrade's prorated invoice left unpaid lapses with its period.
        Invoice.objects.filter(
            subscription=sub,
            kind=Invoice.Kind.PRORATION,
            status=Invoice.Status.OPEN,
            period_end__lt=timezone.localdate(now),
        ).update(status=Invoice.Status.VOID)
        if (
            sub.status == S.ACTIVE
            and sub.provider == Subscription.Provider.BANK_TRANSFER
            and sub.current_period_end
            and sub.current_period_end - timedelta(days=settings.BILLING_RENEWAL_NOTICE_DAYS) < now
            and not sub.invoices.filter(
                kind=Invoice.Kind.SUBSCRIPTION,
                status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
            ).exists()
            and not sub.invoices.filter(
                kind=Invoice.Kind.SUBSCRIPTION,
                period_start__gt=timezone.localdate(sub.current_period_end),
            )
            .exclude(status=Invoice.Status.VOID)
            .exists()
        ):
            plan, interval = renewal_plan(subscription=sub)
            bank_invoice_issue(subscription=sub, plan=plan, interval=interval, by="system")
            counts["renewal_invoices"] += 1
    return counts


def _period_over(sub: Subscription, now: datetime) -> bool:
    """An active subscription whose paid (or granted) period is over, whatever its
    provider. A live card subscription is renewed by Stripe: it is only treated as over
    when Stripe has not renewed it within the grace days (a lost webhook)."""
    if sub.current_period_end is None:
        return True  # active without a period end: never free for good
    if sub.current_period_end >= now:
        return False
    if sub.stripe_subscription_id and sub.stripe_status in ("active", "trialing"):
        grace = timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
        return sub.current_period_end + grace < now
    return True


def bank_reminders_send(*, today: date | None = None) -> int:
    """E-mail a reminder for each open bank-transfer invoice due in one of
    settings.BILLING_REMINDER_DAYS days (at most once a day per invoice)."""
    today = today or timezone.localdate()
    due_dates = [today + timedelta(days=d) for d in settings.BILLING_REMINDER_DAYS]
    sent = 0
    for inv in (
        Invoice.objects.filter(
            provider=Subscription.Provider.BANK_TRANSFER,
            status=Invoice.Status.OPEN,
            due_on__in=due_dates,
        )
        .exclude(last_reminder_on=today)
        .select_related("subscription__cooperative", "subscription__plan")
    ):
        with transaction.atomic():
            locked = Invoice.objects.select_for_update().get(pk=inv.pk)
            if locked.last_reminder_on == today:
                continue
            locked.last_reminder_on = today
            locked.save(update_fields=["last_reminder_on"])
            billing_email_send(
                kind="invoice_reminder",
                subscription=inv.subscription,
                extra={
                    "invoice": locked,
                    "bank_name": settings.BILLING_BANK_NAME,
                    "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
                    "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
                },
            )
            sent += 1
    return sent


@transaction.atomic
def subscription_archive_after_set(
    *, subscription: Subscription, days: int | None, operator
) -> Subscription:
    """Operators set how long a suspended cooperative waits before it is archived."""
    _require_billing_operator(operator)
    if days is not None and days < 1:
        raise ApplicationError(BillingErrors.STATUS_INVALID, _("Masa tenggang minimal 1 hari."))
    sub = _lock(subscription)
    sub.archive_after_days = days
    sub.save(update_fields=["archive_after_days", "updated_at"])
    _audit(
        actor=operator,
        action="billing.archive_after_set",
        target=sub.cooperative,
        data={"days": days},
    )
    return sub


# -- operator console (lumbung.console) ---------------------------------------------------


def _require_reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Tuliskan alasannya."),
            fields={"reason": [_("Wajib diisi.")]},
        )
    return reason.strip()


@transaction.atomic
def subscription_status_override(
    *,
    subscription: Subscription,
    status: str,
    operator,
    reason: str,
    grace_days: int | None = None,
) -> Subscription:
    """An operator moves a subscription (and its cooperative) to ``status`` by hand:
    suspend, reactivate, archive from the console. Audited with the reason. Made active
    without a paid period ahead, the subscription gets a period end ``grace_days``
    (settings.BILLING_REACTIVATION_GRACE_DAYS when not given) from now: access is never
    given for good, and the daily sweep takes it from there."""
    reason = _require_reason(reason)
    if status not in S.values:
        raise ApplicationError(BillingErrors.STATUS_INVALID, _("Status langganan tidak dikenal."))
    if grace_days is not None and not 1 <= grace_days <= 365:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Masa tenggang antara 1 dan 365 hari."),
            fields={"days": [_("Antara 1 dan 365.")]},
        )
    sub = _lock(subscription)
    now = timezone.now()
    if status == S.ACTIVE and not (sub.current_period_end and sub.current_period_end > now):
        days = grace_days if grace_days is not None else settings.BILLING_REACTIVATION_GRACE_DAYS
        sub.current_period_end = _end_of_day(timezone.localdate(now) + timedelta(days=days))
        sub.save()
        _audit(
            actor=operator,
            action="billing.grace_granted",
            target=sub.cooperative,
            reason=reason,
            data={"days": days, "period_end": sub.current_period_end.isoformat()},
        )
    _status_set(sub=sub, status=status, reason=reason, actor=operator)
    return sub


@transaction.atomic
def trial_extend(*, subscription: Subscription, days: int, operator, reason: str) -> Subscription:
    """An operator gives ``days`` more trial (from today when the trial already ended);
    a cooperative that fell past due only because its trial ended is back on trial."""
    reason = _require_reason(reason)
    if not 1 <= days <= 365:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Perpanjangan masa uji coba antara 1 dan 365 hari."),
            fields={"days": [_("Antara 1 dan 365.")]},
        )
    sub = _lock(subscription)
    paid = sub.invoices.filter(status=Invoice.Status.PAID).exists()
    if sub.status not in (S.TRIAL, S.PAST_DUE) or paid or sub.stripe_subscription_id:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID,
            _("Masa uji coba hanya dapat diperpanjang untuk koperasi yang belum berlangganan."),
        )
    now = timezone.now()
    old = sub.trial_ends_at
    sub.trial_ends_at = max(old or now, now) + timedelta(days=days)
    sub.trial_notice_sent_at = None
    sub.save()
    _audit(
        actor=operator,
        action="billing.trial_extended",
        target=sub.cooperative,
        reason=reason,
        data={
            "days": days,
            "from": old.isoformat() if old else None,
            "to": sub.trial_ends_at.isoformat(),
        },
    )
    if sub.status == S.PAST_DUE:
        _status_set(sub=sub, status=S.TRIAL, reason=reason, actor=operator)
    return sub


@transaction.atomic
def billing_records_purge(*, cooperative: Cooperative) -> dict:
    """Remove a cooperative's billing rows before the cooperative itself is deleted (the
    console's "delete an archived tenant"). Returns what was removed, for the audit row."""
    sub = Subscription.objects.select_for_update().filter(cooperative=cooperative).first()
    if sub is None:
        return {"invoices": []}
    invoices = list(sub.invoices.order_by("pk").values("number", "amount", "status", "issued_on"))
    PaymentProof.objects.filter(invoice__subscription=sub).delete()
    sub.invoices.all().delete()
    sub.delete()
    return {
        "invoices": [
            {
                "number": i["number"],
                "amount": str(i["amount"]),
                "status": i["status"],
                "issued_on": i["issued_on"].isoformat(),
            }
            for i in invoices
        ]
    }


# -- plans (operators) --------------------------------------------------------------------

PLAN_FIELDS = (
    "name",
    "max_members",
    "price_monthly",
    "price_yearly",
    "prices_include_ppn",
    "features",
    "limits",
    "is_active",
    "sort_order",
)


@transaction.atomic
def plan_save(*, operator, plan: Plan | None = None, **fields) -> Plan:
    """Create or edit a plan (operators with billing/admin role). A price change makes
    new Stripe prices (Stripe prices cannot change): the old ids are dropped and the
    catalogue is synced after commit; running subscriptions keep their price until they
    change plan."""
    from decimal import Decimal

    _require_billing_operator(operator)
    unknown = set(fields) - set(PLAN_FIELDS) - {"code"}
    if unknown:
        raise ValueError(f"unknown plan fields: {sorted(unknown)}")
    errors: dict[str, list[str]] = {}
    for key in ("price_monthly", "price_yearly"):
        if key in fields:
            value = Decimal(str(fields[key]))
            if value < 0 or value != value.to_integral_value():
                errors[key] = [_("Harga harus rupiah utuh dan tidak negatif.")]
            fields[key] = value
    if fields.get("max_members") is not None and int(fields["max_members"]) < 1:
        errors["max_members"] = [_("Minimal 1 anggota, atau kosong untuk tanpa batas.")]
    if errors:
        raise ApplicationError(
            BillingErrors.STATUS_INVALID, _("Data paket tidak valid."), fields=errors
        )
    if plan is None:
        plan = Plan(**fields)
        old = {}
    else:
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        old = {k: getattr(plan, k) for k in PLAN_FIELDS}
        for key, value in fields.items():
            setattr(plan, key, value)
    ppn_changed = old.get("prices_include_ppn", plan.prices_include_ppn) != (
        plan.prices_include_ppn
    )  # the card is charged another total
    if plan.pk is None or old.get("price_monthly") != plan.price_monthly or ppn_changed:
        plan.stripe_price_monthly_id = ""
    if plan.pk is None or old.get("price_yearly") != plan.price_yearly or ppn_changed:
        plan.stripe_price_yearly_id = ""
    plan.save()
    changed = {
        k: [str(old.get(k)), str(getattr(plan, k))]
        for k in PLAN_FIELDS
        if old.get(k) != getattr(plan, k)
    }
    _audit(actor=operator, action="billing.plan_saved", target=plan, data={"changed": changed})
    if not (plan.stripe_price_monthly_id and plan.stripe_price_yearly_id) and plan.is_active:
        from .tasks import stripe_catalog_sync_task

        transaction.on_commit(lambda: stripe_catalog_sync_task.delay())
    return plan
