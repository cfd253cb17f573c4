"""Loans at a member's exit (settled from savings, or waived) and reversing a
repayment (a reversed payroll batch)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.members.models import Member

from ..models import (
    Instalment,
    Loan,
    Repayment,
)
from .common import DISBURSE_ROLES, REPAY_ROLES, ZERO, LoanErrors, _line, _lock, _require_role
from .dues import _open_rows, loan_payoff_quote
from .repayment import (
    _after_payment,
    _pay_off,
    _payoff_repayment_new,
    _repayment_lines,
)

# --- exit settlement ----------------------------------------------------------------


def member_loans_settle_apply(
    *, member: Member, on: date, by, waive: bool = False, reason: str = ""
) -> list:
    """Close all the member's running loans for an exit settlement (called by
    ``core.savings.settlement`` inside its transaction). Without ``waive``: returns the
    credit lines (penalty and jasa due to income, principal to the receivable) that the
    savings payout balances, totalling ``selectors.member_loans_outstanding``. With
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
        q = loan_payoff_quote(loan=loan, on=on)
        rows = _open_rows(loan)
        m, memo = loan.member_id, loan.number
        if waive:
            principal = loan.principal_outstanding
            # capitalised jasa never earned is not a loss: its deferral is reversed
            deferred = loan.deferred_jasa
            if deferred > 0:
                lines.append(_line("deferred_jasa_income", debit=deferred, member_id=m, memo=memo))
            used = min(loan.ppap_amount, principal - deferred)
            if used > 0:
                lines.append(_line("ppap_allowance", debit=used, member_id=m, memo=memo))
            if principal - deferred - used > 0:
                lines.append(
                    _line("ppap_expense", debit=principal - deferred - used, member_id=m, memo=memo)
                )
            if principal > 0:
                lines.append(_line("loan_receivable", credit=principal, member_id=m, memo=memo))
            # brought-in jasa arrears (income of the old books) forgiven: a loss
            brought = loan.jasa_receivable
            if brought > 0:
                lines += [
                    _line("ppap_expense", debit=brought, member_id=m, memo=memo),
                    _line("loan_interest_receivable", credit=brought, member_id=m, memo=memo),
                ]
            for r in rows:
                r.principal_paid = r.principal
                r.jasa_waived = r.jasa - r.jasa_paid
                r.settled, r.settled_on = True, on
                r.save(update_fields=["principal_paid", "jasa_waived", "settled", "settled_on"])
            loan.ppap_amount -= used
            loan.principal_outstanding = ZERO
            loan.deferred_jasa = ZERO
            loan.jasa_receivable = ZERO
            loan.status = Loan.Status.CLOSED
            loan.closed_on = on
            loan.closed_by = Loan.ClosedBy.PAYOFF
            loan.days_past_due = 0
            loan.save()
            audit_log(
                actor=by,
                action="loan.writeoff",
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
        _pay_off(loan, rows, on, penalty=q["penalty"], jasa=q["jasa"])
        total = q["penalty"] + q["jasa"] + q["principal"]
        if total > 0:
            rep = _payoff_repayment_new(loan, q, on=on, channel=Repayment.Channel.SETTLEMENT, by=by)
            credit, _txns = _repayment_lines(loan, rep, q["principal"], by=by, on=on)
            lines += credit
        _after_payment(loan, q["principal"], on, closed_by=Loan.ClosedBy.PAYOFF)
        audit_log(
            actor=by,
            action="loan.settle.exit",
            target=loan,
            reason=reason,
            data={k: str(v) for k, v in q.items()},
        )
    return lines


def loan_repayment_reverse_apply(*, repayment: Repayment, on: date, by) -> Loan:
    """Undo a payroll repayment on the loan's schedule (for a deduction batch reversed as
    a whole; the journal entry is reversed by the caller with ``journal_reverse``). Only
    the loan's latest repayment, paid without re-amortising: its penalty, jasa and
    principal are taken back from the newest rows that hold them (payments fill rows
    oldest first, so this restores the rows exactly); a loan closed by it reopens. The
    repayment row stays (immutable); any sukarela credit of its excess is the caller's.
    Call inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("loan_repayment_reverse_apply must run inside a transaction")
    _require_role(by, DISBURSE_ROLES, _("membatalkan pembayaran pinjaman"))
    loan = _lock(repayment.loan)
    if repayment.excess_to == Repayment.ExcessTo.PRINCIPAL or repayment.kind != "instalment":
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Pembayaran %(r)s tidak dapat dibatalkan otomatis.") % {"r": repayment},
        )
    if Repayment.objects.filter(loan=loan, pk__gt=repayment.pk).exists():
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Pinjaman %(n)s sudah menerima pembayaran sesudah %(r)s; batalkan itu dulu.")
            % {"n": loan.number, "r": repayment},
        )
    rows = list(
        Instalment.objects.select_for_update()
        .filter(loan=loan, is_current=True)
        .order_by("-number")
    )
    left = {"penalty": repayment.penalty, "jasa": repayment.jasa, "principal": repayment.principal}
    for r in rows:
        changed = False
        for comp, attr in (
            ("penalty", "penalty_paid"),
            ("jasa", "jasa_paid"),
            ("principal", "principal_paid"),
        ):
            take = min(left[comp], getattr(r, attr))
            if take > 0:
                setattr(r, attr, getattr(r, attr) - take)
                left[comp] -= take
                changed = True
        if changed:
            if r.settled and (r.principal_left > 0 or r.jasa_left > 0):
                r.settled = False
                r.settled_on = None
            r.save(
                update_fields=[
                    "penalty_paid",
                    "jasa_paid",
                    "principal_paid",
                    "settled",
                    "settled_on",
                ]
            )
    if any(v != 0 for v in left.values()):
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Jadwal pinjaman %(n)s tidak cocok dengan pembayaran %(r)s.")
            % {"n": loan.number, "r": repayment},
        )
    loan.principal_outstanding += repayment.principal
    # the deferred jasa its principal earned is deferred again (its recognition lines are
    # in the entry the caller reverses)
    loan.deferred_jasa += repayment.deferred_jasa_recognised
    # and the brought-in jasa receivable it settled is owed again
    loan.jasa_receivable += repayment.jasa_receivable_settled
    fields = ["principal_outstanding", "deferred_jasa", "jasa_receivable", "updated_at"]
    if loan.status == Loan.Status.CLOSED:
        loan.status = Loan.Status.DISBURSED
        loan.closed_on = None
        loan.closed_by = ""
        fields += ["status", "closed_on", "closed_by"]
    loan.save(update_fields=fields)
    audit_log(
        actor=by,
        action="loan.repayment_reverse",
        target=loan,
        data={"repayment": repayment.pk, "amount": str(repayment.amount), "on": on.isoformat()},
    )
    return loan
