"""The staff dashboard's data, gathered from the feature apps' selectors in ONE place.

Each panel reads its app's selectors directly. A panel that does not apply (not this
user's role, nothing to report) raises ``NotShown`` and is left out. A panel whose
selector fails is shown as unavailable and the error is logged, so one broken app does
not take the whole dashboard down; nothing is ever filled with made-up numbers.

Add a panel: write ``def _panel_x(ctx) -> dict`` and list it in ``PANELS``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.deductions.selectors import deduction_run_status
from core.exits.selectors import members_left_open
from core.exits.services import SETTLE_ROLES
from core.ledger.reconciliation import reconciliation_alert, results_shown
from core.ledger.selectors import account_balances, cash_accounts
from core.loans.models import Loan
from core.loans.selectors import collectibility_grading, collectibility_summary, loan_list
from core.members.selectors import member_statistics
from core.savings.selectors import savings_by_product

log = logging.getLogger(__name__)
ZERO = Decimal("0")


class NotShown(Exception):
    """The panel does not apply here (another role's, or nothing to report)."""


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
    stats = member_statistics(date_from=ctx.month_start, date_to=ctx.month_end)
    return {"active": stats["active"], "joined": stats["joined"], "left": stats["left"]}


# ------------------------------------------------------------------------ savings


def _panel_savings(ctx: Ctx) -> dict:
    """``core.savings.selectors.savings_by_product()``: per product, the open accounts'
    total balance and count."""
    rows = [
        {"name": r["name"], "total": r["total"] or ZERO, "accounts": r.get("accounts")}
        for r in savings_by_product()
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
# each grade its own colour, whatever grades the scheme has (the four-grade scheme has
# no Dalam Perhatian Khusus): Macet is always Macet's colour
GRADE_CLASSES = {
    "lancar": "ok",
    "dpk": "warn",
    "kurang_lancar": "err",
    "diragukan": "bad",
    "macet": "worst",
}


def npl_band(ratio: Decimal) -> tuple[str, str]:
    for limit, label, cls in NPL_BANDS:
        if limit is None or ratio <= limit:
            return str(label), cls
    raise AssertionError("unreachable")


def _panel_loans(ctx: Ctx) -> dict:
    """``core.loans.selectors.collectibility_summary()``: outstanding principal by
    kolektibilitas grade, NPL ratio (percent); with ``collectibility_grading()``, the
    date of the daily arrears run the grades are from and the loans it did not grade
    (paid out after it) or that were paid after it, as the loans list says."""
    summary = collectibility_summary()
    grading = collectibility_grading()
    labels = _kolek_labels()
    outstanding = summary.get("total") or ZERO
    buckets = []
    for g in summary.get("grades", []):
        amount = g.get("outstanding") or ZERO
        buckets.append(
            {
                "label": labels.get(g.get("grade"), g.get("grade")),
                "amount": amount,
                "count": g.get("count"),
                "cls": GRADE_CLASSES.get(g.get("grade"), ""),
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
        "graded_on": grading["graded_on"],
        "not_graded": grading["not_graded"],
        "not_graded_outstanding": grading["not_graded_outstanding"],
        "paid_since": grading["paid_since"],
    }


def _kolek_labels() -> dict:
    return {k: str(v) for k, v in Loan._meta.get_field("kolektibilitas").choices or []}


# ------------------------------------------------------------------------ cash & bank

ROLE_LABELS = {"cash": _("Kas"), "bank": _("Bank")}


def _panel_cash(ctx: Ctx) -> dict:
    """Every cash and bank account as the cash flow statement counts them
    (``core.ledger.selectors.cash_accounts``: ``is_cash``, not a group), with its
    balance today (``account_balances``), so the total is the cash flow's closing cash.
    An account mapped to the role ``cash`` or ``bank`` is labelled by the role; an
    inactive one is shown only while it still holds money. Two queries."""
    accounts = cash_accounts(role_keys=list(ROLE_LABELS))
    if not accounts:
        raise NotShown("no cash or bank account")
    balances = account_balances(accounts=accounts, as_of=ctx.today)
    rows = [
        {
            "label": str(ROLE_LABELS[a.role]) if a.role else a.name,
            "name": str(a) if a.role else a.code,
            "balance": balances[a.pk],
        }
        for a in accounts
        if a.is_active or balances[a.pk]
    ]
    return {"rows": rows, "total": sum(balances.values(), ZERO)}


# ------------------------------------------------------------------------ deductions


def _panel_deductions(ctx: Ctx) -> dict:
    """``core.deductions.selectors.deduction_run_status(*, year, month)``: this month's
    deduction list(s), each with ``label``, ``status`` (display text), ``expected`` and
    ``realized`` (dicts or objects with those attributes; None when no run exists)."""
    runs = deduction_run_status(year=ctx.today.year, month=ctx.today.month) or []
    return {
        "runs": [
            {
                "label": str(r["label"]),
                "status": str(r["status"]),
                "expected": r["expected"],
                "realized": r["realized"],
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
    """Loans waiting for this user's role, through ``core.loans.selectors.loan_list``;
    for those who settle exits, members marked as left who still hold open accounts or
    loans (``core.exits.selectors.members_left_open``), each linked to its exit screen."""
    role = getattr(ctx.user, "role", "")
    steps = LOAN_TASKS.get(role, [])
    settles = role in SETTLE_ROLES
    if not steps and not settles:
        raise NotShown("no tasks for this role")
    items = []
    for status, step in steps:
        for loan in loan_list(status=status)[:20]:
            url = reverse("loans:detail", args=[loan.pk])
            items.append(
                {
                    "label": f"{loan.number} · {loan.member.full_name}",
                    "amount": loan.principal,
                    "url": url,
                    "step": str(step),
                }
            )
    if settles:
        for x in members_left_open(limit=20):
            items.append(
                {
                    "label": f"{x.member.number} · {x.member.full_name}",
                    "amount": x.savings,
                    "url": reverse("exits:settle", args=[x.member.pk]),
                    "step": str(_("Keluar, rekening masih terbuka")),
                }
            )
    if not steps and not items:
        raise NotShown("nothing waiting")
    return {"items": items}


# ------------------------------------------------------------------------ reconciliation

ALERT_ROLES = ("admin", "bendahara")


def _panel_reconciliation(ctx: Ctx) -> dict:
    """``core.ledger.reconciliation.reconciliation_alert()``: the latest daily sub-ledger
    check if it found a difference — shown to bendahara and admin only."""
    if getattr(ctx.user, "role", "") not in ALERT_ROLES:
        raise NotShown("reconciliation alerts are for bendahara and admin")
    run = reconciliation_alert()
    if run is None:
        raise NotShown("books reconciled")
    # the rows' labels in the reader's language (kept as codes by the background check)
    return {"checked_at": run.checked_at, "differences": results_shown(run.differences[:20])}


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
    """The panels that apply to this user, keyed by panel name."""
    today = today or timezone.localdate()
    start, end = month_bounds(today)
    ctx = Ctx(user=user, today=today, month_start=start, month_end=end)
    out: dict[str, Panel] = {}
    for key, title, fn in PANELS:
        try:
            data = fn(ctx)
        except NotShown as exc:
            log.debug("dashboard panel %s not available: %s", key, exc)
            continue
        except Exception:
            log.exception("dashboard panel %s failed", key)
            out[key] = Panel(key, str(title), error=True)
            continue
        out[key] = Panel(key, str(title), data=data)
    return out
