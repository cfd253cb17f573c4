"""Reads of the payroll-deduction cycle: run summaries, reconciliation (asked vs
realized per agency and member), outstanding shortfalls and a member's history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils.translation import gettext as _

from core.common.dates import format_bulan
from core.common.permissions import STAFF
from core.ledger.payroll_batches import PayrollBatch
from core.loans.models import Loan
from core.members.models import Agency, Member

from .models import DeductionImport, DeductionLine, DeductionRun

ZERO = Decimal("0")


def run_list() -> QuerySet[DeductionRun]:
    """Runs, newest first, with their members, asked, realised and how many lines have
    been posted (``n_posted``: a ready run with none is waiting for the agencies' money,
    not "Siap")."""
    return DeductionRun.objects.annotate(
        n_lines=Count("lines"),
        asked=Sum("lines__total"),
        realized=Sum("lines__realized"),
        n_posted=Count("lines", filter=Q(lines__realized__isnull=False)),
    ).order_by("-year", "-month")


def plan_preview(plans: list) -> tuple[list, dict]:
    """The allocation preview of one agency's file as the treasurer reads it: the short
    rows (realised below what was asked, or missing from the file) first, then the rest
    by member number; and the agency's totals of every column."""
    rows = sorted(
        plans,
        key=lambda p: (not (p.alloc.shortfall > 0 or not p.in_file), p.line.member_number),
    )
    totals = {
        "asked": sum((p.line.total for p in plans), ZERO),
        "realized": sum((p.realized for p in plans), ZERO),
        "shortfall": sum((p.alloc.shortfall for p in plans), ZERO),
        # to sukarela: the excess and what a closed loan or a full purpose account will
        # not take (``redirected``, also shown on its own)
        "excess": sum((p.to_sukarela for p in plans), ZERO),
        "redirected": sum((p.redirected for p in plans), ZERO),
        "redirected_rows": sum(1 for p in plans if p.redirects),
        "short_rows": sum(1 for p in plans if p.alloc.shortfall > 0 or not p.in_file),
    }
    for k in ("jasa", "principal", "wajib", "others"):
        totals[k] = sum((p.paid.get(k, ZERO) for p in plans), ZERO)
    return rows, totals


def plans_payoff_loans(plans: list) -> None:
    """A posted batch's members whose deduction went (partly) to sukarela and who still
    have a running loan: each plan gets ``payoff_loans`` (``(loan id, number)``), which
    the page links to the loan's payoff (a payroll deduction never pays a loan off
    early; the loan page offers paying it off from sukarela). One query."""
    members = {p.line.member_id for p in plans if p.to_sukarela > 0}
    running: dict[int, list[tuple[int, str]]] = {}
    if members:
        for member_id, pk, number in (
            Loan.objects.filter(member_id__in=members, status=Loan.Status.DISBURSED)
            .order_by("pk")
            .values_list("member_id", "pk", "number")
        ):
            running.setdefault(member_id, []).append((pk, number))
    for p in plans:
        p.payoff_loans = running.get(p.line.member_id, []) if p.to_sukarela > 0 else []


def run_stale_batches(run: DeductionRun) -> list[DeductionImport]:
    """Batches of earlier months posted (or reversed) after this run's list was made: its
    list does not ask the shortfall they left (carried to the next list instead). While
    none of this run's agencies is posted it can be made again
    (``deduction_run_regenerate``) to ask it now."""
    if run.status != DeductionRun.Status.READY or run.generated_at is None:
        return []
    return list(
        DeductionImport.objects.filter(
            Q(run__year__lt=run.year) | Q(run__year=run.year, run__month__lt=run.month)
        )
        .filter(Q(posted_at__gt=run.generated_at) | Q(reversed_at__gt=run.generated_at))
        .select_related("run", "agency")
        .order_by("run__year", "run__month", "agency__code")
    )


def run_unposted_earlier(run: DeductionRun) -> list[dict]:
    """Earlier months' agency lists still waiting for their file (nothing posted, not
    recorded as "nothing deducted"): per run and agency, its members and what it asks.
    Those rupiah count as still out (the agency may yet cut and send them), so no later
    list asks them again until that agency's file is posted or it is recorded that the
    agency deducted nothing; the run's page lists them so they are not forgotten."""
    if run.status != DeductionRun.Status.READY:
        return []
    rows = list(
        DeductionLine.objects.filter(run__status=DeductionRun.Status.READY, realized__isnull=True)
        .filter(Q(run__year__lt=run.year) | Q(run__year=run.year, run__month__lt=run.month))
        .values("run_id", "run__year", "run__month", "agency_id")
        .annotate(members=Count("id"), asked=Sum("total"))
        .order_by("run__year", "run__month", "agency_id")
    )
    agencies = Agency.objects.in_bulk({r["agency_id"] for r in rows})
    return [
        {
            "run_id": r["run_id"],
            "label": f"{r['run__month']:02d}/{r['run__year']}",
            "month_shown": format_bulan(date(r["run__year"], r["run__month"], 1)),
            "agency": agencies[r["agency_id"]],
            "members": r["members"],
            "asked": r["asked"] or ZERO,
        }
        for r in rows
    ]


def run_agencies(run: DeductionRun) -> list[dict]:
    """Per agency: members, asked, realized (posted), shortfall, excess, the latest
    import and the posted one."""
    rows = (
        DeductionLine.objects.filter(run=run)
        .values("agency_id")
        .annotate(
            members=Count("id"),
            asked=Sum("total"),
            realized_sum=Sum("realized"),
            paid=Sum(F("paid_jasa") + F("paid_principal") + F("paid_wajib") + F("paid_others")),
            excess=Sum("to_sukarela"),
            # cut short of what was asked (a closed loan's instalment cut in full and
            # credited to sukarela is not short)
            short=Sum(
                Greatest(F("total") - F("realized"), Value(ZERO, output_field=DecimalField())),
                filter=Q(realized__isnull=False),
            ),
            posted=Count("id", filter=Q(realized__isnull=False)),
        )
        .order_by("agency_id")
    )
    agencies = Agency.objects.in_bulk([r["agency_id"] for r in rows])
    imports: dict[int, list] = {}
    for imp in DeductionImport.objects.filter(run=run).order_by("-created_at", "-id"):
        imports.setdefault(imp.agency_id, []).append(imp)
    out = []
    for r in rows:
        r["agency"] = agencies[r["agency_id"]]
        r["realized"] = r.pop("realized_sum") or ZERO
        r["paid"] = r["paid"] or ZERO
        r["excess"] = r["excess"] or ZERO
        r["is_posted"] = r["posted"] > 0
        r["shortfall"] = (r.pop("short") or ZERO) if r["is_posted"] else r["asked"]
        r["imports"] = imports.get(r["agency_id"], [])
        r["posted_import"] = next((i for i in r["imports"] if i.status == "posted"), None)
        out.append(r)
    out.sort(key=lambda r: r["agency"].name)
    return out


def run_ready_imports(run: DeductionRun) -> tuple[list, list]:
    """For "post every ready agency": the one ready ("valid") import of each agency not
    posted yet, and the agencies with more than one ready file (each a list, agency
    code order) that need one discarded first."""
    posted = DeductionImport.objects.filter(run=run, status=DeductionImport.Status.POSTED)
    ready: dict[int, list] = {}
    for imp in (
        DeductionImport.objects.filter(run=run, status=DeductionImport.Status.VALID)
        .exclude(agency_id__in=posted.values("agency_id"))
        .select_related("agency")
        .order_by("agency__code", "pk")
    ):
        ready.setdefault(imp.agency_id, []).append(imp)
    return (
        [imps[0] for imps in ready.values() if len(imps) == 1],
        [imps for imps in ready.values() if len(imps) > 1],
    )


def run_totals(run: DeductionRun) -> dict:
    rows = run_agencies(run)
    return {
        k: sum((r[k] for r in rows), ZERO)
        for k in ("asked", "realized", "paid", "excess", "shortfall")
    } | {"members": sum(r["members"] for r in rows), "agencies": len(rows)}


def run_member_lines(
    run: DeductionRun, *, agency: Agency | None = None, q: str = "", shortfall_only: bool = False
):
    qs = DeductionLine.objects.filter(run=run).select_related("agency")
    if agency is not None:
        qs = qs.filter(agency=agency)
    if q:
        qs = qs.filter(
            Q(nip__icontains=q) | Q(member_number__icontains=q) | Q(full_name__icontains=q)
        )
    if shortfall_only:
        qs = qs.filter(realized__isnull=False, realized__lt=F("total"))
    return qs.order_by("agency__name", "member_number")


# Who reads a batch's page (``views.import_detail``): a payment it made links to it.
BATCH_PAGE_ROLES = STAFF


def payroll_batches_by_entry(*, entry_ids: Iterable[int | None]) -> dict[int, PayrollBatch]:
    """The payroll batches posted (or reversed) by these journal entries, by entry id,
    in one query, each with its page: the reader ``core.ledger.payroll_batches`` asks
    (registered in ``apps.py``; savings and loans, below this app, read it there).
    Entries of no batch are not in the result."""
    ids = {i for i in entry_ids if i is not None}
    if not ids:
        return {}
    out: dict[int, PayrollBatch] = {}
    imports = DeductionImport.objects.filter(
        Q(entry_id__in=ids) | Q(reversal_entry_id__in=ids)
    ).select_related("run", "agency", "entry")
    for imp in imports:
        batch = PayrollBatch(
            period=date(imp.run.year, imp.run.month, 1),
            agency=imp.agency.name,
            reference=str(imp.entry),
            url=reverse("deductions:import", args=[imp.pk]),
            read_roles=BATCH_PAGE_ROLES,
        )
        if imp.entry_id in ids:
            out[imp.entry_id] = batch
        if imp.reversal_entry_id in ids:
            out[imp.reversal_entry_id] = replace(batch, reversal=True)
    return out


def line_not_asked_after_exit(line: DeductionLine, *, member: Member) -> bool:
    """True for a line nobody will cut or post: not posted, of a member who has left,
    from a list whose salary is paid (``run.payday``) after the exit date. The agency
    cuts nothing from a leaver, a posting refuses the row, and the next lists leave the
    member out: shown "tidak ditagih — keluar", never "belum" or a shortfall."""
    return (
        line.realized is None
        and member.status != Member.Status.ACTIVE
        and member.exit_date is not None
        and line.run.payday > member.exit_date
    )


def member_history(member_id: int) -> QuerySet[DeductionLine]:
    """Every run's line for a member, newest first."""
    return (
        DeductionLine.objects.filter(member_id=member_id)
        .select_related("run", "agency")
        .order_by("-run__year", "-run__month")
    )


def deduction_run_status(*, year: int, month: int) -> list[dict] | None:
    """This month's run for the dashboard: label (its month in words), status text, asked
    and realized totals (realized counts posted agency batches only; None before anything
    is posted)."""
    run = DeductionRun.objects.filter(year=year, month=month).first()
    if run is None:
        return None
    if run.status != DeductionRun.Status.READY:
        text = run.get_status_display()
        if run.status == DeductionRun.Status.GENERATING and run.progress_total:
            text = f"{text} ({run.progress_done}/{run.progress_total})"
        return [{"label": run.month_shown, "status": text, "expected": None, "realized": None}]
    agencies = run_agencies(run)
    posted = sum(1 for a in agencies if a["is_posted"])
    asked = sum((a["asked"] for a in agencies), ZERO)
    realized = sum((a["realized"] for a in agencies if a["is_posted"]), ZERO)
    text = _("%(posted)s dari %(total)s instansi diposting") % {
        "posted": posted,
        "total": len(agencies),
    }
    return [
        {
            "label": run.month_shown,
            "status": text,
            "expected": asked,
            "realized": realized if posted else None,
        }
    ]


def _dec(value) -> Decimal:
    return Decimal(str(value or "0"))


# why a posted line sent a part to sukarela that leaves nothing of it owed (the loan
# paid off, the purpose account closed or full, the wajib arrears paid by another batch;
# ``services.posting.WHY_*``): that part carries no arrears
_WHY_NOTHING_OWED = ("closed", "full", "paid")


def _line_parts(line: DeductionLine) -> dict:
    """One member's month part by part, as the line recorded it: what the list asked
    of wajib (its arrears included), each loan (penalty, jasa, principal) and each
    purpose account; once posted, what each got (``paid``), what went to sukarela instead
    and what is left unpaid, carried as arrears to the next lists (``carried``: asked
    less got, nothing for a part sent to sukarela because nothing of it is owed)."""
    detail = line.paid_detail or {}
    # a line posted before its batch recorded where each part went (``paid_detail``)
    # says only the totals: its parts' figures stay unknown (None), never guessed
    posted = line.realized is not None and bool(detail)
    paid_loans = {int(x["loan_id"]): x for x in detail.get("loans", [])}
    paid_purposes = {int(x["account_id"]): x for x in detail.get("purposes", [])}
    wajib_back = _dec((detail.get("wajib") or {}).get("to_sukarela"))
    parts = {
        "wajib": {
            "asked": line.wajib,
            "arrears": line.wajib_arrears,
            "paid": line.paid_wajib if line.realized is not None else None,
            "carried": max(line.wajib - line.paid_wajib - wajib_back, ZERO) if posted else None,
        },
        "loans": [],
        "purposes": [],
    }
    for x in line.loans:
        # the list keeps a loan's penalty inside its "jasa" (as the line's ``jasa``
        # column: jasa incl. penalty), "penalty" naming that part: counted once
        penalty, jasa = _dec(x.get("penalty")), _dec(x.get("jasa"))
        asked = jasa + _dec(x.get("principal"))
        got = paid_loans.get(int(x["loan_id"])) or {}
        row = {
            "number": x.get("number", ""),
            "asked": asked,
            "asked_penalty": penalty,
            "asked_jasa": jasa - penalty,
            "asked_principal": _dec(x.get("principal")),
            "penalty": _dec(got.get("penalty")) if posted else None,
            "jasa": _dec(got.get("jasa")) if posted else None,
            "principal": _dec(got.get("principal")) if posted else None,
            "paid": None,
            "carried": None,
        }
        if posted:
            row["paid"] = row["penalty"] + row["jasa"] + row["principal"]
            row["carried"] = (
                ZERO
                if got.get("why") in _WHY_NOTHING_OWED
                else max(asked - row["paid"] - _dec(got.get("to_sukarela")), ZERO)
            )
        parts["loans"].append(row)
    for x in line.purposes:
        asked = _dec(x.get("amount"))
        got = paid_purposes.get(int(x["account_id"])) or {}
        paid = _dec(got.get("paid")) if posted else None
        carried = None
        if posted:
            carried = (
                ZERO
                if got.get("why") in _WHY_NOTHING_OWED
                else max(asked - paid - _dec(got.get("to_sukarela")), ZERO)
            )
        parts["purposes"].append(
            {"number": x.get("number", ""), "asked": asked, "paid": paid, "carried": carried}
        )
    return parts


def _reversal_date(imp: DeductionImport) -> date | None:
    """The day a batch's reversal is dated: its reversing entry's (the batch's own
    date); a "nothing deducted" batch, which has none, the day it was posted for."""
    if imp.reversal_entry_id:
        return imp.reversal_entry.date
    on = (imp.posted_data or {}).get("on")
    return date.fromisoformat(on) if on else None


def member_deduction_history(*, member) -> list[dict]:
    """A member's deductions per month, newest first, from the lists and their posted
    batches: the agency, asked, cut, shortfall; part by part what was asked, what each
    got, what went to sukarela and the arrears carried (``_line_parts``; ``carried`` the
    total, None until posted); a batch reversed and not posted again: ``reversed``
    (``on``, ``reason``)."""
    lines = list(member_history(member.pk))
    reversals: dict[tuple[int, int], DeductionImport] = {}
    for imp in (
        DeductionImport.objects.filter(
            status=DeductionImport.Status.REVERSED,
            run_id__in={ln.run_id for ln in lines if ln.realized is None},
        )
        .select_related("reversal_entry")
        .order_by("reversed_at", "pk")
    ):
        reversals[(imp.run_id, imp.agency_id)] = imp  # the latest per run and agency
    rows = []
    for line in lines:
        parts = _line_parts(line)
        posted = line.realized is not None
        carried = None
        if posted and not line.paid_detail:
            carried = line.shortfall
        elif posted:
            carried = (parts["wajib"]["carried"] or ZERO) + sum(
                (x["carried"] for x in parts["loans"] + parts["purposes"]), ZERO
            )
        rev = None if posted else reversals.get((line.run_id, line.agency_id))
        rows.append(
            {
                "period": date(line.run.year, line.run.month, 1),
                "agency": line.agency.name,
                "expected": line.total,
                "realized": line.realized,
                "shortfall": line.shortfall if posted else None,
                "parts": parts,
                "to_sukarela": line.to_sukarela if posted else None,
                "carried": carried,
                "reversed": {"on": _reversal_date(rev), "reason": rev.reversal_reason}
                if rev
                else None,
            }
        )
    return rows


def member_last_deduction(*, member) -> dict | None:
    """The member's latest payroll deduction for the portal's home: the newest posted
    month (asked, cut, short), else the newest month still waiting; None when none."""
    lines = list(member_history(member.pk)[:12])
    if not lines:
        return None
    line = next((x for x in lines if x.realized is not None), lines[0])
    return {
        "period": date(line.run.year, line.run.month, 1),
        "expected": line.total,
        "realized": line.realized,
        "shortfall": line.shortfall if line.realized is not None else None,
    }
