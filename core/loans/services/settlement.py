"""Loans at a member's exit (settled from savings, or waived) and reversing a
repayment (a reversed payroll batch)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.loans.audit import LoanAudit
from core.members.models import Member
from core.savings.models import ExitSettlement

from ..models import (
    Loan,
    LoanWriteOff,
    Repayment,
)
from .common import (
    REPAY_ROLES,
    ZERO,
    LoanErrors,
    _require_role,
    loan_event_date_refusal,
)
from .dues import _open_rows, loan_payoff_quote
from .repayment import (
    _after_payment,
    _pay_off,
    _payoff_repayment_new,
    _repayment_lines,
)
from .writeoff import writeoff_lines_apply

# --- exit settlement ----------------------------------------------------------------


def member_leave_db_refusal(detail: dict[str, Any]) -> ApplicationError:
    """The database refused a member's leaving status while loans of theirs run
    (migration 0021's trigger; ``detail``: the member and the running loans with their
    principal outstanding). Only the exit settlement lets a member leave: it offsets the
    loans against the savings (or writes them off on death) first."""
    loans = [x for x in detail.get("loans") or [] if isinstance(x, dict)]
    parts = []
    for x in loans:
        try:
            amount = Decimal(str(x.get("principal_outstanding")))
        except ArithmeticError:
            amount = ZERO
        parts.append(
            _("%(n)s (sisa pokok %(a)s)") % {"n": x.get("number"), "a": format_rupiah(amount)}
        )
    member = f"{detail.get('number') or ''} {detail.get('full_name') or ''}".strip()
    return ApplicationError(
        LoanErrors.LEAVE_LOANS_RUNNING,
        _(
            "Anggota %(m)s masih memiliki pinjaman berjalan: %(l)s. Anggota keluar hanya "
            "melalui penyelesaian keluar (halaman anggota → Keluar / pensiun / meninggal), "
            "yang memperhitungkan pinjamannya dengan simpanannya; statusnya tidak diubah."
        )
        % {"m": member, "l": ", ".join(parts)},
        status=409,
    )


def _settle_date_refusal(loan: Loan, on: date):
    """An exit settlement (or write-off) closes the loan on ``on``: not before its floor
    (``loan_event_floor``: disbursement, a move-in's cut-over, its last reschedule) nor
    its last payment not reversed."""
    return loan_event_date_refusal(
        loan,
        on,
        label=_("Tanggal keluar"),
        after_payments=True,
        note=_("Penyelesaian keluar melunasi pinjaman pada tanggalnya."),
    )


def member_loans_settle_refusals(member: Member, on: date) -> list:
    """Why the member's running loans cannot be settled on ``on`` (``ApplicationError``
    per loan, none: they can). The exit screen lists them before confirming."""
    loans = Loan.objects.filter(member=member, status=Loan.Status.DISBURSED).order_by("pk")
    return [r for loan in loans if (r := _settle_date_refusal(loan, on)) is not None]


@dataclass(frozen=True)
class WaivedLoan:
    """A loan waived at an exit (``member_loans_waive_apply``): what its lines moved
    (``writeoff_lines_apply``'s amounts), kept until the settlement's entry exists and
    the write-off is recorded (``loan_write_offs_at_exit_record``)."""

    loan: Loan
    amounts: dict


def _settle_loans_locked(member: Member, on: date, by) -> list[Loan]:
    _require_role(by, REPAY_ROLES, _("menyelesaikan pinjaman anggota"))
    loans = list(
        Loan.objects.select_for_update()
        .select_related("product", "member")
        .filter(member=member, status=Loan.Status.DISBURSED)
        .order_by("pk")
    )
    for loan in loans:
        refusal = _settle_date_refusal(loan, on)
        if refusal is not None:
            raise refusal
    return loans


def member_loans_waive_apply(*, member: Member, on: date, by) -> tuple[list, list[WaivedLoan]]:
    """Write off all the member's running loans at their exit on death, by the board's
    decision (called by ``core.exits.services`` inside its transaction): each closed as
    written off (``writeoff_lines_apply``: deferred jasa reversed, the loan's allowance
    used first, the rest PPAP expense; jasa and penalty forgiven). Returns the lines,
    which balance by themselves, and each loan with what its lines moved: once the
    settlement's entry is posted, ``loan_write_offs_at_exit_record`` records them."""
    lines: list = []
    waived: list[WaivedLoan] = []
    for loan in _settle_loans_locked(member, on, by):
        loan_lines, amounts = writeoff_lines_apply(loan, _open_rows(loan), on)
        lines += loan_lines
        waived.append(WaivedLoan(loan=loan, amounts=amounts))
    return lines, waived


def loan_write_offs_at_exit_record(
    *,
    waived: list[WaivedLoan],
    settlement: ExitSettlement,
    by,
    reason: str,
    decision_ref: str,
) -> list[LoanWriteOff]:
    """The write-off record (route ``exit``) of each loan waived by ``settlement``
    (posted: its ``journal_entry`` holds the loans' lines): dated the exit, the waiver's
    reason and the board's decision, the amounts the entry moved for the loan, so the
    loan is in the write-off register and money received on it later is a recovery. A
    loan whose lines moved nothing (no principal, no jasa receivable) has none. Audited
    per loan (``loan.writeoff``, with the route and the settlement)."""
    out = []
    for w in waived:
        a = w.amounts
        if a["principal"] <= 0 and a["jasa_receivable"] <= 0:
            continue
        wo = LoanWriteOff.objects.create(
            loan=w.loan,
            route=LoanWriteOff.Route.EXIT,
            exit_settlement=settlement,
            on=settlement.on,
            reason=reason,
            decision_ref=decision_ref,
            principal=a["principal"],
            jasa_receivable=a["jasa_receivable"],
            deferred_jasa=a["deferred_jasa"],
            deferred_penalty=a["deferred_penalty"],
            ppap_used=a["ppap_used"],
            expense=a["expense"] + a["jasa_receivable"],
            loan_before=a["loan_before"],
            rows_before=a["rows_before"],
            entry=settlement.journal_entry,
            by=by,
        )
        audit_log(
            actor=by,
            action=LoanAudit.WRITEOFF,
            target=w.loan,
            reason=reason,
            data={
                "write_off": wo.pk,
                "route": wo.route,
                "exit_settlement": settlement.pk,
                "decision_ref": decision_ref,
                "on": wo.on.isoformat(),
                "principal": str(wo.principal),
                "ppap_used": str(wo.ppap_used),
                "ppap_expense": str(wo.expense),
                "deferred_jasa_reversed": str(wo.deferred_jasa),
                "jasa_receivable_written_off": str(wo.jasa_receivable),
                "entry": wo.entry_id,
            },
        )
        out.append(wo)
    return out


def member_loans_settle_apply(
    *, member: Member, on: date, by, waive: bool = False, reason: str = ""
) -> list:
    """Close all the member's running loans for an exit settlement (called by
    ``core.exits.services`` inside its transaction). Without ``waive``: returns the
    credit lines (penalty and jasa due to income, principal to the receivable, less the
    jasa paid ahead on rows not yet due, debited to jasa income) that the savings payout
    balances, totalling ``selectors.member_loans_outstanding``. With
    ``waive`` (death, board decision): the loans are written off — the lines balance by
    themselves (allowance used first, the rest to PPAP expense); jasa and penalty are
    forgiven — the lines only: the exit itself uses ``member_loans_waive_apply`` and
    records each write-off once its entry is posted."""
    if waive:
        lines, waived = member_loans_waive_apply(member=member, on=on, by=by)
        for w in waived:
            audit_log(
                actor=by,
                action=LoanAudit.WRITEOFF,
                target=w.loan,
                reason=reason,
                data={
                    "principal": str(w.amounts["principal"]),
                    "ppap_used": str(w.amounts["ppap_used"]),
                    "deferred_jasa_reversed": str(w.amounts["deferred_jasa"]),
                    "jasa_receivable_written_off": str(w.amounts["jasa_receivable"]),
                },
            )
        return lines
    lines: list = []
    for loan in _settle_loans_locked(member, on, by):
        q = loan_payoff_quote(loan=loan, on=on)
        rows = _open_rows(loan)
        before, ahead = _pay_off(loan, rows, on, penalty=q["penalty"], jasa=q["jasa"])
        total = q["penalty"] + q["jasa"] + q["principal"]
        if total > 0:
            rep = _payoff_repayment_new(
                loan,
                q,
                on=on,
                channel=Repayment.Channel.SETTLEMENT,
                by=by,
                penalty_rows_before=before,
                jasa_ahead_rows=ahead,
            )
            credit, _txns = _repayment_lines(loan, rep, q["principal"], by=by, on=on)
            lines += credit
        _after_payment(loan, q["principal"], on, closed_by=Loan.ClosedBy.PAYOFF)
        audit_log(
            actor=by,
            action=LoanAudit.SETTLE_EXIT,
            target=loan,
            reason=reason,
            data={k: str(v) for k, v in q.items()},
        )
    return lines
