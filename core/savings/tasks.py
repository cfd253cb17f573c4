"""Celery tasks of savings (thin wrappers).

The daily check of the savings sub-ledger against its control accounts is the ledger's
``core.ledger.tasks.subledgers_reconcile_all_task`` (every sub-ledger, with its alerts).

``savings_interest_monthly_all_task`` (daily, public schema) sends one
``savings_interest_monthly_task`` per live cooperative (tenant-schemas-celery carries the
schema with each message): the previous month's jasa simpanan of every product
that bears interest and has ``interest_auto`` on, once (a month already accrued, by hand
or by an earlier run, is skipped). A refusal (a closed period, a ledger account not
mapped) changes nothing for that product, is logged at ERROR and written to the audit log.
"""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from lumbung.celery import app

log = logging.getLogger(__name__)

LIVE_STATUSES = ("trial", "active", "past_due", "suspended")


def _queue_in_every_cooperative(task, what: str) -> dict:
    """Send ``task`` once in each live cooperative's schema."""
    from tenants.models import Cooperative

    queued = 0
    with schema_context("public"):
        coops = list(
            Cooperative.objects.filter(status__in=LIVE_STATUSES)
            .exclude(schema_name="public")
            .order_by("pk")
        )
    for coop in coops:
        try:
            with tenant_context(coop):
                task.delay()
            queued += 1
        except Exception:
            log.exception("Could not queue %s for %s", what, coop.schema_name)
    return {"queued": queued}


@app.task
def savings_interest_monthly_task() -> dict:
    """The previous month's jasa simpanan in the current schema, for every active product
    with interest and ``interest_auto``; each product in its own transaction."""
    from core.audit.services import audit_log
    from core.common.errors import ApplicationError

    from .models import InterestRun, SavingsProduct
    from .services import savings_interest_accrue

    previous = timezone.localdate().replace(day=1) - timedelta(days=1)
    year, month = previous.year, previous.month
    results = []
    for product in SavingsProduct.objects.filter(
        is_active=True, interest_enabled=True, interest_auto=True, interest_rate_annual__gt=0
    ).order_by("pk"):
        if InterestRun.objects.filter(product=product, year=year, month=month).exists():
            continue
        try:
            run = savings_interest_accrue(product=product, year=year, month=month, by="system")
        except ApplicationError as e:
            log.error(
                "Savings interest %s %04d-%02d refused in %s: %s",
                product.code,
                year,
                month,
                connection.schema_name,
                e.message,
                extra={"tenant": connection.schema_name, "alert": "savings_interest"},
            )
            with transaction.atomic():
                audit_log(
                    actor="system",
                    action="savings.interest_auto_failed",
                    target=product,
                    reason=str(e.message),
                    data={"period": f"{year}-{month:02d}", "code": str(e.code)},
                )
            results.append({"product": product.code, "error": str(e.code)})
        else:
            results.append(
                {
                    "product": product.code,
                    "accounts": run.accounts,
                    "gross": f"{run.gross_interest:.2f}",
                    "tax": f"{run.tax:.2f}",
                }
            )
    return {"schema": connection.schema_name, "period": f"{year}-{month:02d}", "runs": results}


@app.task
def savings_interest_monthly_all_task() -> dict:
    """Daily: queue the monthly interest run in every live cooperative (it does nothing
    where last month is done)."""
    return _queue_in_every_cooperative(savings_interest_monthly_task, "savings interest")
