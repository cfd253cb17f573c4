"""Rows of an agency's file whose money pays a loan on a date the loan takes no payment
(before its disbursement or its last reschedule; a loan brought in at the move-in, on or
before the cut-over: ``core.loans``' ``loan_event_floor``, the rule the loans batch
applies when the batch is posted). They are row errors like any bad row — shown in the
preview, excludable — of a kind of their own (``kind: "loan_date"``, ``on_or_after``: the
earliest date the row's loans take), since they depend on the date the batch is posted
on: checked at upload against the date the page proposes (``posting_date_default``) and
again at posting against the date given, which replaces them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.loans.batch import loan_repayments_split_bulk
from core.loans.schedules import Allocation as LoanSplit
from core.loans.services import loans_payment_date_refusals
from core.members.models import Agency

from .. import allocation as A
from ..import_messages import Said, date_label, message_shown, row_message
from ..models import DeductionImport, DeductionLine, DeductionRun
from .common import ZERO, E, deduction_settings_get

LOAN_DATE = "loan_date"  # a row error's ``kind``: too early for a loan the row pays


def is_loan_date_error(error: dict) -> bool:
    return error.get("kind") == LOAN_DATE


def loans_paid(line, alloc: A.Allocation, *, closed: set[int] = frozenset()) -> list[int]:
    """The loans of ``line`` that ``alloc`` gives money (not ``closed``: their share goes
    to sukarela)."""
    return [
        int(x["loan_id"])
        for x, (j, pr) in zip(line.loans, alloc.loans, strict=True)
        if j + pr > 0 and int(x["loan_id"]) not in closed
    ]


def closed_loans(plan) -> set[int]:
    """The loans of a plan (``MemberPlan``) closed since the list (their share goes to
    sukarela)."""
    return {r.ref_id for r in plan.redirects if r.kind == "loan"}


def loan_payments(plans: list) -> list[tuple[int, Decimal]]:
    """Each running loan's instalment a batch pays (``plans``: its ``MemberPlan``s), in
    loan pk order (the lock order); a loan closed since the list was made (a redirect of
    its plan) gets nothing."""
    loan_pay: dict[int, Decimal] = {}
    for p in plans:
        paid = set(loans_paid(p.line, p.alloc, closed=closed_loans(p)))
        for x, (j, pr) in zip(p.line.loans, p.alloc.loans, strict=True):
            if int(x["loan_id"]) in paid:
                loan_pay[int(x["loan_id"])] = loan_pay.get(int(x["loan_id"]), ZERO) + j + pr
    return sorted(loan_pay.items())


def loans_split(plans: list, *, on: date) -> dict[int, LoanSplit]:
    """Before posting: how each loan's share of the batch (``loan_payments``) will be
    paid on ``on`` — penalty, jasa, principal, and what it pays beyond what the loan
    still asks then (prepaid at the counter since the list was made), which the posting
    credits to the member's sukarela — by the loans batch's own rule, read only
    (``loan_repayments_split_bulk``; three queries, none without a loan)."""
    items = loan_payments(plans)
    return loan_repayments_split_bulk(items=items, on=on) if items else {}


def loan_date_row_errors(
    *, paying: list[tuple[int, list[int]]], on: date, loans: dict | None = None
) -> list[dict]:
    """Row errors for the rows whose loans take no payment dated ``on``. ``paying``:
    (row number, the loans its money pays). The loans' dates are read in one query for
    the whole file (``loans_payment_date_refusals``), none per row; none at all when
    ``loans`` holds them as the posting's lock read them (``loans_batch_lock``)."""
    refusals = loans_payment_date_refusals(
        loan_ids={i for _row, ids in paying for i in ids}, on=on, label=date_label(), loans=loans
    )
    return _row_errors(paying, refusals, on=on)


def _row_errors(paying: list[tuple[int, list[int]]], refusals: dict, *, on: date) -> list[dict]:
    """The row error of each row of ``paying`` that pays a loan of ``refusals`` (too
    early for ``on``): kept with each loan's number, floor and what sets it, to say it
    again in the reader's language."""
    if not refusals:
        return []
    out = []
    for row, ids in paying:
        found = [refusals[i] for i in ids if i in refusals]
        if not found:
            continue
        floor = max(r.floor for r in found)
        said = Said(
            "loan_date",
            {
                "on": on.isoformat(),
                "floor": floor.isoformat(),
                "loans": [
                    {"number": r.number, "why": str(r.why), "floor": r.floor.isoformat()}
                    for r in found
                ],
            },
        )
        out.append(
            row_message(
                row,
                date_label(),
                said,
                column_code="date",
                kind=LOAN_DATE,
                on_or_after=floor.isoformat(),
                loans=[r.number for r in found],
            )
        )
    return out


def rows_loan_date_errors(
    *, run: DeductionRun, agency: Agency, rows: list[dict], on: date
) -> list[dict]:
    """At upload: the row errors of ``rows`` (checked rows of ``agency``'s lines of
    ``run``: ``row``, ``line_id``, ``amount``) whose money, allocated as the posting will,
    pays a loan that takes no payment dated ``on``. The agency's lines read in one query
    (as tuples, by run and agency: not the file's thousands of line ids as parameters),
    the dates of all their loans in one more; only a line with a loan refused on ``on``
    is allocated (a file of 20,000 rows whose loans all take the date allocates none)."""
    amounts = {r["line_id"]: (r["row"], Decimal(r["amount"])) for r in rows}
    amounts = {k: v for k, v in amounts.items() if v[1] > 0}
    if not amounts:
        return []
    lines = [
        ln
        for ln in DeductionLine.objects.filter(run=run, agency=agency)
        .exclude(loans=[])
        .values_list("id", "wajib", "loans", "purposes", named=True)
        if ln.id in amounts
    ]
    refusals = loans_payment_date_refusals(
        loan_ids={int(x["loan_id"]) for ln in lines for x in ln.loans},
        on=on,
        label=date_label(),
    )
    if not refusals:
        return []
    prio = deduction_settings_get().priority_list
    paying = []
    for ln in lines:
        if not any(int(x["loan_id"]) in refusals for x in ln.loans):
            continue  # pays no refused loan, whatever its allocation
        row, amount = amounts[ln.id]
        ids = loans_paid(ln, A.allocate_line(ln, amount, prio))
        if ids:
            paying.append((row, ids))
    return _row_errors(sorted(paying), refusals, on=on)


def date_errors_only(imp: DeductionImport) -> bool:
    """An import refused only by rows too early for the date last checked: it may be
    posted on a date its loans take (which clears them), or once they are excluded."""
    excluded = set(imp.excluded_rows)
    blocking = [e for e in imp.errors if e["row"] not in excluded]
    return (
        imp.status == DeductionImport.Status.INVALID
        and not imp.file_errors
        and bool(blocking)
        and all(is_loan_date_error(e) for e in blocking)
    )


def loan_date_earliest(imp: DeductionImport) -> date | None:
    """The earliest date on which the import's flagged rows (not excluded) may be posted."""
    excluded = set(imp.excluded_rows)
    dates = [
        date.fromisoformat(e["on_or_after"])
        for e in imp.errors
        if is_loan_date_error(e) and e["row"] not in excluded
    ]
    return max(dates) if dates else None


def errors_with_loan_dates(imp: DeductionImport, found: list[dict]) -> list[dict]:
    """The import's errors with its date errors of rows not excluded replaced by
    ``found`` (the check for another date), in row order."""
    excluded = set(imp.excluded_rows)
    kept = [e for e in imp.errors if not (is_loan_date_error(e) and e["row"] not in excluded)]
    return sorted([*kept, *found], key=lambda e: e["row"])


def loan_date_refusal(found: list[dict], *, on: date, marked: bool = True) -> ApplicationError:
    """The posting's refusal when rows are too early for ``on``: each row and why
    (``marked``: the posting marked them as errors; a check before it does not)."""
    rows = [_("Baris %(r)s: %(m)s") % {"r": e["row"], "m": message_shown(e)} for e in found]
    kept = [{k: e.get(k) for k in ("row", "code", "params", "message")} for e in found]
    return ApplicationError(
        E.LOAN_DATE,
        Said("post_loan_date", {"on": on.isoformat(), "marked": marked, "rows": kept}),
        fields={
            "on": [
                _("Paling awal %(f)s untuk baris yang ditandai.")
                % {"f": format_tanggal(max(date.fromisoformat(e["on_or_after"]) for e in found))}
            ],
            "rows": rows,
        },
    )
