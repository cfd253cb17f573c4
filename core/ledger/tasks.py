"""Celery tasks of the ledger (thin wrappers).

The daily beat entry ``subledgers-reconcile`` fans ``subledgers_reconcile_task`` out to
every live cooperative (``tenants.tasks.every_cooperative_task``); tenant-schemas-celery
carries the schema with each message. A difference between a sub-ledger and its control accounts is
logged at ERROR (Sentry's logging integration turns it into an event, tagged with the
tenant), written to the cooperative's audit log and shown on the dashboard of bendahara
and admin until a later run finds the books agreeing again.

``ledger_export_build_task`` builds a buku besar XLSX too long for a request
(``services.ledger_export_build``); the daily ``ledger-exports-cleanup`` deletes old ones.
"""

import logging

from celery import shared_task
from django.db import connection, transaction

from core.audit.services import audit_log
from core.ledger.audit import LedgerAudit

from .models import LedgerExport
from .reconciliation import subledgers_reconcile

log = logging.getLogger(__name__)


@shared_task
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
                action=LedgerAudit.RECONCILIATION_MISMATCH,
                target=run,
                reason="Buku pembantu tidak sama dengan akun kontrol buku besar.",
                data={"differences": run.differences[:50]},
            )
    else:
        log.info("Sub-ledger reconciliation ok in %s", schema)
    return result


@shared_task
def ledger_export_build_task(export_id: int) -> str:
    """Build one background buku besar XLSX (``services.ledger_export_build``); queued
    by ``ledger_export_request`` at commit. Returns the export's status."""
    # import cycle: core.ledger.services.exports imports this module to enqueue
    from .services import ledger_export_build

    export = LedgerExport.objects.filter(pk=export_id).first()
    if export is None:  # deleted by the clean-up before a worker took it
        log.warning("Buku besar export %s no longer exists", export_id)
        return "missing"
    return ledger_export_build(export=export).status


@shared_task
def ledger_exports_cleanup_task() -> int:
    """Daily (beat ``ledger-exports-cleanup``, per cooperative): delete old exports."""
    from .services import ledger_exports_cleanup  # import cycle, as above

    return ledger_exports_cleanup()
