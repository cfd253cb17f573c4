"""Billing writes: trials, subscription state (and the cooperative's status that follows
it), plan changes, payments (Stripe and bank transfer), the daily sweeps."""

from __future__ import annotations

import calendar
import logging
import secrets
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.uploads import upload_check
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


# A Stripe subscription in one of these states still bills the cooperative.
LIVE_STRIPE_STATUSES = ("active", "trialing", "past_due", "unpaid")


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
    """Refuse a plan whose member limit is below the cooperative's active members."""
    if not plan.is_active:
        raise ApplicationError(
            BillingErrors.PLAN_UNAVAILABLE,
            _("Paket %(plan)s tidak lagi ditawarkan.") % {"plan": plan.name},
        )
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
    "canceled": S.SUSPENDED,
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
    sub.stripe_subscription_id = stripe_sub["id"]
    sub.stripe_status = stripe_sub["status"]
    sub.provider = Subscription.Provider.STRIPE
    if stripe_sub.get("customer") and not sub.stripe_customer_id:
        sub.stripe_customer_id = stripe_sub["customer"]
    found = plan_for_price(subscription_price_id(stripe_sub))
    if found:
        sub.plan, sub.interval = found
    sub.current_period_end = _ts(subscription_period_end(stripe_sub))
    if stripe_sub.get("trial_end"):
        sub.trial_ends_at = _ts(stripe_sub["trial_end"])
    sub.save()
    target = STRIPE_STATUS_MAP.get(stripe_sub["status"])
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


# -- choosing and paying ------------------------------------------------------------------


@transaction.atomic
def plan_change(*, subscription: Subscription, plan: Plan, interval: str, by) -> Subscription:
    """Change plan. Refused (with the reason) below the current active member count.
    A Stripe subscription is moved at Stripe first (prorated)."""
    if interval not in Interval.values:
        raise ApplicationError(BillingErrors.PLAN_UNAVAILABLE, _("Periode tagihan tidak dikenal."))
    if subscription.status == S.ARCHIVED:
        raise ApplicationError(BillingErrors.ARCHIVED, _("Langganan sudah diarsipkan."))
    count = _check_plan_fits(subscription=subscription, plan=plan)
    sub = _lock(subscription)
    old_plan, old_interval = sub.plan, sub.interval
    if old_plan.pk == plan.pk and old_interval == interval:
        return sub
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


# -- bank transfer ------------------------------------------------------------------------

_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _token(n: int) -> str:
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(n))


@transaction.atomic
def bank_invoice_issue(*, subscription: Subscription, plan: Plan, interval: str, by) -> Invoice:
    """Issue a bank-transfer invoice (unique transfer reference). If an unpaid one for the
    same plan and period already exists it is returned instead of a second one."""
    sub = _lock(subscription)
    open_invoices = sub.invoices.filter(
        provider=Subscription.Provider.BANK_TRANSFER,
        status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING],
    ).select_for_update()
    for inv in open_invoices:
        if inv.plan_id == plan.pk and inv.interval == interval:
            return inv
        if inv.status == Invoice.Status.OPEN:
            inv.status = Invoice.Status.VOID
            inv.save(update_fields=["status"])
    today = timezone.localdate()
    if (
        sub.status == S.ACTIVE
        and sub.current_period_end
        and timezone.localdate(sub.current_period_end) >= today
    ):
        period_start = timezone.localdate(sub.current_period_end) + timedelta(days=1)
        due_on = max(period_start - timedelta(days=1), today)
    else:
        period_start = today
        due_on = today + timedelta(days=settings.BILLING_INVOICE_DUE_DAYS)
    invoice = Invoice.objects.create(
        subscription=sub,
        provider=Subscription.Provider.BANK_TRANSFER,
        number=f"INV-{today:%Y%m}-{_token(6)}",
        reference=f"LMB{_token(8)}",
        plan=plan,
        interval=interval,
        amount=plan.price_for(interval),
        issued_on=today,
        due_on=due_on,
        period_start=period_start,
        period_end=period_end_for(period_start, interval) - timedelta(days=1),
    )
    _audit(
        actor=by,
        action="billing.bank_invoice_issued",
        target=sub.cooperative,
        data={
            "invoice": invoice.number,
            "reference": invoice.reference,
            "amount": str(invoice.amount),
        },
    )
    return invoice


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
    # the one upload policy: PDF/PNG/JPEG by extension and content, bounded size
    upload_check(
        upload, max_bytes=settings.BILLING_PROOF_MAX_BYTES, code=BillingErrors.PROOF_INVALID
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
    at once."""
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
    inv.status = Invoice.Status.PAID
    inv.paid_at = timezone.now()
    inv.confirmed_by = operator
    inv.save(update_fields=["status", "paid_at", "confirmed_by"])
    sub = _lock(inv.subscription)
    sub.provider = Subscription.Provider.BANK_TRANSFER
    sub.plan, sub.interval = inv.plan, inv.interval
    period_end = _end_of_day(inv.period_end)
    if not sub.current_period_end or period_end > sub.current_period_end:
        sub.current_period_end = period_end
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
        },
    )
    return inv


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
    _audit(actor=operator, action="billing.bank_transfer_rejected", target=inv, reason=reason)
    return inv


# -- daily work ---------------------------------------------------------------------------


def usage_record(*, subscription: Subscription, now: datetime | None = None) -> Subscription:
    """Count active members and raise/clear the over-limit flag. Never blocks work."""
    now = now or timezone.now()
    count = active_member_count(cooperative=subscription.cooperative)
    with transaction.atomic():
        sub = _lock(subscription)
        sub.active_members = count
        sub.active_members_counted_at = now
        over = not sub.plan.allows(count)
        if over and not sub.over_limit_since:
            sub.over_limit_since = now
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
            elif (
                sub.status == S.ACTIVE
                and sub.provider == Subscription.Provider.BANK_TRANSFER
                and sub.current_period_end
                and sub.current_period_end < now
            ):
                if _status_set(
                    sub=sub,
                    status=S.PAST_DUE,
                    reason=_("Masa langganan berakhir, tagihan belum dibayar"),
                    actor="system",
                    now=now,
                ):
                    counts["past_due"] += 1
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
        if (
            sub.status == S.ACTIVE
            and sub.provider == Subscription.Provider.BANK_TRANSFER
            and sub.current_period_end
            and sub.current_period_end - timedelta(days=settings.BILLING_RENEWAL_NOTICE_DAYS) < now
            and not sub.invoices.filter(
                status__in=[Invoice.Status.OPEN, Invoice.Status.AWAITING]
            ).exists()
            and not sub.invoices.filter(
                period_start__gt=timezone.localdate(sub.current_period_end)
            ).exists()
        ):
            bank_invoice_issue(subscription=sub, plan=sub.plan, interval=sub.interval, by="system")
            counts["renewal_invoices"] += 1
    return counts


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
    *, subscription: Subscription, status: str, operator, reason: str
) -> Subscription:
    """An operator moves a subscription (and its cooperative) to ``status`` by hand:
    suspend, reactivate, archive from the console. Audited with the reason."""
    reason = _require_reason(reason)
    if status not in S.values:
        raise ApplicationError(BillingErrors.STATUS_INVALID, _("Status langganan tidak dikenal."))
    sub = _lock(subscription)
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
    if plan.pk is None or old.get("price_monthly") != plan.price_monthly:
        plan.stripe_price_monthly_id = ""
    if plan.pk is None or old.get("price_yearly") != plan.price_yearly:
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
