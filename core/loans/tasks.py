"""Celery tasks of core.loans: thin wrappers over ``arrears.loans_arrears_update``."""

import logging

from django.utils import timezone
from django_tenants.utils import schema_context

from lumbung.celery import app

log = logging.getLogger(__name__)

RUNNING_STATUSES = ("trial", "active", "past_due")


@app.task
def loans_arrears_daily_task() -> dict:
    """Daily (beat): for each running cooperative, in its own schema and transaction,
    update days past due, kolektibilitas and PPAP, posting the allowance change. One
    cooperative's failure is logged and does not stop the others."""
    from tenants.models import Cooperative

    from .arrears import loans_arrears_update

    with schema_context("public"):
        coops = list(
            Cooperative.objects.filter(status__in=RUNNING_STATUSES)
            .exclude(schema_name="public")
            .order_by("pk")
            .values_list("slug", "schema_name")
        )
    done, failed = [], []
    for slug, schema in coops:
        try:
            with schema_context(schema):
                loans_arrears_update(on=timezone.localdate(), by="system")
            done.append(slug)
        except Exception:
            log.exception("Daily arrears run failed for %s", slug)
            failed.append(slug)
    return {"done": done, "failed": failed}


@app.task
def loans_arrears_tenant_task() -> int:
    """The arrears run for the current schema (sent from a tenant context)."""
    from .arrears import loans_arrears_update

    return loans_arrears_update(on=timezone.localdate(), by="system").pk
