"""The staff dashboard's data, gathered from the feature apps in ONE place.

Each panel asks its app's selectors (``core.<app>.selectors``) for the figures. The apps
are built independently, so every import is defensive: a panel whose selector does not
exist (yet) is left out — never filled with made-up numbers. A panel whose selector
exists but fails at run time is shown as unavailable and the error is logged, so one
broken app does not take the whole dashboard down.

Add a panel: write ``def _panel_x(ctx) -> dict | None`` that raises ``Missing`` when the
selector it needs is absent, and list it in ``PANELS``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)
ZERO = Decimal("0")


class Missing(Exception):
    """The selector a panel needs is not provided (the app is not there yet)."""


def selector(module: str, *names: str) -> Callable:
    """The first of ``names`` found in ``module``; ``Missing`` if none is."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        raise Missing(f"{module}: {exc}") from exc
    for name in names:
        fn = getattr(mod, name, None)
        if callable(fn):
            return fn
    raise Missing(f"{module} has none of {names}")


def model(app_label: str, name: str):
    from django.apps import apps

    try:
        return apps.get_model(app_label, name)
    except LookupError as exc:
        raise Missing(str(exc)) from exc


def _get(obj: Any, *names: str, default=None):
    """A field of a selector's result, whether it returns a dict or an object."""
    for n in names:
        if isinstance(obj, dict) and n in obj:
            return obj[n]
        if not isinstance(obj, dict) and hasattr(obj, n):
            return getattr(obj, n)
    return default


@dataclass
class Ctx:
    user: Any
    today: dt.date
    month_start: dt.date
    month_end: dt.date  # inclusive


@dataclass
class Panel:
    key: str
    title: str
    data: dict = field(default_factory=dict)
    error: bool = False


# ------------------------------------------------------------------------ members


def _panel_members(ctx: Ctx) -> dict:
    """``core.members.selectors.member_statistics(date_from, date_to)``: active members
    now, joined and left this month."""
    stats = selector("core.members.selectors", "member_statistics")(
        date_from=ctx.month_start, date_to=ctx.month_end
    )
    return {"active": stats["active"], "joined": stats["joined"], "left": stats["left"]}


# ------------------------------------------------------------------------ savings


def _panel_savings(ctx: Ctx) -> dict:
    """``core.savings.selectors.savings_by_product()``: per product, the open accounts'
    total balance and count."""
    rows = [
        {"name": r["name"], "total": r["total"] or ZERO, "accounts": r.get("accounts")}
        for r in selector("core.savings.selectors", "savings_by_product")()
    ]
    grand = sum((r["total"] for r in rows), ZERO)
    top = max((r["total"] for r in rows), default=ZERO)
    for r in rows:
        r["pct"] = int(r["total"] * 100 / top) if top else 0
    return {"rows": rows, "total": grand}


# ------------------------------------------------------------------------ loans

NPL_BANDS = [
    (Decimal("5"), _("Sehat"), "ok"),
    (Decimal("10"), _("Cukup sehat"), "warn"),
    (Decimal("15"), _("Kurang sehat"), "err"),
    (None, _("Tidak sehat"), "err"),
]
COLLECT_CLASSES = ["ok", "warn", "err", "bad"]


def npl_band(ratio: Decimal) -> tuple[str, str]:
    for limit, label, cls in NPL_BANDS:
        if limit is None or ratio <= limit:
            return str(label), cls
    raise AssertionError("unreachable")


def _panel_loans(ctx: Ctx) -> dict:
    """``core.loans.selectors.collectibility_summary()``: outstanding principal by
    kolektibilitas grade, NPL ratio (percent)."""
    summary = selector("core.loans.selectors", "collectibility_summary")()
    labels = _kolek_labels()
    outstanding = summary.get("total") or ZERO
    buckets = []
    for i, g in enumerate(summary.get("grades", [])):
        amount = g.get("outstanding") or ZERO
        buckets.append(
            {
                "label": labels.get(g.get("grade"), g.get("grade")),
                "amount": amount,
                "count": g.get("count"),
                "cls": COLLECT_CLASSES[min(i, len(COLLECT_CLASSES) - 1)],
                "pct": int(amount * 100 / outstanding) if outstanding else 0,
            }
        )
    npl = Decimal(summary.get("npl_ratio") or ZERO).quantize(Decimal("0.01"))
    label, cls = npl_band(npl)
    return {
        "outstanding": outstanding,
        "count": sum((b["count"] or 0) for b in buckets),
        "buckets": buckets,
        "npl": npl,
        "npl_label": label,
        "npl_class": cls,
    }


def _kolek_labels() -> dict:
    try:
        field = model("loans", "Loan")._meta.get_field("kolektibilitas")
    except Exception:
        return {}
    return {k: str(v) for k, v in field.choices or []}


# ------------------------------------------------------------------------ cash & bank


def _panel_cash(ctx: Ctx) -> dict:
    """``core.ledger.selectors.account_balance`` of the accounts mapped to the roles
    ``cash`` and ``bank`` (``account_for_role``) today."""
    from core.common.errors import ApplicationError

    balance = selector("core.ledger.selectors", "account_balance")
    for_role = selector("core.ledger.selectors", "account_for_role")
    rows = []
    for role, label in (("cash", _("Kas")), ("bank", _("Bank"))):
        try:
            account = for_role(role)
        except ApplicationError:  # an unmapped role: that line is simply not shown
            log.info("dashboard: no ledger account mapped to role %s", role)
            continue
        if account is None:
            continue
        rows.append(
            {
                "label": str(label),
                "name": str(account),
                "balance": _call_balance(balance, account, ctx),
            }
        )
    if not rows:
        raise Missing("no cash or bank account mapped")
    return {"rows": rows, "total": sum((r["balance"] for r in rows), ZERO)}


def _call_balance(balance: Callable, account, ctx: Ctx) -> Decimal:
    return balance(account=account, as_of=ctx.today)


# ------------------------------------------------------------------------ deductions


def _panel_deductions(ctx: Ctx) -> dict:
    """``core.deductions.selectors.deduction_run_status(*, year, month)``: this month's
    deduction list(s), each with ``label``, ``status`` (display text), ``expected`` and
    ``realized`` (dicts or objects with those attributes; None when no run exists)."""
    fn = selector("core.deductions.selectors", "deduction_run_status")
    status = fn(year=ctx.today.year, month=ctx.today.month)
    if status is None:
        return {"runs": []}
    runs = status if isinstance(status, list | tuple) else [status]
    return {
        "runs": [
            {
                "label": str(_get(r, "label", default="")),
                "status": str(_get(r, "status", default="")),
                "expected": _get(r, "expected", default=None),
                "realized": _get(r, "realized", default=None),
            }
            for r in runs
        ]
    }


# ------------------------------------------------------------------------ tasks


# Loan workflow: applied → verified by the treasurer → approved by the chair → disbursed
# by the treasurer. Which status waits for which role, and what they do next.
LOAN_TASKS = {
    "bendahara": [("applied", _("Verifikasi")), ("approved", _("Cairkan"))],
    "ketua": [("verified", _("Setujui"))],
}


def _panel_tasks(ctx: Ctx) -> dict:
    """Loans waiting for this user's role, through ``core.loans.selectors.loan_list``."""
    loan_list = selector("core.loans.selectors", "loan_list")
    from django.urls import NoReverseMatch, reverse

    steps = LOAN_TASKS.get(getattr(ctx.user, "role", ""), [])
    if not steps:
        raise Missing("no loan tasks for this role")
    items = []
    for status, step in steps:
        for loan in loan_list(status=status)[:20]:
            try:
                url = reverse("loans:detail", args=[loan.pk])
            except NoReverseMatch:
                url = ""
            items.append(
                {
                    "label": f"{loan.number} · {loan.member.full_name}",
                    "amount": loan.principal,
                    "url": url,
                    "step": str(step),
                }
            )
    return {"items": items}


# ------------------------------------------------------------------------ reconciliation

ALERT_ROLES = ("admin", "bendahara")


def _panel_reconciliation(ctx: Ctx) -> dict:
    """``core.ledger.reconciliation.reconciliation_alert()``: the latest daily sub-ledger
    check if it found a difference — shown to bendahara and admin only."""
    if getattr(ctx.user, "role", "") not in ALERT_ROLES:
        raise Missing("reconciliation alerts are for bendahara and admin")
    run = selector("core.ledger.reconciliation", "reconciliation_alert")()
    if run is None:
        raise Missing("books reconciled")
    return {"checked_at": run.checked_at, "differences": run.differences[:20]}


PANELS: list[tuple[str, Any, Callable[[Ctx], dict]]] = [
    ("reconciliation", _("Buku pembantu tidak cocok dengan buku besar"), _panel_reconciliation),
    ("members", _("Anggota"), _panel_members),
    ("savings", _("Simpanan per produk"), _panel_savings),
    ("loans", _("Pinjaman beredar"), _panel_loans),
    ("cash", _("Kas dan bank"), _panel_cash),
    ("deductions", _("Potong gaji bulan ini"), _panel_deductions),
    ("tasks", _("Tugas menunggu Anda"), _panel_tasks),
]


def month_bounds(today: dt.date) -> tuple[dt.date, dt.date]:
    start = today.replace(day=1)
    nxt = (start + dt.timedelta(days=32)).replace(day=1)
    return start, nxt - dt.timedelta(days=1)


def dashboard_panels(*, user, today: dt.date | None = None) -> dict[str, Panel]:
    """The panels whose apps provide their data, keyed by panel name."""
    today = today or timezone.localdate()
    start, end = month_bounds(today)
    ctx = Ctx(user=user, today=today, month_start=start, month_end=end)
    out: dict[str, Panel] = {}
    for key, title, fn in PANELS:
        try:
            data = fn(ctx)
        except Missing as exc:
            log.debug("dashboard panel %s not available: %s", key, exc)
            continue
        except Exception:
            log.exception("dashboard panel %s failed", key)
            out[key] = Panel(key, str(title), error=True)
            continue
        out[key] = Panel(key, str(title), data=data)
    return out
