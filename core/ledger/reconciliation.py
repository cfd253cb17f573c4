"""Sub-ledgers against their control accounts, every day, in every cooperative.

Each module that keeps a sub-ledger (savings accounts, loans' outstanding principal and
PPAP, …) provides a check, named in ``settings.LEDGER_SUBLEDGER_CHECKS``
(``{name: "dotted.path"}``, the same wiring as ``TENANT_SEEDERS``, so the ledger imports
no module above it). A check returns either a list of ``SubledgerRow`` or a dict of
``<item>_subledger`` / ``<item>_ledger`` pairs (``core.loans.selectors.loans_reconciliation``
already has that shape). ``subledgers_reconcile`` runs them all and stores one
``ReconciliationRun``; a check that raises is recorded as a failure, never as agreement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string

from .models import ReconciliationRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubledgerRow:
    item: str  # what is compared, e.g. "2101 Simpanan Sukarela" or "principal"
    subledger_total: Decimal
    ledger_balance: Decimal

    @property
    def difference(self) -> Decimal:
        return self.subledger_total - self.ledger_balance


def _rows(result) -> list[SubledgerRow]:
    if isinstance(result, dict):
        out = []
        for key, sub in result.items():
            if key.endswith("_subledger"):
                item = key.removesuffix("_subledger")
                out.append(SubledgerRow(item, Decimal(sub), Decimal(result[f"{item}_ledger"])))
        return out
    return list(result)


def subledgers_reconcile() -> ReconciliationRun:
    """Run every sub-ledger check of the current cooperative; store and return the run."""
    results: list[dict] = []
    for name, path in settings.LEDGER_SUBLEDGER_CHECKS.items():
        try:
            rows = _rows(import_string(path)())
        except Exception as exc:  # recorded as a failed check, and logged
            log.exception("Sub-ledger check %s failed", name)
            results.append(
                {"subledger": name, "error": f"{type(exc).__name__}: {exc}"[:300], "ok": False}
            )
            continue
        for r in rows:
            results.append(
                {
                    "subledger": name,
                    "item": r.item,
                    "subledger_total": str(r.subledger_total),
                    "ledger_balance": str(r.ledger_balance),
                    "difference": str(r.difference),
                    "ok": r.difference == 0,
                }
            )
    with transaction.atomic():
        return ReconciliationRun.objects.create(ok=all(r["ok"] for r in results), results=results)


def reconciliation_alert() -> ReconciliationRun | None:
    """The latest run if it found a difference (the dashboard's alert), else None."""
    run = ReconciliationRun.objects.order_by("-checked_at", "-pk").first()
    return run if run is not None and not run.ok else None
