"""Repayment: one service for the counter, bank and payroll batches (prepare, then
post), early payoff, the allocation onto the schedule rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit.services import audit_log
from core.common.dates import format_date
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.models import ReceiptSeries
from core.ledger.services import receipt_number_take
from core.loans.audit import LoanAudit
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.services import check_not_frozen, savings_withdraw_apply

from .. import schedules as S
from ..arrears import loans_days_past_due_set
from ..models import (
    Instalment,
    Loan,
    Repayment,
)
from .common import (
    REPAY_ROLES,
    ZERO,
    LoanErrors,
    _instalments_create,
    _line,
    _link_savings,
    _lock,
    _notify,
    _post,
    _require_role,
    _whole_positive,
    check_loan_event_date,
    loan_event_date_refusal,
    loan_event_floor,
    loan_floor_after,
    loan_floor_annotations,
    savings_credit,
    schedule_version_next,
)
from .dues import (
    _open_rows,
    jasa_paid_ahead,
    loan_payoff_quote,
    row_penalty_after_payment,
    row_penalty_charge,
    row_penalty_due,
)

# --- refusals the database makes -----------------------------------------------------


def repayment_entry_missing_db_refusal(detail: dict[str, Any]) -> ApplicationError:
    """The database refused to commit a loan repayment without its journal entry
    (migration 0022's deferred check; ``detail``: the loan's number). The services always
    post and link the entry, so this is a code path that forgot it: nothing was saved,
    and the person is told so plainly."""
    return ApplicationError(
        LoanErrors.REPAYMENT_ENTRY_MISSING,
        _(
            "Pembayaran pinjaman %(n)s tidak disimpan: jurnalnya tidak ikut tercatat, dan "
            "pinjaman tidak boleh berubah tanpa jurnal. Tidak ada yang berubah. Ini "
            "kesalahan aplikasi yang sudah dicatat untuk diperbaiki; laporkan kepada "
            "pengelola Lumbung bila berulang."
        )
        % {"n": detail.get("loan") or "?"},
        status=409,
    )


# --- repayment ----------------------------------------------------------------------


def _apply_to_rows(
    loan: Loan,
    rows: list[Instalment],
    on: date,
    *,
    penalty: Decimal,
    jasa: Decimal,
    principal: Decimal,
    penalty_before: list | None = None,
) -> None:
    """Spread penalty, jasa and principal over the rows oldest first (each component
    separately) and save them; marks rows settled when fully paid. ``penalty_before``:
    see ``_spread_to_rows``."""
    for r in _spread_to_rows(
        loan,
        rows,
        on,
        penalty=penalty,
        jasa=jasa,
        principal=principal,
        penalty_before=penalty_before,
    ):
        r.save(update_fields=ROW_PAID_FIELDS)


ROW_PAID_FIELDS = [
    "penalty_paid",
    "jasa_paid",
    "principal_paid",
    "penalty_periods",
    "penalty_charged",
    "settled",
    "settled_on",
]


def _spread_to_rows(
    loan: Loan,
    rows: list[Instalment],
    on: date,
    *,
    penalty: Decimal,
    jasa: Decimal,
    principal: Decimal,
    penalty_before: list | None = None,
) -> list[Instalment]:
    """The in-memory half of ``_apply_to_rows``: spread the amounts over the rows oldest
    first and return the rows touched (not saved; the batch service bulk-updates them).
    A row touched first has its late penalty charged up to ``on`` on what is unpaid of it
    before this payment (``penalty_periods``, ``penalty_charged``), so the periods after
    are charged on what the payment leaves unpaid. A payment dated before the row's last
    charge point (a payroll batch dated the day the agency's money arrived, after a later
    counter payment was recorded) pays the penalty owed as of its date only (the periods
    after it uncharged at the rate of what was unpaid before it), and those later periods
    are charged again on what it leaves unpaid (``schedules.row_penalty_charge``,
    ``row_penalty_after_payment``). The state a row had is appended to ``penalty_before``
    as ``[row id, periods, "charged", "penalty paid"]`` when it changes or the payment
    pays penalty on it (kept on the repayment, which a reversal restores it from: a
    later payment's penalty may be on an older row, whose penalty kept growing after a
    newer row's was paid, so it is not simply at the newest rows). Repayments written
    before the penalty paid was kept hold ``[row id, periods, "charged"]``."""
    charges = {r.pk: row_penalty_charge(loan, r, on) for r in rows}
    states = [
        S.RowDue(
            r.pk,
            ZERO if r.settled else charges[r.pk].owed(r.penalty_paid),
            r.jasa_left,
            r.principal_left,
        )
        for r in rows
    ]
    spread = S.spread_over_rows(states, S.Allocation(penalty, jasa, principal, ZERO))
    touched = []
    for r in rows:
        a = spread[r.pk]
        if a.applied == 0:
            continue
        r.penalty_paid += a.penalty
        r.jasa_paid += a.jasa
        r.principal_paid += a.principal
        c = row_penalty_after_payment(loan, r, charges[r.pk])
        changed = (c.periods, c.charged) != (r.penalty_periods, r.penalty_charged)
        if penalty_before is not None and (changed or a.penalty > 0):
            penalty_before.append(
                [r.pk, r.penalty_periods, str(r.penalty_charged), str(r.penalty_paid - a.penalty)]
            )
        r.penalty_periods, r.penalty_charged = c.periods, c.charged
        if r.principal_left == 0 and r.jasa_left == 0:
            r.settled = True
            r.settled_on = on
        touched.append(r)
    return touched


def _pay_off_rows(loan: Loan, rows: list[Instalment], on: date) -> None:
    """Remaining rows: principal paid, jasa not yet earned waived, settled."""
    for r in rows:
        if r.settled:
            continue
        r.principal_paid = r.principal
        r.jasa_waived = r.jasa - r.jasa_paid
        r.settled = True
        r.settled_on = on
        r.save(
            update_fields=["principal_paid", "jasa_paid", "jasa_waived", "settled", "settled_on"]
        )


def _pay_off(loan: Loan, rows: list[Instalment], on: date, *, penalty, jasa) -> tuple[list, list]:
    """What an early payoff does to the schedule: the penalty and jasa due paid on the
    rows due by ``on`` (oldest first), then every open row settled (principal paid, the
    jasa not yet earned waived). The jasa paid ahead on rows not yet due is waived with
    the rest of their jasa (it is counted toward the principal: ``loan_payoff_quote``'s
    ``jasa_paid_ahead``). Payoff, top-up and exit settlement. Returns the rows' penalty
    state before (``_spread_to_rows``) and their jasa paid ahead (``[[row id,
    "amount"], ...]``), for the payoff's repayment (a reversal restores both)."""
    before: list = []
    _apply_to_rows(
        loan,
        [r for r in rows if r.due_date <= on],
        on,
        penalty=penalty,
        jasa=jasa,
        principal=ZERO,
        penalty_before=before,
    )
    ahead = []
    by_pk = {r.pk: r for r in rows}
    principal = sum((r.principal_left for r in rows), ZERO)
    for pk, counted in jasa_paid_ahead(loan, on, principal=principal):
        ahead.append([pk, str(counted)])
        r = by_pk.get(pk)
        if r is None:  # settled already (a whole instalment paid ahead): its jasa waived
            Instalment.objects.filter(pk=pk).update(
                jasa_paid=F("jasa_paid") - counted, jasa_waived=F("jasa_waived") + counted
            )
        else:  # waived with the rest of its jasa by ``_pay_off_rows``
            r.jasa_paid -= counted
    _pay_off_rows(loan, rows, on)
    return before, ahead


def _payoff_repayment_new(
    loan: Loan,
    parts: dict,
    *,
    on: date,
    channel: str,
    by,
    entry=None,
    early_payoff_fee=ZERO,
    penalty_rows_before: list | None = None,
    jasa_ahead_rows: list | None = None,
    deferred_jasa_recognised: Decimal | None = None,
    jasa_deferred: bool = False,
) -> Repayment:
    """The repayment row of a payoff: the quote's penalty, jasa and principal (and the
    early-payoff fee, at the counter), and all the loan's deferred jasa, earned now. The
    jasa paid ahead on rows not yet due (``jasa_ahead_rows``, from ``_pay_off``) is
    counted toward the principal: the amount is the parts less it.
    ``deferred_jasa_recognised``: 0 when the loan's deferred jasa is not earned but carried
    on (a top-up of a loan in arrears); default all of it. ``jasa_deferred``: its jasa
    (but brought-in jasa receivable) was capitalised into deferred jasa, not income."""
    brought = min(parts["jasa"], loan.jasa_receivable)
    ahead = sum((Decimal(a) for _pk, a in jasa_ahead_rows or []), ZERO)
    if deferred_jasa_recognised is None:
        deferred_jasa_recognised = deferred_jasa_share(loan, parts["principal"])
    return Repayment.objects.create(
        penalty_rows_before=penalty_rows_before or [],
        jasa_ahead_credited=ahead,
        jasa_ahead_rows=jasa_ahead_rows or [],
        deferred_jasa_recognised=deferred_jasa_recognised,
        deferred_penalty_recognised=deferred_penalty_part(loan, deferred_jasa_recognised),
        jasa_receivable_settled=brought,
        jasa_deferred=parts["jasa"] - brought if jasa_deferred else ZERO,
        loan=loan,
        paid_on=on,
        channel=channel,
        kind=Repayment.Kind.PAYOFF,
        amount=parts["penalty"] + parts["jasa"] + parts["principal"] + early_payoff_fee - ahead,
        penalty=parts["penalty"],
        jasa=parts["jasa"],
        principal=parts["principal"],
        early_payoff_fee=early_payoff_fee,
        entry=entry,
        created_by=by,
    )


def _reamortise(loan: Loan, future: list[Instalment], new_principal: Decimal, on: date) -> None:
    """Replace the untouched future rows by a new schedule (next version) over the
    reduced principal, same count and due dates: each new row takes the due date of the
    row it replaces (not counted again from the first of them, which may be a clamped
    30th or 28th and would move every later 31st)."""
    if not future:
        return
    if new_principal == 0:
        _pay_off_rows(loan, future, on)
        return
    Instalment.objects.filter(pk__in=[r.pk for r in future]).update(is_current=False)
    version = schedule_version_next(loan)
    sched = S.build_schedule(
        method=loan.method,
        principal=new_principal,
        rate=S.monthly_rate(loan.rate, loan.rate_period),
        tenor=len(future),
    )
    sched = replace(
        sched,
        rows=tuple(
            replace(new, due_date=old.due_date) for new, old in zip(sched.rows, future, strict=True)
        ),
    )
    _instalments_create(loan, sched, version=version, first_number=future[0].number)
    loan.schedule_version = version


# the loan's figures an excess to principal changes, kept to be restored by its reversal
SNAPSHOT_LOAN_FIELDS = (
    "principal_outstanding",
    "deferred_jasa",
    "deferred_penalty",
    "jasa_receivable",
    "status",
    "closed_on",
    "closed_by",
)


def row_snapshot(r: Instalment) -> list:
    """A schedule row's paid state as ``Repayment.schedule_before`` keeps it."""
    return [
        r.pk,
        str(r.principal_paid),
        str(r.jasa_paid),
        str(r.jasa_waived),
        str(r.penalty_paid),
        r.penalty_periods,
        str(r.penalty_charged),
        r.settled,
        r.settled_on.isoformat() if r.settled_on else None,
    ]


def _schedule_snapshot(loan: Loan, rows: list[Instalment]) -> dict:
    """What a payment with an excess to principal is about to change, as it is: the
    loan's open rows (before they are paid or re-amortised) and its figures. Completed by
    ``_reamortise_kept`` with the rows it replaced and the version it wrote."""
    return {
        "rows": [row_snapshot(r) for r in rows],
        "loan": {
            k: (str(v) if v is not None else None)
            for k in SNAPSHOT_LOAN_FIELDS
            for v in [getattr(loan, k)]
        },
    }


def _reamortise_kept(loan: Loan, plan: RepaymentPlan, on: date, snapshot: dict) -> None:
    """``_reamortise`` of the rows after the next one over the principal the excess
    leaves, noting in ``snapshot`` the rows it replaced (or paid off) and the version it
    wrote, for the reversal (``Repayment.schedule_before``)."""
    version = loan.schedule_version
    _reamortise(loan, plan.future, plan.future_principal - plan.extra_principal, on)
    snapshot["future"] = [r.pk for r in plan.future]
    snapshot["version_to"] = loan.schedule_version if loan.schedule_version != version else None


@dataclass
class RepaymentDraft:
    """A repayment applied to the loan, with the ledger lines crediting it (penalty
    income, jasa income, loan receivable, and sukarela for an over-payment). The caller
    adds the debit (cash, bank, or the payroll batch's bank line), posts, and links the
    entry with ``loan_repayments_attach_entry``."""

    repayment: Repayment
    lines: list = field(default_factory=list)
    savings_transactions: list = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return self.repayment.amount


def _check_repay_call(service: str, *, by, channel: str, excess_to: str) -> None:
    """What every repayment service checks first (shared with ``core.loans.batch``): inside
    a transaction, a role that may take payments, a known channel and excess target."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{service} must run inside a transaction")
    _require_role(by, REPAY_ROLES, _("menerima pembayaran pinjaman"))
    if channel not in (
        Repayment.Channel.COUNTER,
        Repayment.Channel.BANK,
        Repayment.Channel.PAYROLL,
        Repayment.Channel.SUKARELA,
    ):
        raise ApplicationError(LoanErrors.INVALID, _("Cara bayar tidak dikenal."))
    if excess_to not in Repayment.ExcessTo.values:
        raise ApplicationError(LoanErrors.INVALID, _("Tujuan kelebihan bayar tidak dikenal."))


def _check_paid_on(loan: Loan, on: date) -> None:
    """A payment date within the sane range: not before the cooperative's books, not in
    the future, not before the loan's floor (``loan_event_floor``: its disbursement, a
    move-in's cut-over, its last reschedule). The payroll batch applies the same rule."""
    check_loan_event_date(loan, on, label=_PAID_ON_LABEL)


# translated only when a refusal shows it (a payroll batch checks thousands of amounts)
_AMOUNT_LABEL = gettext_lazy("Jumlah pembayaran")
_PAID_ON_LABEL = gettext_lazy("Tanggal bayar")


@dataclass(frozen=True)
class PaymentDateRefusal:
    """Why a running loan takes no payment dated on a given day: the earliest date it
    does (``floor``, ``loan_event_floor``) and the refusal naming the loan."""

    loan_id: int
    number: str
    floor: date
    error: ApplicationError
    why: str = ""  # what sets ``floor`` (``FloorWhy``): the refusal's sentence rendered again


def loans_payment_date_refusals(
    *, loan_ids, on: date, label: str | None = None, loans: dict[int, Loan] | None = None
) -> dict[int, PaymentDateRefusal]:
    """The running loans among ``loan_ids`` that a payment dated ``on`` may not pay
    (``loan_event_date_refusal``: before the disbursement, on or before a move-in's
    cut-over, before the last reschedule), by loan id. What the payroll batch
    (``core.loans.batch``) would refuse, asked before it runs (the deduction preview flags
    the rows paying them), by the same rule; their dates read in one query
    (``loan_floor_annotations``), none per loan — or none at all when ``loans`` holds them
    already read so (the batch's lock, ``loans_batch_lock``). ``label``: the date's name
    in the message (default "Tanggal bayar")."""
    ids = sorted({int(i) for i in loan_ids})
    if not ids:
        return {}
    if loans is None:
        # only the loans with a bound after ``on`` (``loan_floor_after``): the others take
        # the date, and reading each of thousands cost more than the rest of the check
        found = list(
            Loan.objects.filter(pk__any_of=ids, status=Loan.Status.DISBURSED)
            .only("id", "number", "disbursed_on", "status")
            .annotate(**loan_floor_annotations())
            .filter(loan_floor_after(on))
        )
    else:
        found = [loans[i] for i in ids if i in loans and loans[i].status == Loan.Status.DISBURSED]
    out = {}
    for loan in found:
        refusal = loan_event_date_refusal(loan, on, label=label or _PAID_ON_LABEL)
        if refusal is not None:
            floor, why = loan_event_floor(loan)
            out[loan.pk] = PaymentDateRefusal(
                loan_id=loan.pk, number=loan.number, floor=floor, error=refusal, why=why
            )
    return out


def _check_repayable(loan: Loan, amount: Any) -> Decimal:
    if loan.status != Loan.Status.DISBURSED:
        raise ApplicationError(
            LoanErrors.NOT_RUNNING,
            _("Pinjaman %(n)s tidak berjalan (%(s)s); pembayaran ditolak.")
            % {"n": loan.number, "s": loan.get_status_display()},
        )
    return _whole_positive(amount, field="amount", label=_AMOUNT_LABEL)


@dataclass
class RepaymentPlan:
    """How a repayment of ``amount`` splits over a loan's open rows (the rules of
    ``loan_repayment_prepare``, shared with the batch service ``core.loans.batch``)."""

    due_rows: list
    nxt: Instalment | None
    due: S.Allocation
    ahead: S.Allocation
    alloc: S.Allocation
    future: list
    future_principal: Decimal
    extra_principal: Decimal


def _repayment_plan(
    loan: Loan, rows: list[Instalment], amt: Decimal, on: date, excess_to: str
) -> RepaymentPlan:
    due_rows = [r for r in rows if r.due_date <= on]
    nxt = next((r for r in rows if r.due_date > on), None)
    # 1. arrears and what is due today: penalty, then jasa, then principal (oldest first)
    due = S.allocate_repayment(
        amount=amt,
        penalty_due=sum((row_penalty_due(loan, r, on) for r in due_rows), ZERO),
        jasa_due=sum((r.jasa_left for r in due_rows), ZERO),
        principal_due=sum((r.principal_left for r in due_rows), ZERO),
    )
    # 2. then the next instalment: jasa, then principal
    ahead = S.allocate_repayment(
        amount=due.excess,
        penalty_due=ZERO,
        jasa_due=nxt.jasa_left if nxt else ZERO,
        principal_due=nxt.principal_left if nxt else ZERO,
    )
    alloc = S.Allocation(
        due.penalty, due.jasa + ahead.jasa, due.principal + ahead.principal, ahead.excess
    )
    future = [r for r in rows if r.due_date > on and r is not nxt]
    future_principal = sum((r.principal_left for r in future), ZERO)
    extra_principal = ZERO
    if alloc.excess > 0:
        if not excess_to:
            raise ApplicationError(
                LoanErrors.EXCESS_TARGET,
                _(
                    "Pembayaran melebihi tagihan sebesar %(e)s: pilih dibayarkan ke pokok "
                    "atau ke simpanan sukarela."
                )
                % {"e": format_rupiah(alloc.excess)},
                fields={"excess_to": [_("Wajib dipilih.")]},
            )
        if excess_to == Repayment.ExcessTo.PRINCIPAL:
            if alloc.excess > future_principal:
                raise ApplicationError(
                    LoanErrors.EXCESS_TOO_LARGE,
                    _("Kelebihan %(e)s melebihi sisa pokok %(p)s; gunakan pelunasan.")
                    % {"e": format_rupiah(alloc.excess), "p": format_rupiah(future_principal)},
                )
            extra_principal = alloc.excess
            if future and extra_principal == future_principal:
                _refuse_payoff_through_instalment(loan, rows, on)
    return RepaymentPlan(
        due_rows, nxt, due, ahead, alloc, future, future_principal, extra_principal
    )


def _refuse_payoff_through_instalment(loan: Loan, rows: list[Instalment], on: date) -> None:
    """An instalment payment whose excess to principal clears all the principal left
    before the last instalment is due is an early payoff: refused when the product
    charges an early-payoff penalty (else the penalty is bypassed), naming what
    *Pelunasan dipercepat* takes (``loan_payoff_quote``). Without a penalty it closes the
    loan as repaid. Counter, API and the loans batch (``_repayment_plan``); a payroll
    deduction's excess goes to sukarela, never to principal."""
    q = loan_payoff_quote(loan=loan, on=on, rows=rows)
    if q["early_payoff_fee"] <= 0:
        return
    message = _(
        "Pembayaran ini melunasi seluruh sisa pokok pinjaman %(n)s sebelum angsuran "
        "terakhir jatuh tempo (%(d)s), padahal produknya mengenakan penalti pelunasan "
        "dipercepat. Gunakan Pelunasan dipercepat di halaman pinjaman: total %(t)s "
        "(pokok %(p)s, jasa %(j)s, denda %(dn)s, penalti %(f)s)."
    ) % {
        "n": loan.number,
        "d": format_date(max(r.due_date for r in rows)),
        "t": format_rupiah(q["total"]),
        "p": format_rupiah(q["principal"]),
        "j": format_rupiah(q["jasa"]),
        "dn": format_rupiah(q["penalty"]),
        "f": format_rupiah(q["early_payoff_fee"]),
    }
    if q["jasa_paid_ahead"] > 0:
        message += " " + _("Jasa dibayar di muka %(a)s sudah diperhitungkan.") % {
            "a": format_rupiah(q["jasa_paid_ahead"])
        }
    raise ApplicationError(LoanErrors.PAYOFF_REQUIRED, message, status=409)


def loan_repayment_prepare(
    *,
    loan: Loan,
    amount: Any,
    on: date,
    channel: str,
    by,
    excess_to: str = "",
    source: str = "",
) -> RepaymentDraft:
    """THE repayment service (counter, bank transfer, payroll deduction). Allocates the
    amount penalty -> jasa -> principal over the instalments due up to ``on`` and then the
    next instalment; what is left over goes to principal (the remaining schedule is
    re-amortised) or to the member's sukarela, as chosen. Locks the loan; call it inside
    the caller's transaction (batches: in loan pk order) and post the returned lines."""
    _check_repay_call("loan_repayment_prepare", by=by, channel=channel, excess_to=excess_to)
    loan = _lock(loan)
    amt = _check_repayable(loan, amount)
    _check_paid_on(loan, on)
    rows = _open_rows(loan)
    plan = _repayment_plan(loan, rows, amt, on, excess_to)
    due_rows, nxt, due, ahead, alloc = plan.due_rows, plan.nxt, plan.due, plan.ahead, plan.alloc
    extra_principal = plan.extra_principal
    # an excess to principal changes the rows after the next one: kept as they are first
    snapshot = _schedule_snapshot(loan, rows) if extra_principal > 0 else {}
    before: list = []
    _apply_to_rows(
        loan,
        due_rows,
        on,
        penalty=due.penalty,
        jasa=due.jasa,
        principal=due.principal,
        penalty_before=before,
    )
    if nxt is not None and ahead.jasa + ahead.principal > 0:
        _apply_to_rows(
            loan,
            [nxt],
            on,
            penalty=ZERO,
            jasa=ahead.jasa,
            principal=ahead.principal,
            penalty_before=before,
        )
    if extra_principal > 0:
        _reamortise_kept(loan, plan, on, snapshot)
    principal_total = alloc.principal + extra_principal
    rep = _repayment_new(
        loan,
        amt=amt,
        alloc=alloc,
        on=on,
        channel=channel,
        excess_to=excess_to,
        by=by,
        penalty_rows_before=before,
        schedule_before=snapshot,
    )
    lines, txns = _repayment_lines(loan, rep, principal_total, by=by, on=on)
    rep.save(force_insert=True)
    _after_payment(loan, principal_total, on)
    audit_log(
        actor=by,
        action=LoanAudit.REPAY,
        target=loan,
        data={
            "repayment": rep.pk,
            **_repay_audit_data(rep, principal_total, excess_to),
            **({"source": source} if source else {}),
        },
    )
    return RepaymentDraft(rep, lines, txns)


def _repayment_new(
    loan: Loan,
    *,
    amt: Decimal,
    alloc: S.Allocation,
    on: date,
    channel: str,
    excess_to: str,
    by,
    entry_id: int | None = None,
    penalty_rows_before: list | None = None,
    schedule_before: dict | None = None,
) -> Repayment:
    """The (unsaved) repayment row of an allocation; shared with ``core.loans.batch``.
    ``penalty_rows_before``: the rows' penalty state the payment advanced, as it was
    (``_spread_to_rows``); ``schedule_before``: an excess to principal's schedule and
    loan figures as they were (``_schedule_snapshot``)."""
    return Repayment(
        penalty_rows_before=penalty_rows_before or [],
        schedule_before=schedule_before or {},
        loan=loan,
        paid_on=on,
        channel=channel,
        kind=Repayment.Kind.INSTALMENT,
        amount=amt,
        penalty=alloc.penalty,
        jasa=alloc.jasa,
        principal=alloc.principal,
        excess=alloc.excess,
        excess_to=excess_to if alloc.excess > 0 else "",
        created_by=by,
        entry_id=entry_id,
    )


def _repay_audit_data(rep: Repayment, principal_total: Decimal, excess_to: str) -> dict:
    """What the audit log keeps of a repayment (one "loan.repay" row, or one entry of a
    batch's "loan.repay_batch" row)."""
    return {
        "amount": str(rep.amount),
        "channel": rep.channel,
        "penalty": str(rep.penalty),
        "jasa": str(rep.jasa),
        "principal": str(principal_total),
        "excess": str(rep.excess),
        "excess_to": excess_to,
    }


def deferred_jasa_share(loan: Loan, principal_paid: Decimal) -> Decimal:
    """The part of a loan's deferred jasa (overdue jasa capitalised at a restructuring)
    that a payment of ``principal_paid`` of its principal earns: the same share of it as
    of the principal outstanding (all of it when the principal is paid off), whole rupiah,
    never leaving more deferred jasa than principal."""
    d, outstanding = loan.deferred_jasa, loan.principal_outstanding
    if d <= 0 or principal_paid <= 0:
        return ZERO
    if principal_paid >= outstanding:
        return d
    share = S.rupiah(d * principal_paid / outstanding)
    return min(d, max(share, d - (outstanding - principal_paid)))


def deferred_penalty_part(loan: Loan, recognised: Decimal) -> Decimal:
    """THE rule for the capitalised late penalty in a loan's deferred amount: of
    ``recognised`` (what a payment earns of ``deferred_jasa``), the part that is penalty
    (``deferred_penalty``), recognised first, as a payment is allocated (penalty, then
    jasa, then principal): the loan's deferred penalty up to ``recognised``. Single
    repayment, payroll batch, payoff, top-up and exit settlement all take it from here."""
    if recognised <= 0 or loan.deferred_penalty <= 0:
        return ZERO
    return min(recognised, loan.deferred_penalty)


def deferred_recognition_lines(
    loan: Loan, *, recognised: Decimal, penalty: Decimal, accounts=None
) -> list:
    """The entry lines recognising ``recognised`` of the loan's deferred amount, of which
    ``penalty`` is capitalised late penalty (``deferred_penalty_part``): Dr pendapatan
    jasa ditangguhkan / Cr penalty income (the penalty part) and Cr jasa income (the
    rest). Takes both off the loan (the caller saves it). A non-cash pair, marked so
    (``non_cash``): inside a repayment's cash entry it is no receipt and no payment."""
    if recognised <= 0:
        return []
    loan.deferred_jasa -= recognised
    loan.deferred_penalty -= penalty
    m, memo = loan.member_id, loan.number
    kw = {"member_id": m, "memo": memo, "accounts": accounts, "non_cash": True}
    lines = [_line("deferred_jasa_income", debit=recognised, **kw)]
    if penalty > 0:
        lines.append(_line("penalty_income", credit=penalty, **kw))
    if recognised - penalty > 0:
        lines.append(_line("loan_interest_income", credit=recognised - penalty, **kw))
    return lines


def _deferred_jasa_lines(
    loan: Loan, rep: Repayment, principal_total: Decimal, *, accounts=None
) -> list:
    """Recognise the deferred amount a repayment's principal earns (Dr pendapatan jasa
    ditangguhkan / Cr penalty income for its capitalised penalty, Cr jasa income for the
    rest), noted on the repayment (an unsaved one; a saved one carries it from
    ``deferred_jasa_share`` and ``deferred_penalty_part`` already) and taken off the loan
    (the caller saves the loan)."""
    if rep.pk is None:
        rep.deferred_jasa_recognised = deferred_jasa_share(loan, principal_total)
        rep.deferred_penalty_recognised = deferred_penalty_part(loan, rep.deferred_jasa_recognised)
    # else: a saved (immutable) repayment was written with its share already
    return deferred_recognition_lines(
        loan,
        recognised=rep.deferred_jasa_recognised,
        penalty=rep.deferred_penalty_recognised,
        accounts=accounts,
    )


def _jasa_lines(loan: Loan, rep: Repayment, *, accounts=None) -> list:
    """The credit of a repayment's jasa: first the loan's brought-in jasa receivable
    (jasa arrears of a move-in, income of the old books: credited to the receivable, not
    income again) until it is exhausted, the rest to jasa income. Noted on the repayment
    (an unsaved one; a saved one carries it already) and taken off the loan (the caller
    saves the loan)."""
    if rep.pk is None:
        rep.jasa_receivable_settled = min(rep.jasa, loan.jasa_receivable)
    settled = rep.jasa_receivable_settled
    m, memo = loan.member_id, loan.number
    lines = []
    if settled > 0:
        loan.jasa_receivable -= settled
        lines.append(
            _line(
                "loan_interest_receivable",
                credit=settled,
                member_id=m,
                memo=memo,
                accounts=accounts,
            )
        )
    if rep.jasa - settled > 0:
        lines.append(
            _line(
                "loan_interest_income",
                credit=rep.jasa - settled,
                member_id=m,
                memo=memo,
                accounts=accounts,
            )
        )
    return lines


def jasa_ahead_lines(loan: Loan, amount: Decimal, *, accounts=None) -> list:
    """The jasa a payoff counts toward the principal (paid ahead on rows not yet due,
    which it waives): taken back from jasa income and paying that much of the principal
    (Dr jasa income / Cr loan receivable; the caller credits the receivable with the rest
    of the principal only). No cash moves for it: a non-cash pair, marked so
    (``non_cash``), inside the payoff's cash entry no payment of jasa and no principal
    received. Payoff, exit settlement, top-up."""
    if amount <= 0:
        return []
    kw = {"member_id": loan.member_id, "memo": loan.number, "accounts": accounts, "non_cash": True}
    return [
        _line("loan_interest_income", debit=amount, **kw),
        _line("loan_receivable", credit=amount, **kw),
    ]


def _repayment_lines(
    loan: Loan, rep: Repayment, principal_total: Decimal, *, by, on: date, accounts=None
) -> tuple[list, list]:
    """The credit lines of a repayment (and the recognition of deferred jasa its
    principal earns, a balanced pair). Call before the loan's principal is reduced."""
    m = loan.member_id
    txns: list = []
    memo = loan.number
    lines = _deferred_jasa_lines(loan, rep, principal_total, accounts=accounts)
    if rep.penalty + rep.early_payoff_fee > 0:
        lines.append(
            _line(
                "penalty_income",
                credit=rep.penalty + rep.early_payoff_fee,
                member_id=m,
                memo=memo,
                accounts=accounts,
            )
        )
    lines += _jasa_lines(loan, rep, accounts=accounts)
    lines += jasa_ahead_lines(loan, rep.jasa_ahead_credited, accounts=accounts)
    # the jasa paid ahead paid that much of the principal (its own marked credit)
    if principal_total - rep.jasa_ahead_credited > 0:
        lines.append(
            _line(
                "loan_receivable",
                credit=principal_total - rep.jasa_ahead_credited,
                member_id=m,
                memo=memo,
                accounts=accounts,
            )
        )
    if rep.excess > 0 and rep.excess_to == Repayment.ExcessTo.SUKARELA:
        more, txns = savings_credit(
            member=loan.member,
            kind="sukarela",
            amount=rep.excess,
            on=on,
            by=by,
            memo=_("Kelebihan bayar %s") % loan.number,
        )
        lines += more
    return lines, txns


def _after_payment(
    loan: Loan, principal_paid: Decimal, on: date, closed_by: str = Loan.ClosedBy.REPAID
) -> None:
    loan.principal_outstanding -= principal_paid
    fields = [
        "principal_outstanding",
        "deferred_jasa",
        "deferred_penalty",
        "jasa_receivable",
        "schedule_version",
        "updated_at",
    ]
    if not Instalment.objects.filter(loan=loan, is_current=True, settled=False).exists():
        if loan.principal_outstanding != 0:
            raise AssertionError("schedule settled but principal outstanding")
        loan.status = Loan.Status.CLOSED
        loan.closed_on = on
        loan.closed_by = closed_by
        fields += ["status", "closed_on", "closed_by"]
    # the daily run's days past due from the rows just written (0 once closed)
    loans_days_past_due_set(loans=[loan])
    loan.save(update_fields=[*fields, "days_past_due"])


def loan_repayments_attach_entry(*, drafts: Sequence[RepaymentDraft], entry) -> int:
    """Link the repayments (and any sukarela credits) of ``drafts`` to the journal entry
    that posted them. Required before commit (a deferred trigger checks)."""
    reps = [d.repayment for d in drafts]
    unlinked = [r.pk for r in reps if r.entry_id is None]  # not written linked already
    n = (
        Repayment.objects.filter(pk__in=unlinked, entry__isnull=True).update(entry=entry)
        if unlinked
        else 0
    )
    for r in reps:
        r.entry = entry
    _link_savings([t for d in drafts for t in d.savings_transactions], entry)
    return n


def _debit_role(channel: str) -> str:
    return "cash" if channel == Repayment.Channel.COUNTER else "bank"


# --- paid from the member's simpanan sukarela -------------------------------------------

SOURCE_SUKARELA = "sukarela"  # ``source``: "" the money received (cash, bank), or this


def member_sukarela_account(member) -> SavingsAccount | None:
    """The member's open sukarela account a loan payment may be taken from (the product
    ``savings_credit`` credits an over-payment to), or None. One query (the loan page
    asks it on every view)."""
    product = (
        SavingsProduct.objects.filter(kind=SavingsProduct.Kind.SUKARELA, is_active=True)
        .order_by("id")
        .values("id")[:1]
    )
    return (
        SavingsAccount.objects.filter(
            member=member, product_id=Subquery(product), status=SavingsAccount.Status.OPEN
        )
        .select_related("product")
        .order_by("id")
        .first()
    )


def sukarela_usable(account: SavingsAccount | None) -> Decimal:
    """What a sukarela account may give to a loan: its balance less the product's minimum
    balance (the savings rules keep it), none when frozen or missing."""
    if account is None or account.frozen_at is not None:
        return ZERO
    return max(ZERO, account.balance - account.product.minimum_balance)


def _source_channel(source: str, channel: str) -> tuple[str, str]:
    """``(source, channel)`` checked: paid from sukarela at the counter, recorded with the
    channel ``sukarela`` (which the API may also give as the channel)."""
    if channel == Repayment.Channel.SUKARELA:
        source, channel = SOURCE_SUKARELA, Repayment.Channel.COUNTER
    if source not in ("", SOURCE_SUKARELA):
        raise ApplicationError(LoanErrors.INVALID, _("Sumber pembayaran tidak dikenal."))
    if source == SOURCE_SUKARELA and channel != Repayment.Channel.COUNTER:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Pembayaran dari simpanan sukarela dicatat di kantor (cara bayar: kantor)."),
        )
    return source, Repayment.Channel.SUKARELA if source else channel


def _sukarela_ready(loan: Loan, amount: Decimal, *, what: str) -> SavingsAccount:
    """The member's sukarela account, locked (after the loan), that can give ``amount``
    to ``loan``: open, not frozen, and its balance less the minimum covers it; else the
    refusal with the figures and what to do."""
    found = member_sukarela_account(loan.member)
    if found is None:
        raise ApplicationError(
            LoanErrors.SUKARELA_SHORT,
            _(
                "%(m)s tidak punya rekening simpanan sukarela yang terbuka; %(w)s tidak dapat "
                "dibayar dari sukarela. Terima pembayarannya tunai atau transfer."
            )
            % {"m": loan.member.full_name, "w": what},
            status=409,
        )
    account = (
        SavingsAccount.objects.select_for_update()
        .select_related("product", "member")
        .get(pk=found.pk)
    )
    check_not_frozen(account)
    usable = sukarela_usable(account)
    if amount > usable:
        raise ApplicationError(
            LoanErrors.SUKARELA_SHORT,
            _(
                "Simpanan sukarela %(m)s tidak cukup untuk %(w)s %(t)s: saldo %(b)s, saldo "
                "minimum %(min)s harus tersisa, jadi yang dapat dipakai %(u)s (kurang "
                "%(k)s). Terima kekurangannya tunai atau transfer, atau bayar angsuran dari "
                "sukarela paling banyak %(u)s."
            )
            % {
                "m": loan.member.full_name,
                "w": what,
                "t": format_rupiah(amount),
                "b": format_rupiah(account.balance),
                "min": format_rupiah(account.product.minimum_balance),
                "u": format_rupiah(usable),
                "k": format_rupiah(amount - usable),
            },
            fields={"source": [_("Saldo sukarela tidak cukup.")]},
            status=409,
        )
    return account


def _sukarela_debit(
    account: SavingsAccount, amount: Decimal, *, on: date, by, memo: str
) -> tuple[list, SavingsTransaction]:
    """Take ``amount`` out of the (locked, checked) sukarela account to the loan: a
    transfer out on the sub-ledger and its debit line on the sukarela control account,
    posted in the repayment's entry (no cash)."""
    applied = savings_withdraw_apply(
        account=account,
        amount=amount,
        on=on,
        by=by,
        channel=SavingsTransaction.Channel.INTERNAL,
        kind=SavingsTransaction.Kind.TRANSFER_OUT,
        memo=memo,
        locked=True,
    )
    return list(applied.lines), applied.transaction


@transaction.atomic
def loan_repay(
    *,
    loan: Loan,
    amount: Any,
    by,
    on: date | None = None,
    channel: str = Repayment.Channel.COUNTER,
    excess_to: str = "",
    source: str = "",
) -> Repayment:
    """A repayment at the counter (cash) or by bank transfer: one entry, one receipt.
    ``source="sukarela"`` (at the counter): taken from the member's simpanan sukarela
    (its balance less the minimum must cover it; the entry debits sukarela, no cash)."""
    on = on or timezone.localdate()
    if channel == Repayment.Channel.PAYROLL:
        raise ApplicationError(
            LoanErrors.INVALID, _("Potong gaji dibukukan melalui batch potong gaji.")
        )
    source, channel = _source_channel(source, channel)
    if source == SOURCE_SUKARELA and excess_to == Repayment.ExcessTo.SUKARELA:
        raise ApplicationError(
            LoanErrors.INVALID,
            _(
                "Pembayaran dari simpanan sukarela tidak dapat berlebih kembali ke sukarela: "
                "kurangi jumlahnya atau pilih kelebihan ke pokok."
            ),
            fields={"excess_to": [_("Pilih pokok atau kurangi jumlahnya.")]},
        )
    draft = loan_repayment_prepare(
        loan=loan,
        amount=amount,
        on=on,
        channel=channel,
        by=by,
        excess_to=excess_to,
        source=source,
    )
    rep = draft.repayment
    # the receipt's number: the loan-repayment series, in this posting's transaction
    receipt = receipt_number_take(
        kind=ReceiptSeries.Kind.LOAN_REPAYMENT, on=on, source_ref=f"loan-repayment:{rep.pk}"
    )
    if source == SOURCE_SUKARELA:
        account = _sukarela_ready(rep.loan, rep.amount, what=_("angsuran ini"))
        debit, txn = _sukarela_debit(
            account,
            rep.amount,
            on=on,
            by=by,
            memo=_("Angsuran pinjaman %(n)s (kuitansi %(r)s)")
            % {"n": rep.loan.number, "r": receipt},
        )
        draft.savings_transactions.append(txn)
    else:
        debit = [
            _line(
                _debit_role(channel),
                debit=rep.amount,
                member_id=rep.loan.member_id,
                memo=rep.loan.number,
            )
        ]
    lines = [*debit, *draft.lines]
    description = _("Angsuran pinjaman %(n)s - %(m)s") % {
        "n": rep.loan.number,
        "m": rep.loan.member.full_name,
    }
    if source == SOURCE_SUKARELA:
        description += " " + _("(dari simpanan sukarela)")
    entry = _post(
        on=on,
        description=description,
        lines=lines,
        source_ref=f"loan-repayment:{rep.pk}",
        by=by,
    )
    loan_repayments_attach_entry(drafts=[draft], entry=entry)
    _notify(
        rep.loan,
        lambda: (
            _("Pembayaran pinjaman %s diterima") % rep.loan.number,
            _("Pembayaran %(a)s diterima (kuitansi %(r)s). Sisa pokok %(s)s.")
            % {
                "a": format_rupiah(rep.amount),
                "r": receipt,
                "s": format_rupiah(rep.loan.principal_outstanding),
            },
        ),
    )
    return rep


@transaction.atomic
def loan_payoff(
    *,
    loan: Loan,
    by,
    on: date | None = None,
    channel: str = Repayment.Channel.COUNTER,
    source: str = "",
) -> Repayment:
    """Early payoff at the counter or by bank: pays the quote, closes the loan.
    ``source="sukarela"`` (at the counter): paid from the member's simpanan sukarela, a
    transfer out of it booked straight to the loan in the same entry (Dr sukarela; no
    cash), refused with the figures when its balance less the minimum is short."""
    _require_role(by, REPAY_ROLES, _("menerima pelunasan pinjaman"))
    on = on or timezone.localdate()
    if channel not in (
        Repayment.Channel.COUNTER,
        Repayment.Channel.BANK,
        Repayment.Channel.SUKARELA,
    ):
        raise ApplicationError(LoanErrors.INVALID, _("Cara bayar tidak dikenal."))
    source, channel = _source_channel(source, channel)
    loan = _lock(loan)
    _check_repayable(loan, 1)
    # not before the loan's floor nor its last payment: the payoff closes it on its date
    check_loan_event_date(
        loan,
        on,
        label=_("Tanggal pelunasan"),
        after_payments=True,
        note=_("Pelunasan menutup pinjaman pada tanggalnya."),
    )
    q = loan_payoff_quote(loan=loan, on=on)
    if q["total"] <= 0:  # the jasa paid ahead covers all that is left: nothing to receive
        raise ApplicationError(
            LoanErrors.INVALID,
            _(
                "Jasa dibayar di muka %(j)s menutup seluruh sisa pokok %(p)s; tidak ada yang "
                "diterima pada pelunasan. Terima angsuran terakhir seperti biasa."
            )
            % {"j": format_rupiah(q["jasa_paid_ahead"]), "p": format_rupiah(q["principal"])},
        )
    account = (
        _sukarela_ready(loan, q["total"], what=_("pelunasan"))
        if source == SOURCE_SUKARELA
        else None
    )
    before, ahead = _pay_off(loan, _open_rows(loan), on, penalty=q["penalty"], jasa=q["jasa"])
    rep = _payoff_repayment_new(
        loan,
        q,
        on=on,
        channel=channel,
        by=by,
        early_payoff_fee=q["early_payoff_fee"],
        penalty_rows_before=before,
        jasa_ahead_rows=ahead,
    )
    credit_lines, txns = _repayment_lines(loan, rep, q["principal"], by=by, on=on)
    receipt = receipt_number_take(
        kind=ReceiptSeries.Kind.LOAN_REPAYMENT, on=on, source_ref=f"loan-repayment:{rep.pk}"
    )
    extra: dict = {}
    if account is not None:
        debit, txn = _sukarela_debit(
            account,
            rep.amount,
            on=on,
            by=by,
            memo=_("Pelunasan pinjaman %(n)s (kuitansi %(r)s)") % {"n": loan.number, "r": receipt},
        )
        txns = [*txns, txn]
        extra = {"source": SOURCE_SUKARELA, "savings_transaction": txn.pk}
    else:
        debit = [
            _line(
                _debit_role(channel), debit=rep.amount, member_id=loan.member_id, memo=loan.number
            )
        ]
    description = _("Pelunasan pinjaman %(n)s - %(m)s") % {
        "n": loan.number,
        "m": loan.member.full_name,
    }
    if account is not None:
        description += " " + _("(dari simpanan sukarela)")
    entry = _post(
        on=on,
        description=description,
        lines=[*debit, *credit_lines],
        source_ref=f"loan-repayment:{rep.pk}",
        by=by,
    )
    loan_repayments_attach_entry(drafts=[RepaymentDraft(rep, credit_lines, txns)], entry=entry)
    _after_payment(loan, q["principal"], on, closed_by=Loan.ClosedBy.PAYOFF)
    audit_log(
        actor=by,
        action=LoanAudit.PAYOFF,
        target=loan,
        data={k: str(v) for k, v in q.items()} | {"repayment": rep.pk, "receipt": receipt} | extra,
    )
    _notify(
        loan,
        lambda: (
            _("Pinjaman %s lunas") % loan.number,
            _("Pinjaman Anda telah dilunasi (kuitansi %(r)s). Terima kasih.") % {"r": receipt},
        ),
    )
    return rep
