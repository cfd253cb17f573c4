"""Celery tasks of savings (thin wrappers).

``savings_reconcile_all_task`` (daily, public schema) sends one ``savings_reconcile_task``
per live cooperative; tenant-schemas-celery carries the schema with each message, so the
per-cooperative task runs in that cooperative's schema. A mismatch is logged at ERROR
(reaching Sentry) and written to the cooperative's audit log, where the pengawas sees it.
"""

import logging

from django.db import connection, transaction
from django_tenants.utils import schema_context, tenant_context

from lumbung.celery import app

log = logging.getLogger(__name__)

LIVE_STATUSES = ("trial", "active", "past_due", "suspended")


@app.task
def savings_reconcile_task() -> dict:
    """Reconcile the current schema's savings sub-ledger with the ledger."""
    from core.audit.services import audit_log

    from .selectors import savings_reconciliation

    schema = connection.schema_name
    rec = savings_reconciliation()
    result = {
        "schema": schema,
        "ok": rec.ok,
        "accounts": [
            {
                "code": r.account_code,
                "subledger": str(r.subledger_total),
                "ledger": str(r.ledger_balance),
                "difference": str(r.difference),
            }
            for r in rec.rows
        ],
        "account_mismatches": rec.account_mismatches[:50],
        "member_mismatches": [
            [m, code, str(s), str(g)] for m, code, s, g in rec.member_mismatches[:50]
        ],
    }
    if not rec.ok:
        log.error(
            "Savings reconciliation mismatch in %s: %s",
            schema,
            result,
            extra={"tenant": schema, "alert": "savings_reconciliation"},
        )
        with transaction.atomic():
            audit_log(
                actor="system",
                action="savings.reconciliation_mismatch",
                reason="Saldo simpanan tidak sama dengan akun kontrol buku besar.",
                data=result,
            )
    else:
        log.info("Savings reconciliation ok in %s", schema)
    return result


@app.task
def savings_reconcile_all_task() -> dict:
    """Daily: queue a reconciliation for every live cooperative."""
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
                savings_reconcile_task.delay()
            queued += 1
        except Exception:
            log.exception("Could not queue savings reconciliation for %s", coop.schema_name)
    return {"queued": queued}
