"""Celery tasks of the ledger (thin wrappers).

``subledgers_reconcile_all_task`` (daily, public schema) sends one
``subledgers_reconcile_task`` per live cooperative; tenant-schemas-celery carries the
schema with each message. A difference between a sub-ledger and its control accounts is
logged at ERROR (Sentry's logging integration turns it into an event, tagged with the
tenant), written to the cooperative's audit log and shown on the dashboard of bendahara
and admin until a later run finds the books agreeing again.
"""

import logging

from django.db import connection, transaction
from django_tenants.utils import schema_context, tenant_context

from core.audit.services import audit_log
from lumbung.celery import app

from .reconciliation import subledgers_reconcile

log = logging.getLogger(__name__)

LIVE_STATUSES = ("trial", "active", "past_due", "suspended")


@app.task
def subledgers_reconcile_task() -> dict:
    """Reconcile every sub-ledger of the current schema with the ledger."""
    schema = connection.schema_name
    run = subledgers_reconcile()
    result = {"schema": schema, "ok": run.ok, "run": run.pk, "differences": run.differences}
    if not run.ok:
        log.error(
            "Sub-ledger reconciliation difference in %s: %s",
            schema,
            run.differences,
            extra={"tenant": schema, "alert": "subledger_reconciliation"},
        )
        with transaction.atomic():
            audit_log(
                actor="system",
                action="ledger.reconciliation_mismatch",
                target=run,
                reason="Buku pembantu tidak sama dengan akun kontrol buku besar.",
                data={"differences": run.differences[:50]},
            )
    else:
        log.info("Sub-ledger reconciliation ok in %s", schema)
    return result


@app.task
def subledgers_reconcile_all_task() -> dict:
    """Daily: queue a sub-ledger reconciliation in every live cooperative."""
    from tenants.models import Cooperative  # public layer, read only to find the schemas

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
                subledgers_reconcile_task.delay()
            queued += 1
        except Exception:
            log.exception("Could not queue the sub-ledger reconciliation for %s", coop.schema_name)
    return {"queued": queued}
