"""Sub-ledgers against their control accounts, every day, in every cooperative.

Each module that keeps a sub-ledger (savings accounts, loans' outstanding principal and
PPAP, …) provides a check, named in ``settings.LEDGER_SUBLEDGER_CHECKS``
(``{name: "dotted.path"}``, the same wiring as ``TENANT_SEEDERS``, so the ledger imports
no module above it). A check returns either a list of ``SubledgerRow`` or a dict of
``<item>_subledger`` / ``<item>_ledger`` pairs (``core.loans.selectors.loans_reconciliation``
already has that shape). ``subledgers_reconcile`` runs them all and stores one
``ReconciliationRun``; a check that raises is recorded as a failure, never as agreement
(its technical error kept on the run and logged; the alert says plainly it could not run).

A row's label the system words ("anggota berselisih", "pokok pinjaman", a month of the
cash flow) is a ``Said`` (``core.common.said``) of one of ``SUBLEDGER_ITEMS``' codes:
the run keeps the text as said (in the background: Indonesian) with ``item_code`` and
``item_params``, and ``results_shown`` says it again in the reader's language, with the
sub-ledger's name (``SUBLEDGER_NAMES``). A new label is one line in ``SUBLEDGER_ITEMS``;
a label that names an account (its code and name) is kept as written. The rows of a
dict-shaped check take the code ``subledger.<item>``. A run kept before codes shows the
text it stored.

A row's figures are rupiah, except the rows that count members or accounts
(``SUBLEDGER_COUNTS``): the run keeps each row's ``kind`` ("amount" or "count") beside its
figures, and ``results_shown`` tells a run kept before kinds by its code (or, kept before
codes, by its stored text), so a count is never shown as rupiah.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.common.dates import format_bulan
from core.common.said import Said, said_kept, said_known, said_register, said_shown

from .models import ReconciliationRun

log = logging.getLogger(__name__)


def _month(p: dict) -> str:
    return format_bulan(date.fromisoformat(f"{p['month']}-01"))


# The labels of the rows the checks word themselves (``Said(code, params)``), by code.
SUBLEDGER_ITEMS: dict[str, Callable[[dict], str]] = {
    "subledger.accounts_differing": lambda p: _("rekening ≠ transaksinya"),
    "subledger.members_differing": lambda p: _("anggota berselisih"),
    "subledger.unnamed_balance": lambda p: _("saldo tanpa nama anggota"),
    "subledger.principal": lambda p: _("pokok pinjaman"),
    "subledger.ppap": lambda p: _("PPAP"),
    "subledger.jasa_receivable": lambda p: _("piutang jasa"),
    "subledger.deferred_jasa": lambda p: _("jasa ditangguhkan"),
    "subledger.cash_flow_month": lambda p: _("arus kas %(m)s") % {"m": _month(p)},
    "subledger.cash_flow_days_month": lambda p: _("arus kas harian %(m)s") % {"m": _month(p)},
}
said_register(SUBLEDGER_ITEMS)

# The rows whose figures are numbers of accounts or members, not rupiah, by code; and
# their labels as kept by runs before codes.
SUBLEDGER_COUNTS = frozenset({"subledger.accounts_differing", "subledger.members_differing"})
_COUNTS_BEFORE_CODES = frozenset({"rekening ≠ transaksinya", "anggota berselisih"})

# The sub-ledgers' names as shown (``settings.LEDGER_SUBLEDGER_CHECKS``' keys); a key not
# here shows as it is.
SUBLEDGER_NAMES: dict[str, Callable[[], str]] = {
    "savings": lambda: _("Simpanan"),
    "loans": lambda: _("Pinjaman"),
    "shu": lambda: _("SHU"),
    "cash_flow": lambda: _("Arus kas"),
    "cash_flow_days": lambda: _("Arus kas harian"),
}


@dataclass(frozen=True)
class SubledgerRow:
    # what is compared: an account ("2101 Simpanan Sukarela", kept as written) or a
    # ``Said`` of ``SUBLEDGER_ITEMS`` ("anggota berselisih": said again when shown)
    item: str
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
                code = f"subledger.{item}"
                label = Said(code) if said_known(code) else item
                out.append(SubledgerRow(label, Decimal(sub), Decimal(result[f"{item}_ledger"])))
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
            kept = said_kept(r.item)
            coded = {"item_code": kept["code"], "item_params": kept["params"]}
            results.append(
                {
                    "subledger": name,
                    "item": kept["message"],
                    **(coded if kept["code"] else {}),
                    "kind": "count" if kept["code"] in SUBLEDGER_COUNTS else "amount",
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


def _kind(r: dict) -> str:
    """A row's ``kind`` as kept, or for a row kept before kinds, from its code or text."""
    if r.get("kind"):
        return r["kind"]
    if r.get("item_code"):
        return "count" if r["item_code"] in SUBLEDGER_COUNTS else "amount"
    return "count" if r.get("item") in _COUNTS_BEFORE_CODES else "amount"


def results_shown(results: list[dict]) -> list[dict]:
    """A run's results as the reader reads them: each item's label in the active
    language (the text stored at the run for a row kept before codes, an account's
    name as written), the sub-ledger's name as ``subledger_label`` and the row's
    ``kind`` ("count": its figures are numbers of accounts or members, not rupiah; a
    failed check has none)."""
    out = []
    for r in results:
        name = SUBLEDGER_NAMES.get(r.get("subledger", ""))
        item = {"code": r.get("item_code"), "params": r.get("item_params") or {}}
        shown = {
            **r,
            "subledger_label": name() if name else r.get("subledger", ""),
        }
        if "item" in r:
            shown["item"] = said_shown({**item, "message": r["item"]})
            shown["kind"] = _kind(r)
        out.append(shown)
    return out
