"""Console reads: the tenants list (one query over the public schema), a tenant's
detail, the platform overview and the health page."""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from billing.models import Invoice, Subscription, WebhookEvent
from billing.selectors import (
    credit_notes_prefetch,
    invoice_open_for,
    invoices_overdue,
    invoices_with_receipts,
    proofs_waiting_too_long,
    subscription_payment_way,
    suspension_on,
)
from billing.services import LIVE_STRIPE_STATUSES
from billing.services.credit import credit_balance as billing_credit_balance
from core.audit.models import AuditEvent
from core.common.money import format_rupiah
from tenants.models import Cooperative, SchemaTemplate, SignupRequest
from tenants.schema_template import TEMPLATE_SCHEMA, missing_migrations, template_state

from .models import JobRun, MigrationRun, TaskFailure, TenantStats, TenantUsageDaily
from .tasks import console_stats_refresh_task

log = logging.getLogger(__name__)

SORTS = {
    "name": "name",
    "slug": "slug",
    "created": "created_at",
    "status": "status",
    "members": "console_stats__members",
    "mrr": "console_stats__mrr",
    "size": "console_stats__db_size_bytes",
    "activity": "console_stats__last_staff_activity",
    "plan": "subscription__plan__sort_order",
}
DEFAULT_SORT = "-created"
TRIAL_SOON_DAYS = 7


def sort_normalize(sort: str) -> str:
    """``sort`` as the list understands it (a key of SORTS, "-" for descending), or the
    default order (newest first) for anything else."""
    sort = (sort or "").strip()
    key = sort.lstrip("-")
    if key not in SORTS:
        return DEFAULT_SORT
    return f"-{key}" if sort.startswith("-") else key


def tenants_query(
    *,
    q: str = "",
    status: str = "",
    plan: str = "",
    province: str = "",
    flag: str = "",
    sort: str = DEFAULT_SORT,
):
    """Cooperatives (not the public row) with their subscription, plan and stats, one
    SQL query; ``flag``: trial_soon / over_limit / failed."""
    qs = (
        Cooperative.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .filter(is_practice=False)  # practice copies are shown on their cooperative
        .select_related("subscription__plan", "console_stats")
        .only(
            "id",
            "slug",
            "name",
            "status",
            "province",
            "email",
            "nik_koperasi",
            "created_at",
            "subscription__id",
            "subscription__status",
            "subscription__trial_ends_at",
            "subscription__over_limit_since",
            "subscription__interval",
            "subscription__plan__id",
            "subscription__plan__name",
            "console_stats__members",
            "console_stats__mrr",
            "console_stats__db_size_bytes",
            "console_stats__last_staff_activity",
            "console_stats__refreshed_at",
        )
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(slug__icontains=q)
            | Q(nik_koperasi__icontains=q)
            | Q(legal_number__icontains=q)
            | Q(email__icontains=q)
        )
    if status:
        qs = qs.filter(status=status)
    if plan:
        qs = qs.filter(subscription__plan__code=plan)
    if province:
        qs = qs.filter(province=province)
    now = timezone.now()
    if flag == "trial_soon":
        qs = qs.filter(
            subscription__status=Subscription.Status.TRIAL,
            subscription__trial_ends_at__gte=now,
            subscription__trial_ends_at__lte=now + timedelta(days=TRIAL_SOON_DAYS),
        )
    elif flag == "over_limit":
        qs = qs.filter(subscription__over_limit_since__isnull=False)
    elif flag == "failed":
        qs = qs.filter(status=Cooperative.Status.FAILED)
    sort = sort_normalize(sort)
    field = SORTS[sort.lstrip("-")]
    desc = sort.startswith("-")
    order = F(field).desc(nulls_last=True) if desc else F(field).asc(nulls_last=True)
    return qs.order_by(order, "-pk" if desc else "pk")


def provinces() -> list[str]:
    return list(
        Cooperative.objects.exclude(province="")
        .order_by("province")
        .values_list("province", flat=True)
        .distinct()
    )


def failed_signups():
    return SignupRequest.objects.filter(status=SignupRequest.Status.FAILED).order_by("-created_at")


# -- tenant detail -----------------------------------------------------------------------


def tenant_audit_events(*, cooperative: Cooperative, limit: int = 25) -> list[AuditEvent]:
    """Recent events from the cooperative's own audit log (its schema)."""
    try:
        with transaction.atomic(), schema_context(cooperative.schema_name):
            return list(
                AuditEvent.objects.order_by("-created_at", "-id").values(
                    "created_at", "actor_label", "action", "target_repr", "reason"
                )[:limit]
            )
    except Exception:  # a broken or missing schema: the page still shows the rest
        connection.set_schema_to_public()
        return []


def tenant_migration_state(*, cooperative: Cooperative) -> dict:
    try:
        with transaction.atomic():  # a savepoint: a missing schema must not spoil the page
            missing = missing_migrations(cooperative.schema_name)
    except Exception:  # said plainly on the page; the exception goes to the log
        log.exception("Migration state of %s not readable", cooperative.schema_name)
        connection.set_schema_to_public()
        return {
            "ok": False,
            "missing": [],
            "error": _("Skema koperasi ini tidak dapat dibaca; rinciannya ada di log server."),
        }
    return {"ok": not missing, "missing": missing, "error": ""}


DETAIL_INVOICES = 24


def tenant_invoices(*, subscription: Subscription | None) -> QuerySet[Invoice]:
    """A cooperative's invoices, void ones too, the newest first, each with its credit
    notes (nota retur: ``invoice.credit_notes.all()``, one prefetch query whatever the
    number): its page in the console shows the latest (tenant_detail), the full list
    pages through them all (paginate it). A void invoice paid later and its re-issue
    name each other (``reissue`` / ``reissue_of``, joined)."""
    if subscription is None:
        return Invoice.objects.none()
    return (
        invoices_with_receipts(Invoice.objects.filter(subscription=subscription))
        .select_related("plan", "reissue", "reissue_of")
        .prefetch_related(credit_notes_prefetch())
        .order_by("-issued_on", "-id")
    )


# The console's actions that depend on the subscription's state: offered only where they
# apply (the services refuse them elsewhere).
STATUS_ACTIONS = frozenset({"suspend", "reactivate", "archive", "change_plan", "extend_trial"})


def status_actions_applicable(*, subscription: Subscription | None) -> set[str]:
    """Which of STATUS_ACTIONS apply to the subscription's status: suspend unless
    archived or already suspended by an operator (one the sweep suspended may be held
    by an operator), reactivate when suspended, archived or past due, archive unless
    archived; change the plan unless archived (billing.plan_change refuses it); extend
    the trial in trial or past due, nothing paid and no card still billing
    (billing.trial_extend's rule). The services refuse the others."""
    if subscription is None:
        return set()
    status, S = subscription.status, Subscription.Status
    applicable = set()
    if status != S.ARCHIVED and not (status == S.SUSPENDED and subscription.suspended_by_operator):
        applicable.add("suspend")
    if status in (S.SUSPENDED, S.ARCHIVED, S.PAST_DUE):
        applicable.add("reactivate")
    if status != S.ARCHIVED:
        applicable.update({"archive", "change_plan"})
    if (
        status in (S.TRIAL, S.PAST_DUE)
        and not (
            subscription.stripe_subscription_id
            and subscription.stripe_status in LIVE_STRIPE_STATUSES
        )
        and not subscription.invoices.filter(status=Invoice.Status.PAID).exists()
    ):
        applicable.add("extend_trial")
    return applicable


def _day(moment) -> str:
    return date_format(timezone.localdate(moment)) if moment else "–"


def subscription_state(*, subscription: Subscription) -> list[tuple[str, str]]:
    """What the operator reads of a subscription's state, as (label, text) rows: the
    trial's end only while in trial; for a paying one what is paid until and what is
    billed next (card or transfer), a card ending at the period end; past due since
    when and when the sweep suspends it; suspended since when, why and when it is
    archived; archived."""
    sub, S = subscription, Subscription.Status
    P = Subscription.Provider
    rows: list[tuple[str, str]] = []
    card_live = bool(sub.stripe_subscription_id and sub.stripe_status in LIVE_STRIPE_STATUSES)
    open_invoice = invoice_open_for(subscription=sub)
    if sub.status == S.TRIAL:
        rows.append((_("Uji coba sampai"), _day(sub.trial_ends_at)))
        if card_live and sub.current_period_end:
            rows.append((_("Kartu mulai ditagih"), _day(sub.current_period_end)))
    elif sub.status == S.ACTIVE:
        if sub.provider == P.STRIPE and card_live:
            rows.append(
                (
                    _("Dibayar dengan kartu sampai"),
                    _day(sub.card_paid_until or sub.current_period_end),
                )
            )
            if sub.cancel_at_period_end:
                rows.append(
                    (
                        _("Langganan kartu berhenti"),
                        _("%(d)s, di akhir periode; kartu tidak ditagih lagi")
                        % {"d": _day(sub.current_period_end)},
                    )
                )
            else:
                rows.append((_("Tagihan kartu berikutnya"), _day(sub.current_period_end)))
        elif sub.current_period_end:
            rows.append((_("Dibayar sampai"), _day(sub.current_period_end)))
            if sub.provider == P.BANK_TRANSFER and open_invoice is None:
                issue_on = sub.current_period_end - timedelta(
                    days=settings.BILLING_RENEWAL_NOTICE_DAYS
                )
                rows.append((_("Tagihan perpanjangan terbit"), _day(issue_on)))
        else:
            rows.append((_("Periode berbayar"), _("tidak tercatat")))
    elif sub.status == S.PAST_DUE:
        rows.append((_("Menunggak sejak"), _day(sub.past_due_since)))
        suspend_on = suspension_on(subscription=sub)
        if suspend_on is not None:
            rows.append((_("Ditangguhkan otomatis bila belum dibayar"), date_format(suspend_on)))
        if sub.provider == P.STRIPE and sub.stripe_status == "past_due":
            rows.append((_("Kartu"), _("gagal ditagih; Stripe mencoba lagi")))
    elif sub.status == S.SUSPENDED:
        rows.append((_("Ditangguhkan sejak"), _day(sub.suspended_since)))
        rows.append(
            (
                _("Sebab"),
                _("oleh operator: %(r)s") % {"r": sub.operator_reason or "–"}
                if sub.suspended_by_operator
                else _("tagihan belum dibayar"),
            )
        )
        if sub.suspended_since:
            days = sub.archive_after_days or settings.BILLING_ARCHIVE_AFTER_DAYS
            rows.append(
                (_("Diarsipkan otomatis"), _day(sub.suspended_since + timedelta(days=days)))
            )
    elif sub.status == S.ARCHIVED:
        rows.append((_("Diarsipkan; ditangguhkan sejak"), _day(sub.suspended_since)))
    if open_invoice is not None:
        rows.append(
            (
                _("Tagihan belum lunas"),
                _("%(n)s, %(a)s, jatuh tempo %(d)s")
                % {
                    "n": open_invoice.number,
                    "a": format_rupiah(open_invoice.amount_due),
                    "d": date_format(open_invoice.due_on),
                },
            )
        )
    return rows


def tenant_detail(*, cooperative: Cooperative) -> dict:
    sub = Subscription.objects.select_related("plan").filter(cooperative=cooperative).first()
    invoices = tenant_invoices(subscription=sub)
    return {
        "sub": sub,
        "sub_state": subscription_state(subscription=sub) if sub else [],
        "pay_way": subscription_payment_way(subscription=sub) if sub else None,
        # the latest ones; the rest on the cooperative's list of invoices (tenant_invoices)
        "invoices": list(invoices[:DETAIL_INVOICES]),
        "invoices_total": invoices.count() if sub else 0,
        "credit": billing_credit_balance(subscription=sub) if sub else None,
        "credit_entries": list(sub.credit_entries.select_related("invoice")[:24]) if sub else [],
        "domains": list(cooperative.domains.order_by("-is_primary", "domain")),
        "stats": TenantStats.objects.filter(cooperative=cooperative).first(),
        "usage": list(TenantUsageDaily.objects.filter(cooperative=cooperative)[:60]),
        "signups": list(SignupRequest.objects.filter(cooperative=cooperative).order_by("-pk")),
        "failed_signups": list(
            SignupRequest.objects.filter(
                slug=cooperative.slug, status=SignupRequest.Status.FAILED
            ).order_by("-pk")
        ),
        "platform_events": list(
            AuditEvent.objects.filter(
                target_type="tenants.cooperative", target_id=str(cooperative.pk)
            ).order_by("-created_at", "-id")[:25]
        ),
        "tenant_events": tenant_audit_events(cooperative=cooperative),
        "migrations": tenant_migration_state(cooperative=cooperative),
        "support_sessions": list(cooperative.support_sessions.all()[:10]),
    }


# -- overview ----------------------------------------------------------------------------


def overview(*, weeks: int = 12) -> dict:
    now = timezone.now()
    coops = Cooperative.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).filter(
        is_practice=False
    )
    by_status = dict(coops.values_list("status").annotate(n=Count("id")).order_by())
    since = now - timedelta(weeks=weeks)
    signups = list(
        coops.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    subs = Subscription.objects.all()
    trials = subs.filter(status=Subscription.Status.TRIAL).count()
    # A trial converted when a paid invoice exists; the rate is over subscriptions
    # whose trial has ended.
    ended = subs.filter(trial_ends_at__lt=now)
    converted = ended.filter(invoices__status=Invoice.Status.PAID).distinct().count()
    ended_n = ended.count()
    mrr = TenantStats.objects.aggregate(t=Sum("mrr"))["t"] or Decimal(0)
    paying = subs.filter(status=Subscription.Status.ACTIVE).count()
    # Churn: cooperatives that left (archived in the last 30 days and still archived, or
    # deleted since); a suspension that is paid off is not churn.
    archived_ids = set(
        AuditEvent.objects.filter(
            action="billing.status_changed",
            created_at__gte=now - timedelta(days=30),
            data__to=Subscription.Status.ARCHIVED,
        ).values_list("target_id", flat=True)
    )
    back = {
        str(pk)
        for pk in Cooperative.objects.filter(pk__in=[int(i) for i in archived_ids if i.isdigit()])
        .exclude(status=Cooperative.Status.ARCHIVED)
        .values_list("pk", flat=True)
    }
    churned_30 = len(archived_ids - back)
    failed_payments = WebhookEvent.objects.filter(
        Q(event_type="invoice.payment_failed") | Q(state=WebhookEvent.State.FAILED),
        received_at__gte=now - timedelta(days=30),
    ).count()
    overdue = invoices_overdue()
    overdue_invoices = len(overdue)
    largest = list(
        TenantStats.objects.select_related("cooperative")
        .order_by("-db_size_bytes")
        .only("cooperative__name", "cooperative__slug", "db_size_bytes", "members")[:10]
    )
    peak = max([s["n"] for s in signups] or [1])
    status_max = max(list(by_status.values()) or [1])
    return {
        "by_status": [
            {
                "status": s,
                "label": Cooperative.Status(s).label,
                "n": by_status.get(s, 0),
                "pct": round(100 * by_status.get(s, 0) / status_max),
            }
            for s in Cooperative.Status.values
        ],
        "signups": [s | {"pct": round(100 * s["n"] / peak)} for s in signups],
        "trials": trials,
        "trial_conversion": round(100 * converted / ended_n, 1) if ended_n else None,
        "trial_converted": converted,
        "trial_ended": ended_n,
        "mrr": mrr,
        "paying": paying,
        "churned_30": churned_30,
        "churn_rate": round(100 * churned_30 / (paying + churned_30), 1)
        if paying + churned_30
        else None,
        "failed_payments": failed_payments,
        "overdue_invoices": overdue_invoices,
        "overdue": overdue[:100],
        # what is still to be transferred: the credit already taken off is not owed
        "overdue_amount": sum((i.amount_due for i in overdue), Decimal(0)),
        "stale_proofs": len(proofs_waiting_too_long()),
        "failed_provisioning": SignupRequest.objects.filter(
            status=SignupRequest.Status.FAILED
        ).count()
        + by_status.get(Cooperative.Status.FAILED, 0),
        "largest": largest,
    }


# -- health ------------------------------------------------------------------------------


def queue_lengths() -> dict:
    """Messages waiting per Celery queue (Redis lists), or why they cannot be read, said
    plainly (never the broker's URL, which may hold its password; the exception is
    logged)."""
    queues = sorted({getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")})
    url = getattr(settings, "CELERY_BROKER_URL", "")
    if not url.startswith("redis"):
        return {
            "error": _("Broker Celery bukan Redis; panjang antrean tidak dapat dibaca."),
            "queues": {},
        }
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        return {"error": "", "queues": {q: client.llen(q) for q in queues}}
    except Exception:
        log.exception("Celery queue lengths not readable")
        return {
            "error": _(
                "Broker Celery (Redis) tidak dapat dihubungi; rinciannya ada di log server."
            ),
            "queues": {},
        }


PENDING_LISTED = 200


def stats_refresh_minutes() -> int | None:
    """How often the scheduled statistics refresh runs (console_stats_refresh_task in
    CELERY_BEAT_SCHEDULE), in minutes; None when it is not scheduled as an interval."""
    for entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values():
        if entry.get("task") != console_stats_refresh_task.name:
            continue
        schedule = entry.get("schedule")
        if isinstance(schedule, timedelta):
            return max(1, round(schedule.total_seconds() / 60))
        if isinstance(schedule, int | float):
            return max(1, round(schedule / 60))
    return None


def _pending_migrations() -> dict:
    """Pending migrations per cooperative, as the last statistics refresh measured them:
    the first PENDING_LISTED (most pending first), how many in all, and how many
    cooperatives were never measured (a row made only for its MRR, stats_mrr_follow, is
    no measurement): "none pending" is said only of what was measured."""
    measured = TenantStats.objects.filter(refreshed_at__isnull=False)
    pending = measured.filter(migrations_pending__gt=0)
    listed = list(
        pending.select_related("cooperative").order_by("-migrations_pending", "cooperative__slug")[
            :PENDING_LISTED
        ]
    )
    total = len(listed) if len(listed) < PENDING_LISTED else pending.count()
    return {
        "pending": listed,
        "pending_total": total,
        "pending_more": total - len(listed),
        "stats_refreshed": measured.order_by("refreshed_at")
        .values_list("refreshed_at", flat=True)
        .first(),
        # what stats_refresh measures: every cooperative but the practice copies
        "stats_unmeasured": Cooperative.objects.exclude(schema_name="public")
        .filter(is_practice=False)
        .exclude(console_stats__refreshed_at__isnull=False)
        .count(),
        "stats_every_minutes": stats_refresh_minutes(),
    }


def health() -> dict:
    try:
        tstate = template_state()
        template = {
            "exists": tstate.exists,
            "current": tstate.current,
            "missing": tstate.missing,
            "snapshot": tstate.snapshot,
        }
    except Exception:  # said plainly on the page; the exception goes to the log
        log.exception("Schema template state not readable")
        template = {
            "exists": False,
            "current": False,
            "missing": [],
            "error": _("Templat skema tidak dapat diperiksa; rinciannya ada di log server."),
        }
    snap = SchemaTemplate.objects.filter(name=TEMPLATE_SCHEMA).first()
    scheduled = sorted({v["task"] for v in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).values()})
    # Per task: how many schemas ran it, the oldest "last success" (a tenant falling
    # behind), failures; then the rows most behind first.

    # Rows of a schema that no longer exists (a cooperative deleted before its rows were
    # cleaned up with it) are left out.
    existing = JobRun.objects.filter(
        schema_name__in=RawSQL("SELECT nspname::text FROM pg_namespace", ())
    )
    job_summary = list(
        existing.values("task")
        .annotate(
            schemas=Count("id"),
            oldest_success=Min("last_success_at"),
            # Min leaves these out: a schema whose task only ever failed is the most behind
            never_succeeded=Count("id", filter=Q(last_success_at__isnull=True)),
            newest_success=Max("last_success_at"),
            last_failure=Max("last_failure_at"),
            failures=Sum("failures"),
        )
        .order_by("task")
    )
    runs = list(
        existing.order_by(F("last_success_at").asc(nulls_first=True), "task", "schema_name")[:200]
    )
    return {
        "queues": queue_lengths(),
        "failures": list(TaskFailure.objects.all()[:50]),
        "failures_24h": TaskFailure.objects.filter(
            created_at__gte=timezone.now() - timedelta(days=1)
        ).count(),
        "scheduled": scheduled,
        "runs": runs,
        "job_summary": job_summary,
        "template": template,
        "template_row": snap,
        **_pending_migrations(),
        "migration_runs": list(MigrationRun.objects.all()[:5]),
        **webhook_problems(),
    }


def webhook_problems(*, days: int = 30, limit: int = 20) -> dict:
    """Stripe events of the last ``days`` that failed (each with its error: the overview
    only counts them) and, apart, those ignored with a reason (flagged: an object
    Lumbung does not know), the newest first."""
    since = timezone.now() - timedelta(days=days)
    recent = WebhookEvent.objects.filter(valid=True, received_at__gte=since).only(
        "event_id",
        "event_type",
        "state",
        "error",
        "flag_reason",
        "flag_code",
        "flag_params",
        "attempts",
        "received_at",
    )
    return {
        "webhooks_failed": list(recent.filter(state=WebhookEvent.State.FAILED)[:limit]),
        "webhooks_ignored": list(
            recent.filter(state=WebhookEvent.State.IGNORED, flagged=True)[:limit]
        ),
    }
