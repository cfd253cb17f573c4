"""Billing services, common part: error codes, dates, locking, the status change that
keeps a subscription and its cooperative in step, operator checks."""

from __future__ import annotations

import calendar
import logging
import secrets
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import BillingAudit
from core.audit.services import audit_log
from core.common.errors import ApplicationError, reason_required
from core.users.models import User
from tenants.host_cache import tenant_host_forget
from tenants.models import Cooperative

from ..emails import billing_email_send
from ..errors import BillingErrors
from ..models import CreditEntry, Interval, Invoice, Plan, Subscription
from ..selectors import invoices_unpaid
from ..usage import active_member_count

log = logging.getLogger(__name__)

S = Subscription.Status


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


def _paid_by_transfer_until(sub: Subscription, *, kind: str | None = None) -> datetime | None:
    """The end of the last period paid by bank transfer (or recorded by an operator),
    whatever pays now: what a card subscription must neither bill again nor cut short.
    A payment credited back because the same period was paid again does not count.
    ``kind``: only invoices of that kind (a subscription invoice is what buys time)."""
    paid = sub.invoices.filter(
        provider=Subscription.Provider.BANK_TRANSFER, status=Invoice.Status.PAID
    )
    if kind is not None:
        paid = paid.filter(kind=kind)
    last = (
        paid.exclude(period_end=None)
        .exclude(
            Exists(
                CreditEntry.objects.filter(
                    invoice=OuterRef("pk"), reason=CreditEntry.Reason.DUPLICATE_PAYMENT
                )
            )
        )
        .order_by("-period_end")
        .values_list("period_end", flat=True)
        .first()
    )
    return _end_of_day(last) if last else None


def _paid_until(sub: Subscription) -> datetime | None:
    """The end of what the cooperative has paid for, by transfer or by a card (whether
    that card subscription still runs or was cancelled inside the period it paid for):
    a card started now must not bill those days again."""
    ends = [e for e in (_paid_by_transfer_until(sub), sub.card_paid_until) if e is not None]
    return max(ends, default=None)


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
    anything changed. Sends the suspended / restored e-mails on commit. Archiving ends
    a card subscription that still bills (after commit: card_subscription_cancel_later)."""
    now = now or timezone.now()
    old = sub.status
    if old == status:
        return False
    sub.status = status
    if status not in (S.SUSPENDED, S.ARCHIVED):
        sub.suspended_by_operator = False
        sub.archived_by_operator = False
        sub.operator_reason = ""
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
    tenant_host_forget(cooperative_id=sub.cooperative_id)  # applies on the next request
    sub.cooperative.status = status
    sub.cooperative.status_reason = reason
    _audit(
        actor=actor,
        action=BillingAudit.STATUS_CHANGED,
        target=sub.cooperative,
        reason=reason,
        data={"from": old, "to": status},
    )
    if status == S.SUSPENDED:
        billing_email_send(kind="suspended", subscription=sub, extra=_closure_mail_context(sub))
    elif status == S.ARCHIVED:
        billing_email_send(
            kind="archived",
            subscription=sub,
            extra={"reason": reason, **_closure_mail_context(sub)},
        )
        card_subscription_cancel_later(sub=sub, by=actor, reason=reason)
    elif status == S.ACTIVE and old in (S.PAST_DUE, S.SUSPENDED, S.ARCHIVED):
        billing_email_send(kind="restored", subscription=sub)
    return True


def _closure_mail_context(sub: Subscription) -> dict:
    """What the suspended and archived e-mails of an unpaid bill name: each bill unpaid
    (number, amount to transfer, due date; a transfer proof awaiting the operator is
    said to be), since when (the day the subscription fell past due), when access was
    suspended and when the sweep archives it, and the bank account to transfer to."""
    days = sub.archive_after_days or settings.BILLING_ARCHIVE_AFTER_DAYS
    suspended_on = timezone.localdate(sub.suspended_since) if sub.suspended_since else None
    unpaid = invoices_unpaid(subscription=sub)
    return {
        "unpaid": unpaid,
        "pay_by_transfer": any(
            i.status == Invoice.Status.OPEN and i.provider == Subscription.Provider.BANK_TRANSFER
            for i in unpaid
        ),
        "unpaid_since": timezone.localdate(sub.past_due_since) if sub.past_due_since else None,
        "suspended_on": suspended_on,
        "archive_days": days,
        "archive_on": suspended_on + timedelta(days=days) if suspended_on else None,
        "bank_name": settings.BILLING_BANK_NAME,
        "bank_account_number": settings.BILLING_BANK_ACCOUNT_NUMBER,
        "bank_account_holder": settings.BILLING_BANK_ACCOUNT_HOLDER,
    }


def card_subscription_cancel_later(*, sub: Subscription, by, reason: str) -> None:
    """Once the transaction commits, end the card subscription of an archived
    cooperative at Stripe (a task: retried while Stripe is unreachable, logged when
    refused). Nothing to do without a card subscription that still bills."""
    if not (sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES):
        return
    # import cycle: billing.tasks imports billing.services
    from ..tasks import card_subscription_cancel_task

    pk, actor = sub.pk, str(getattr(by, "username", by) or "system")
    transaction.on_commit(lambda: card_subscription_cancel_task.delay(pk, reason, actor))


def operator_held(sub: Subscription) -> bool:
    """Kept from work by an operator's decision, which only an operator lifts
    ("Aktifkan kembali"): suspended by an operator (and still so once the daily sweep
    archived it for lasting longer than the archive days: the mark is kept then), or
    archived by an operator."""
    return (sub.suspended_by_operator and sub.status in (S.SUSPENDED, S.ARCHIVED)) or (
        sub.archived_by_operator and sub.status == S.ARCHIVED
    )


def operator_hold(sub: Subscription) -> str:
    """Which operator's decision keeps a cooperative closed (operator_held), for the
    operator's messages: ``archived`` (an operator's archive), ``suspension_archived``
    (an operator's suspension the daily sweep archived for lasting too long),
    ``suspended`` (an operator's suspension), or "" when none does."""
    if sub.status == S.ARCHIVED and sub.archived_by_operator:
        return "archived"
    if sub.status == S.ARCHIVED and sub.suspended_by_operator:
        return "suspension_archived"
    if sub.status == S.SUSPENDED and sub.suspended_by_operator:
        return "suspended"
    return ""


def operator_hold_message(*, held: str, reason: str, archive_days: int) -> str:
    """What an operator is told when a payment is recorded for a cooperative an
    operator's decision keeps closed (``held``: operator_hold): which decision, its
    reason (as typed), and that only *Aktifkan kembali* in the console lifts it. One
    wording for the console's manual payment and billing's transfer confirmation."""
    if held == "suspended":
        parts = [
            _(
                "Koperasi tetap ditangguhkan: penangguhannya keputusan operator, dan "
                "pembayaran tidak mencabutnya."
            )
        ]
    elif held == "archived":
        parts = [
            _(
                "Koperasi tetap diarsipkan: diarsipkan oleh operator, dan pembayaran "
                "tidak membukanya kembali."
            )
        ]
    else:
        parts = [
            _(
                "Koperasi tetap diarsipkan: ditangguhkan oleh operator lalu diarsipkan "
                "otomatis setelah lebih dari %(days)s hari, dan pembayaran tidak "
                "membukanya kembali."
            )
            % {"days": archive_days}
        ]
    if reason.strip():
        label = (
            _("Alasan penangguhan: %(reason)s.")
            if held == "suspension_archived"
            else _("Alasan: %(reason)s.")
        )
        parts.append(label % {"reason": reason.strip().rstrip(".")})
    parts.append(
        _(
            "Periode yang dibayar tetap tercatat; akses baru pulih setelah Aktifkan "
            "kembali di konsol."
        )
    )
    return " ".join(parts)


def _require_reason(reason: str) -> str:
    return reason_required(
        reason, code=BillingErrors.STATUS_INVALID, message=_("Tuliskan alasannya.")
    )


def _require_billing_operator(operator) -> None:
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


_REF_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _token(n: int) -> str:
    return "".join(secrets.choice(_REF_ALPHABET) for _ in range(n))
