"""Set-based loan repayments for batches (the monthly payroll deduction).

``loan_repayments_prepare_bulk`` does for many loans what ``loan_repayment_prepare`` does
for one, with the SAME rules (``services._repayment_plan``: penalty -> jasa -> principal
over the rows due, arrears first, then the next instalment; the excess to principal or to
sukarela) but a fixed number of queries: all loans locked in one ``SELECT ... FOR UPDATE``
ordered by pk, the open rows the rules use (the rows due and the next one; all of them
when an excess may go to principal) read as models in one more (the loan locks guard
them), the touched rows and the loans written with bulk statements, the
ledger accounts resolved once. The audit is one row for the batch ("loan.repay_batch")
that holds, for each repayment, what the single service's "loan.repay" row holds.
The rare paths that need more (an excess re-amortising the schedule, an excess credited
to sukarela) call the single-loan helpers for that loan only.

Returns one ``RepaymentDraft`` per item, in the order of the items, exactly as
``loan_repayment_prepare`` would have returned them called one by one in that order, so
``loan_repayments_attach_entry`` links them to the journal entry the caller posts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.bulk import array_text, bulk_insert_values, bulk_update_values
from core.common.errors import ApplicationError
from core.loans.audit import LoanAudit

from . import schedules as S
from .arrears import loans_days_past_due_set
from .models import Instalment, Loan, LoanProduct, Repayment
from .services.common import (
    ZERO,
    LoanErrors,
    check_loan_date,
    loan_event_date_refusal,
    loan_floor_annotations,
)
from .services.repayment import (
    _PAID_ON_LABEL,
    ROW_PAID_FIELDS,
    RepaymentDraft,
    _check_repay_call,
    _check_repayable,
    _reamortise_kept,
    _repay_audit_data,
    _repayment_lines,
    _repayment_new,
    _repayment_plan,
    _schedule_snapshot,
    _spread_to_rows,
)

# what the rules and the writes of a batch read of a loan (the other 30 columns stay in
# the database; a rare path that needs one, e.g. re-amortising, loads it when asked)
BATCH_LOAN_FIELDS = [
    "id",
    "number",
    "member",
    "product",
    "status",
    "disbursed_on",
    "principal_outstanding",
    "deferred_jasa",
    "deferred_penalty",
    "jasa_receivable",
    "schedule_version",
    "updated_at",
    "closed_on",
    "closed_by",
    "days_past_due",
]

# loans per chunk of a batch: their open rows read, the rules run and the rows written
# this many loans at a time, so that an agency of 20,000 members (30,000 loans) does not
# hold every loan's rows as models at once (the loans stay locked from the start; the
# rows, repayments and loans written are the same whatever the chunk)
BATCH_CHUNK = 2000

LOAN_FIELDS = [
    "principal_outstanding",
    "deferred_jasa",
    "deferred_penalty",
    "jasa_receivable",
    "schedule_version",
    "updated_at",
    "status",
    "closed_on",
    "closed_by",
    "days_past_due",
]


def _open_rows_read(loan_ids: list[int], on: date) -> list[tuple[int, Instalment | int]]:
    """For each loan, its open current rows due by ``on`` and the first two after it (by
    due date; a schedule's due dates rise with its numbers), as ``(rank, row)``: rank 0 for
    a row due, 1 for the next one, 2 for the one after (only telling that open rows
    remain: its loan's id instead of the row). An index walk per loan
    (``loans_inst_current_idx``) that stops there, not the whole schedule, reading the
    rows' columns as it goes (one statement, no second look-up by primary key). Not locked: the caller holds the loans' locks (see
    ``_batch_rows_read``)."""
    meta = Instalment._meta
    qn = connection.ops.quote_name
    table = qn(meta.db_table)
    fields = meta.concrete_fields
    cols = ", ".join(f"i.{qn(f.column)}" for f in fields)
    open_row = "i.loan_id = l.id AND i.is_current AND NOT i.settled"
    sql = (
        f"SELECT r.* FROM unnest(%s::bigint[]) AS l(id) CROSS JOIN LATERAL ("
        f"(SELECT 0 AS rank, {cols} FROM {table} i WHERE {open_row} AND i.due_date <= %s)"
        f" UNION ALL (SELECT row_number() OVER (ORDER BY i.due_date, i.number), {cols}"
        f" FROM {table} i WHERE {open_row} AND i.due_date > %s"
        f" ORDER BY i.due_date, i.number LIMIT 2)) AS r"
    )
    names = [f.attname for f in fields]
    loan_at = names.index("loan_id")
    db = connection.alias
    with connection.cursor() as cur:
        cur.execute(sql, [array_text(loan_ids), on, on])
        # a rank-2 row only tells that its loan has open rows left: no model for it
        return [
            (rank, Instalment.from_db(db, names, values) if rank <= 1 else values[loan_at])
            for rank, *values in cur.fetchall()
        ]


def loan_repayments_prepare_bulk(
    *,
    items: Sequence[tuple[int, Any]],
    on: date,
    channel: str,
    by,
    excess_to: str = "",
    entry_id: int | None = None,
    locked: dict[int, Loan] | None = None,
    chunk: int | None = None,
) -> list[RepaymentDraft]:
    """Repay many loans at once: ``items`` are ``(loan_id, amount)``, one per loan. Same
    checks, allocation, rows, repayments, ledger lines, loan closing and audit rows as
    calling ``loan_repayment_prepare`` for each item in turn; any refusal raises the same
    ``ApplicationError`` (the caller's transaction then writes nothing). Call it inside the
    caller's transaction and post the returned drafts' lines. ``entry_id``: the journal
    entry (``journal_entry_id_reserve``) the caller will post them in; the repayments are
    written linked to it (only sukarela credits of an excess still need linking, with
    ``loan_repayments_attach_entry``). Without it, link them all that way after posting.
    ``locked``: the loans as ``loans_batch_lock`` returned them in the caller's
    transaction (the caller read their dates before, e.g. to refuse rows by date); they
    are not locked nor read again. ``chunk``: the loans whose rows are read, allocated and
    written at a time (default ``BATCH_CHUNK``); the results do not depend on it."""
    _check_repay_call("loan_repayments_prepare_bulk", by=by, channel=channel, excess_to=excess_to)
    if not items:
        return []
    # the sane range once for the batch (the cooperative's books, not in the future);
    # each loan's own floor below (disbursement, cut-over, last reschedule)
    check_loan_date(on, field="on", label=_PAID_ON_LABEL)
    ids = [int(loan_id) for loan_id, _amount in items]
    if len(set(ids)) != len(ids):
        raise ApplicationError(
            LoanErrors.INVALID, _("Satu pinjaman muncul dua kali dalam satu batch pembayaran.")
        )
    loans = _batch_loans_lock(ids) if locked is None else _locked_check(locked, ids)
    size = chunk or BATCH_CHUNK
    accounts: dict = {}
    drafts: list[RepaymentDraft] = []
    audits: list[dict] = []  # the batch's audit row, a chunk at a time
    now = timezone.now()
    # a batch of more loans than a chunk: a savepoint, so that a refusal in a later chunk
    # leaves nothing of the earlier ones written (as one chunk writes nothing)
    with transaction.atomic() if len(items) > size else nullcontext():
        for start in range(0, len(items), size):
            part = items[start : start + size]
            # 2. the open rows of this chunk's loans (read, then written, chunk by chunk)
            rows_of, more_open = _batch_rows_read(
                ids[start : start + size], on=on, excess_to=excess_to
            )
            # 3. the rules, loan by loan in the items' order (pure, in memory)
            touched: list[Instalment] = []
            part_drafts: list[RepaymentDraft] = []
            part_audits: list[dict] = []
            for loan_id, amount in part:
                loan = loans[int(loan_id)]
                rows, draft, audit_data = _loan_repay_in_memory(
                    loan,
                    amount,
                    rows=rows_of.get(loan.pk, []),
                    rows_unread=loan.pk in more_open,
                    on=on,
                    channel=channel,
                    excess_to=excess_to,
                    by=by,
                    entry_id=entry_id,
                    accounts=accounts,
                )
                loan.updated_at = now
                touched += rows
                part_drafts.append(draft)
                part_audits.append(audit_data)
            _batch_write(
                touched=touched,
                drafts=part_drafts,
                loans=[loans[int(i)] for i, _a in part],
            )
            drafts += part_drafts
            # what ``loan_repayment_prepare``'s own "loan.repay" row holds, plus the loan
            # and the repayment (written: its id known)
            audits += [
                {"loan": d.repayment.loan_id, "repayment": d.repayment.pk, **data}
                for d, data in zip(part_drafts, part_audits, strict=True)
            ]
            del rows_of, touched, part_audits  # this chunk's: freed before the next
    audit_log(
        actor=by, action=LoanAudit.REPAY_BATCH, data={"count": len(drafts), "repayments": audits}
    )
    return drafts


def loan_repayments_split_bulk(
    *, items: Sequence[tuple[int, Any]], on: date
) -> dict[int, S.Allocation]:
    """Read only: how ``loan_repayments_prepare_bulk`` with the excess to sukarela would
    split each ``(loan_id, amount)`` paid on ``on`` — penalty, jasa, principal, and the
    excess beyond what the loan still asks, which it credits to the member's sukarela —
    by the same rule (``_repayment_plan``) on the same rows (``_batch_rows_read``).
    Nothing is locked or written (a preview before the batch: what it will credit). A
    loan not running, or an amount not above zero, is left out: the batch refuses or
    redirects those by its own checks. Three queries whatever the number of loans."""
    amounts = {int(loan_id): amount for loan_id, amount in items if amount and amount > 0}
    if not amounts:
        return {}
    loans = {
        ln.pk: ln
        for ln in Loan.objects.filter(pk__any_of=list(amounts), status=Loan.Status.DISBURSED).only(
            *BATCH_LOAN_FIELDS
        )
    }
    if not loans:
        return {}
    products = LoanProduct.objects.in_bulk({ln.product_id for ln in loans.values()})
    rows_of, _more = _batch_rows_read(sorted(loans), on=on, excess_to=Repayment.ExcessTo.SUKARELA)
    out = {}
    for pk, loan in loans.items():
        loan.product = products[loan.product_id]
        plan = _repayment_plan(
            loan, rows_of.get(pk, []), amounts[pk], on, Repayment.ExcessTo.SUKARELA
        )
        out[pk] = plan.alloc
    return out


def loans_batch_lock(loan_ids) -> dict[int, Loan]:
    """Lock the loans a batch will repay (step 1 of ``loan_repayments_prepare_bulk``, pk
    order), read with what bounds a payment's date (``loan_floor_annotations``), so a
    caller can check their dates (``loans_payment_date_refusals(loans=...)``) with no
    query of its own, then pass them on as ``locked``. Inside the caller's transaction."""
    return _batch_loans_lock(sorted({int(i) for i in loan_ids}))


def _locked_check(locked: dict[int, Loan], ids: list[int]) -> dict[int, Loan]:
    """The caller's locked loans, which must hold every loan of the batch."""
    missing = [i for i in ids if i not in locked]
    if missing:
        raise ValueError(f"loans not locked by loans_batch_lock: {missing}")
    return locked


def _batch_loans_lock(ids: list[int]) -> dict[int, Loan]:
    """1. Lock every loan (pk order: no deadlock with other batches or single payments);
    their few products are read once and shared (not locked, not one copy per loan)."""
    loans = {
        ln.pk: ln
        for ln in Loan.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .order_by("pk")
        .only(*BATCH_LOAN_FIELDS)
        # what bounds a payment's date (``loan_event_floor``): a loan brought in at a
        # move-in, its cut-over; a rescheduled loan, its last reschedule's date
        .annotate(**loan_floor_annotations())
    }
    products = LoanProduct.objects.in_bulk({ln.product_id for ln in loans.values()})
    for ln in loans.values():
        ln.product = products[ln.product_id]
    missing = [i for i in ids if i not in loans]
    if missing:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Pinjaman tidak ditemukan: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
        )
    return loans


def _batch_rows_read(
    ids: list[int], *, on: date, excess_to: str
) -> tuple[dict[int, list[Instalment]], set[int]]:
    """2. The open rows of those loans, and the loans with open rows not read. The rules
    only touch the rows due by ``on`` and the next one (the rows after it matter for an
    excess to principal only): those are read as models; of the others, one more is
    listed, telling that the loan stays open. Every writer of a loan's rows (repayments,
    reversals, reschedules, top-ups, settlements, this batch) locks the loan first, so the
    loan locks taken in step 1 keep the rows still until commit: the rows themselves are
    not locked again (a row lock is a write: thousands of them cost the batch as much as
    its updates)."""
    rows_of: dict[int, list[Instalment]] = defaultdict(list)
    more_open: set[int] = set()  # loans with open rows not read
    if excess_to == Repayment.ExcessTo.PRINCIPAL:
        # an excess may re-amortise the rows after the next one: read them all
        for r in Instalment.objects.filter(
            loan_id__in=ids, is_current=True, settled=False
        ).order_by("loan_id", "number"):
            rows_of[r.loan_id].append(r)
        return rows_of, more_open
    for future_rank, r in _open_rows_read(ids, on):
        if future_rank <= 1:  # due by ``on``, or the next one
            rows_of[r.loan_id].append(r)
        else:  # the loan id of a row after those
            more_open.add(r)
    for rows in rows_of.values():
        rows.sort(key=lambda r: r.number)
    return rows_of, more_open


def _loan_repay_in_memory(
    loan: Loan,
    amount,
    *,
    rows: list[Instalment],
    rows_unread: bool,
    on: date,
    channel: str,
    excess_to: str,
    by,
    entry_id: int | None,
    accounts: dict,
) -> tuple[list[Instalment], RepaymentDraft, dict]:
    """One loan's repayment by the rules, in memory: the rows it pays, its repayment and
    ledger lines, the loan closed when no open row is left. Returns the rows touched, the
    draft and the audit data."""
    amt = _check_repayable(loan, amount)
    # the single service's rule (``loan_event_floor``: disbursement, a move-in's cut-over,
    # the last reschedule), read from the lock's annotations: the whole batch is refused,
    # naming the loan, and nothing is written
    refusal = loan_event_date_refusal(loan, on, label=_PAID_ON_LABEL)
    if refusal is not None:
        raise refusal
    plan = _repayment_plan(loan, rows, amt, on, excess_to)
    due, ahead, alloc = plan.due, plan.ahead, plan.alloc
    # an excess to principal: the rows and figures it changes, kept as they are first
    snapshot = _schedule_snapshot(loan, rows) if plan.extra_principal > 0 else {}
    before: list = []  # the rows' penalty state before, kept on the repayment
    touched = _spread_to_rows(
        loan,
        plan.due_rows,
        on,
        penalty=due.penalty,
        jasa=due.jasa,
        principal=due.principal,
        penalty_before=before,
    )
    if plan.nxt is not None and ahead.jasa + ahead.principal > 0:
        touched += _spread_to_rows(
            loan,
            [plan.nxt],
            on,
            penalty=ZERO,
            jasa=ahead.jasa,
            principal=ahead.principal,
            penalty_before=before,
        )
    reamortised = plan.extra_principal > 0 and bool(plan.future)
    if plan.extra_principal > 0:  # rare: excess to principal, one loan at a time
        _reamortise_kept(loan, plan, on, snapshot)
    principal_total = alloc.principal + plan.extra_principal
    rep = _repayment_new(
        loan,
        amt=amt,
        alloc=alloc,
        on=on,
        channel=channel,
        excess_to=excess_to,
        by=by,
        entry_id=entry_id,
        penalty_rows_before=before,
        schedule_before=snapshot,
    )
    lines, txns = _repayment_lines(loan, rep, principal_total, by=by, on=on, accounts=accounts)
    # _after_payment, with "no open row left" known from the rows in memory
    loan.principal_outstanding -= principal_total
    # rows in memory carry every change (a pay-off of the future rows included); a
    # re-amortisation to a non-zero principal leaves new open rows
    open_left = (
        any(not r.settled for r in rows)
        or rows_unread
        or (reamortised and plan.future_principal - plan.extra_principal > 0)
    )
    if not open_left:
        _loan_close_repaid(loan, on)
    return (
        touched,
        RepaymentDraft(rep, lines, txns),
        _repay_audit_data(rep, principal_total, excess_to),
    )


def _loan_close_repaid(loan: Loan, on: date) -> None:
    if loan.principal_outstanding != 0:
        raise AssertionError("schedule settled but principal outstanding")
    loan.status = Loan.Status.CLOSED
    loan.closed_on = on
    loan.closed_by = Loan.ClosedBy.REPAID
    loan.days_past_due = 0


def _batch_write(
    *,
    touched: list[Instalment],
    drafts: list[RepaymentDraft],
    loans: list[Loan],
) -> None:
    """4. Write (a chunk of the batch at a time): rows, repayments, loans."""
    bulk_update_values(Instalment, touched, ROW_PAID_FIELDS)
    bulk_insert_values(Repayment, [d.repayment for d in drafts])
    # the daily run's days past due from the rows just written, saved with the loans
    loans_days_past_due_set(loans=loans)
    bulk_update_values(Loan, loans, LOAN_FIELDS)
