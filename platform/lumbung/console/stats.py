"""Usage snapshots: members, staff activity, database size, MRR and pending migrations
of each cooperative, stored in the public schema (``TenantStats`` and one
``TenantUsageDaily`` row a day) by a periodic task, so the console's tenants list never
opens a tenant schema."""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import Subscription
from billing.selectors import mrr_billed
from core.audit.selectors import last_user_action_at
from core.members.selectors import member_counts
from core.users.selectors import staff_activity
from tenants.models import Cooperative
from tenants.schema_template import expected_migrations

from .models import TenantStats, TenantUsageDaily

log = logging.getLogger(__name__)

PAYING = (Subscription.Status.ACTIVE, Subscription.Status.PAST_DUE)


def mrr_for(sub: Subscription | None) -> Decimal:
    """Monthly recurring revenue of a subscription from what is actually billed (see
    billing.selectors.mrr_billed), not the current plan's list price."""
    return mrr_billed(subscription=sub)


# What mrr_billed reads: a subscription's status, and its invoices' status, kind and
# period (a save touching none of these cannot change the MRR).
_MRR_SUBSCRIPTION_FIELDS = frozenset({"status"})
_MRR_INVOICE_FIELDS = frozenset(
    {"status", "kind", "period_start", "period_end", "amount", "dpp", "interval"}
)


def stats_mrr_follow(*, subscription_id: int) -> None:
    """Keep one cooperative's stored MRR (TenantStats.mrr, summed by the overview and
    sorted on by the tenants list) as billing has it now, in the transaction that
    changed it: archiving, suspending, a payment or a reactivation counts at once, not
    at the next statistics refresh. Two small queries; no tenant schema is opened. A
    cooperative not refreshed yet gets its row once it bills something."""
    sub = Subscription.objects.filter(pk=subscription_id).first()
    if sub is None:
        return
    mrr = mrr_for(sub)
    updated = TenantStats.objects.filter(cooperative_id=sub.cooperative_id).update(mrr=mrr)
    if not updated and mrr > 0:
        TenantStats.objects.get_or_create(cooperative_id=sub.cooperative_id, defaults={"mrr": mrr})


def mrr_follow_saved(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    """post_save of a Subscription or an Invoice (console.apps): billing does not know
    the console (the public layer's order), so the console follows its writes."""
    if raw:
        return
    relevant = _MRR_SUBSCRIPTION_FIELDS if sender is Subscription else _MRR_INVOICE_FIELDS
    if update_fields is not None and not relevant & set(update_fields):
        return
    sub_id = instance.pk if sender is Subscription else instance.subscription_id
    stats_mrr_follow(subscription_id=sub_id)


def schema_sizes() -> dict[str, int]:
    """Bytes on disk per schema (tables, indexes, TOAST), all schemas in one query."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT n.nspname, COALESCE(SUM(pg_total_relation_size(c.oid)), 0)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'm') AND n.nspname LIKE %s
            GROUP BY n.nspname
            """,
            ["coop\\_%"],
        )
        return {name: int(size) for name, size in cur.fetchall()}


def _schema_figures(schema: str) -> dict:
    """One cooperative's figures, read in its schema through each app's selector."""
    with schema_context(schema):
        members = member_counts()
        staff = staff_activity()
        last_audit = last_user_action_at()
        applied = set(MigrationRecorder.Migration.objects.values_list("app", "name"))
    last = max([t for t in (staff["last_login"], last_audit) if t is not None], default=None)
    return {
        "members": members["total"],
        "active_members": members["active"],
        "staff_users": staff["count"],
        "last_staff_activity": last,
        "migrations_pending": len(expected_migrations() - applied),
    }


def stats_refresh_one(*, cooperative: Cooperative, sizes: dict[str, int] | None = None):
    """Recompute one cooperative's figures (TenantStats + today's usage row)."""
    sizes = schema_sizes() if sizes is None else sizes
    sub = Subscription.objects.select_related("plan").filter(cooperative_id=cooperative.pk).first()
    values = {"mrr": mrr_for(sub), "db_size_bytes": sizes.get(cooperative.schema_name, 0)}
    try:
        with transaction.atomic():
            values |= _schema_figures(cooperative.schema_name)
        values["error"] = ""
    except Exception as exc:  # a missing or broken schema: keep the row, say why
        log.warning("Usage figures of %s failed: %s", cooperative.schema_name, exc)
        values["error"] = f"{cooperative.schema_name}: {type(exc).__name__}: {exc}"[:2000]
    now = timezone.now()
    values["refreshed_at"] = now
    stats, _created = TenantStats.objects.update_or_create(
        cooperative_id=cooperative.pk, defaults=values
    )
    TenantUsageDaily.objects.update_or_create(
        cooperative_id=cooperative.pk,
        day=timezone.localdate(now),
        defaults={
            "members": stats.members,
            "active_members": stats.active_members,
            "db_size_bytes": stats.db_size_bytes,
            "mrr": stats.mrr,
        },
    )
    return stats


def stats_refresh(*, cooperatives=None) -> dict[str, int]:
    """Refresh every cooperative's figures (the periodic task). One failing schema does
    not stop the others."""
    connection.set_schema_to_public()
    qs = (
        cooperatives
        if cooperatives is not None
        else Cooperative.objects.exclude(schema_name="public")
        .filter(is_practice=False)  # never counted in usage (tenants.practice)
        .order_by("pk")
    )
    sizes = schema_sizes()
    done = failed = 0
    for coop in qs:
        stats = stats_refresh_one(cooperative=coop, sizes=sizes)
        done += 1
        failed += bool(stats.error)
    return {"refreshed": done, "failed": failed}
