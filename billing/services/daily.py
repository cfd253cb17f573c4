"""The daily work: member counts and limits, the status sweep, renewals, reminders."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.audit import BillingAudit
from core.common.errors import ApplicationError

from ..emails import billing_email_send
from ..models import Invoice, Subscription
from ..providers.base import provider_get
from ..selectors import invoice_upgrade_covering
from ..usage import active_member_count
from .bank import bank_invoice_issue, credit_apply_to_open, invoice_void
from .common import (
    S,
    _audit,
    _lock,
    _status_set,
    log,
)
from .credit import credit_balance, upgrade_differences_credit
from .plans import _paid_invoice_now, renewal_plan

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
                action=BillingAudit.OVER_LIMIT,
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
                action=BillingAudit.WITHIN_LIMIT,
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
            action=BillingAudit.PLAN_CHANGED,
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
    period becomes archived; a plan change paid for the next period applies when that
    period begins; bank-transfer renewals get their invoice."""
    now = now or timezone.now()
    grace = timedelta(days=settings.BILLING_PAST_DUE_GRACE_DAYS)
    notice = timedelta(days=settings.BILLING_TRIAL_NOTICE_DAYS)
    counts = {
        "trial_notices": 0,
        "past_due": 0,
        "suspended": 0,
        "archived": 0,
        "renewal_invoices": 0,
        "scheduled_plans": 0,
    }
    ids = list(
        Subscription.objects.exclude(status=S.ARCHIVED)
        .exclude(cooperative__is_practice=True)  # never billed (tenants.practice)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            sub = _lock(Subscription(pk=pk))
            if _trial_notice_send(sub, now=now, notice=notice):
                counts["trial_notices"] += 1
            if step := _status_step(sub, now=now, grace=grace):
                counts[step] += 1
            if _scheduled_plan_apply(sub=sub, now=now):
                counts["scheduled_plans"] += 1
        _proration_invoices_lapse(sub, now=now)
        if _renewal_invoice_due(sub, now=now):
            plan, interval = renewal_plan(subscription=sub)
            bank_invoice_issue(subscription=sub, plan=plan, interval=interval, by="system")
            counts["renewal_invoices"] += 1
        if credit_balance(subscription=sub) > 0:
            # Credit given back today (a period begun on a cheaper plan, an unpaid
            # upgrade lapsing) goes onto the invoices still open.
            credit_apply_to_open(subscription=sub, by="system")
    return counts


def _scheduled_plan_apply(*, sub: Subscription, now: datetime) -> bool:
    """The plan change due at renewal (``next_plan``/``next_interval``) of a (locked)
    bank-transfer subscription takes effect once the paid period for it has begun: the
    paid invoice covering today is for that plan. Returns whether the plan changed."""
    if sub.provider != Subscription.Provider.BANK_TRANSFER or not (
        sub.next_plan_id or sub.next_interval
    ):
        return False
    paid = _paid_invoice_now(sub, timezone.localdate(now))
    if paid is None:
        return False
    due = (sub.next_plan_id or sub.plan_id, sub.next_interval or sub.interval)
    if (paid.plan_id, paid.interval) == due:
        runs_on = paid.plan
    else:
        # A paid upgrade that topped this period up makes it run on the upgrade's plan.
        upgrade = invoice_upgrade_covering(invoice=paid)
        if upgrade is None or upgrade.status != Invoice.Status.PAID:
            return False
        if (upgrade.plan_id, paid.interval) != due:
            return False
        runs_on = upgrade.plan
    old = f"{sub.plan.code}/{sub.interval}"
    if runs_on.pk == paid.plan_id:
        # The period runs on the plan it was paid for: what upgrades added for it (to a
        # dearer plan given up since) is no longer owed and is credited, as billed.
        upgrade_differences_credit(
            sub=sub,
            renewal=paid,
            by="system",
            reason=_("Periode %(n)s berjalan dengan paket %(plan)s")
            % {"n": paid.number, "plan": paid.plan.name},
            whole_period=True,
        )
    sub.plan, sub.interval = runs_on, paid.interval
    sub.next_plan, sub.next_interval = None, ""
    if sub.over_limit_since and sub.plan.allows(sub.active_members or 0):
        sub.over_limit_since = None
    sub.save()
    _audit(
        actor="system",
        action=BillingAudit.PLAN_CHANGED,
        target=sub.cooperative,
        reason=_("Periode baru yang sudah dibayar dimulai"),
        data={"from": old, "to": f"{sub.plan.code}/{sub.interval}", "invoice": paid.number},
    )
    return True


def _trial_notice_send(sub: Subscription, *, now: datetime, notice: timedelta) -> bool:
    """A trial ending within the notice days gets its one e-mail (Stripe sends its own
    trial_will_end for a card subscription still on trial)."""
    if not (
        sub.status == S.TRIAL
        and sub.trial_ends_at
        and now < sub.trial_ends_at <= now + notice
        and not sub.trial_notice_sent_at
        and sub.stripe_status != "trialing"  # a card cancelled since gets no word from Stripe
    ):
        return False
    sub.trial_notice_sent_at = now
    sub.save(update_fields=["trial_notice_sent_at", "updated_at"])
    billing_email_send(kind="trial_ending", subscription=sub)
    return True


def _status_step(sub: Subscription, *, now: datetime, grace: timedelta) -> str | None:
    """One step down the walk when its time has come: trial or unpaid period to
    past_due (with its e-mail), past_due beyond the grace to suspended, suspended beyond
    the archive days to archived. Returns the count it adds to, or None."""
    if (
        sub.status == S.TRIAL
        and sub.trial_ends_at
        and sub.trial_ends_at < now
        # a card on trial is charged by Stripe at the trial's end, and reported; if that
        # report is lost, the trial ends after the grace days (as _period_over does)
        and (sub.stripe_status != "trialing" or sub.trial_ends_at + grace < now)
    ):
        return _past_due_set(sub, now=now, reason=_("Masa uji coba berakhir"), mail="trial_ended")
    if sub.status == S.ACTIVE and _period_over(sub, now):
        return _past_due_set(
            sub,
            now=now,
            reason=_("Masa langganan berakhir, tagihan belum dibayar"),
            mail="period_ended",
        )
    if sub.status == S.PAST_DUE and sub.past_due_since and sub.past_due_since + grace < now:
        reason = _("Tagihan belum dibayar melewati masa tenggang")
        if _status_set(sub=sub, status=S.SUSPENDED, reason=reason, actor="system", now=now):
            return "suspended"
        return None
    if sub.status == S.SUSPENDED and sub.suspended_since:
        days = sub.archive_after_days or settings.BILLING_ARCHIVE_AFTER_DAYS
        if sub.suspended_since + timedelta(days=days) < now and _status_set(
            sub=sub,
            status=S.ARCHIVED,
            reason=_("Ditangguhkan lebih dari %(d)s hari") % {"d": days},
            actor="system",
            now=now,
        ):
            return "archived"
    return None


def _past_due_set(sub: Subscription, *, now: datetime, reason: str, mail: str) -> str | None:
    if not _status_set(sub=sub, status=S.PAST_DUE, reason=reason, actor="system", now=now):
        return None
    billing_email_send(
        kind=mail,
        subscription=sub,
        extra={"grace_days": settings.BILLING_PAST_DUE_GRACE_DAYS},
    )
    return "past_due"


def _proration_invoices_lapse(sub: Subscription, *, now: datetime) -> None:
    """An upgrade's prorated invoice left unpaid lapses with its period."""
    with transaction.atomic():
        sub = _lock(sub)  # the subscription first, then its invoices
        for inv in Invoice.objects.filter(
            subscription=sub,
            kind=Invoice.Kind.PRORATION,
            status=Invoice.Status.OPEN,
            period_end__lt=timezone.localdate(now),
        ).select_for_update():
            invoice_void(
                sub=sub,
                invoice=inv,
                by="system",
                reason=_("Tagihan selisih tidak dibayar sampai periodenya berakhir"),
            )


def _renewal_invoice_due(sub: Subscription, *, now: datetime) -> bool:
    """A bank-transfer subscription near its period end with no renewal invoice open,
    awaiting, or already issued for the next period."""
    return bool(
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
    )


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
            subscription__isnull=False,  # a deleted cooperative's is kept, not reminded
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
