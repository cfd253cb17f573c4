"""Loans at a member's exit (settled from savings, or waived) and reversing a
repayment (a reversed payroll batch)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.loans.audit import LoanAudit
from core.members.models import Member

from ..models import (
    Loan,
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
    forgiven."""
    _require_role(by, REPAY_ROLES, _("menyelesaikan pinjaman anggota"))
    loans = list(
        Loan.objects.select_for_update()
        .select_related("product", "member")
        .filter(member=member, status=Loan.Status.DISBURSED)
        .order_by("pk")
    )
    lines: list = []
    for loan in loans:
        refusal = _settle_date_refusal(loan, on)
        if refusal is not None:
            raise refusal
        q = loan_payoff_quote(loan=loan, on=on)
        rows = _open_rows(loan)
        if waive:
            waived, amounts = writeoff_lines_apply(loan, rows, on)
            lines += waived
            principal, used = amounts["principal"], amounts["ppap_used"]
            deferred, brought = amounts["deferred_jasa"], amounts["jasa_receivable"]
            audit_log(
                actor=by,
                action=LoanAudit.WRITEOFF,
                target=loan,
                reason=reason,
                data={
                    "principal": str(principal),
                    "ppap_used": str(used),
                    "deferred_jasa_reversed": str(deferred),
                    "jasa_receivable_written_off": str(brought),
                },
            )
            continue
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
