"""Disbursement (fees, wajib pinjam, the schedule fixed) and top-up."""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.common.money import format_rupiah
from core.ledger.models import ReceiptSeries
from core.ledger.services import receipt_number_take
from core.loans.audit import LoanAudit
from core.members.models import Member

from .. import schedules as S
from ..arrears import restructured_grades, restructured_on_probation
from ..models import (
    Loan,
    LoanSettings,
    Repayment,
)
from .applications import loan_limits_recheck, product_fees
from .common import (
    DISBURSE_ROLES,
    ZERO,
    LoanErrors,
    _expect_status,
    _instalments_create,
    _line,
    _link_savings,
    _lock,
    _notify,
    _post,
    _require_role,
    check_first_due_date,
    check_loan_date,
    loan_event_date_refusal,
    savings_credit,
)
from .dues import _open_rows, loan_payoff_quote
from .repayment import (
    _pay_off,
    _payoff_repayment_new,
    deferred_penalty_part,
    deferred_recognition_lines,
    jasa_ahead_lines,
)
from .rescheduling import capitalised_credit_lines, restructure_grade

# --- disbursement -------------------------------------------------------------------


@transaction.atomic
def loan_disburse(
    *,
    loan: Loan,
    by,
    on: date | None = None,
    via: str = Loan.Channel.CASH,
    first_due_date: date | None = None,
):
    """Pay out an approved loan: posts the entry (receivable; cash/bank out net of fees;
    fee incomes, insurance payable, risk fund; wajib pinjam to the member's savings; for a
    top-up, the old loan settled first) and fixes the schedule. Returns the entry."""
    _require_role(by, DISBURSE_ROLES, _("mencairkan pinjaman"))
    on = check_loan_date(on or timezone.localdate(), field="on", label=_("Tanggal pencairan"))
    loan = _lock(loan)
    _expect_status(loan, Loan.Status.APPROVED, code=LoanErrors.NOT_APPROVED)
    if via not in Loan.Channel.values:
        raise ApplicationError(LoanErrors.INVALID, _("Cara pencairan tidak dikenal."))
    if on < loan.applied_on:
        raise ApplicationError(LoanErrors.DATE_INVALID, _("Tanggal pencairan sebelum pengajuan."))
    check_not_before_approval(loan, on)
    first_due = check_first_due_date(first_due_date or S.add_months(on, 1), start=on)
    if loan.member.status != Member.Status.ACTIVE:
        raise ApplicationError(LoanErrors.MEMBER_NOT_ACTIVE, _("Anggota tidak aktif."))
    Member.objects.select_for_update().filter(pk=loan.member_id).first()  # as at apply
    loan_limits_recheck(loan, on=on)
    product = loan.product
    fees = product_fees(product, loan.principal)
    member_id = loan.member_id
    lines = [_line("loan_receivable", debit=loan.principal, member_id=member_id, memo=loan.number)]
    fee_roles = {
        "admin_fee": "admin_fee_income",
        "provisi": "provisi_income",
        "insurance": "insurance_payable",
        "risk_fund": "risk_fund",
    }
    # the fees are cut from the principal, not received in cash: each fee's credit and the
    # part of the receivable that pays it are a marked non-cash pair (``non_cash``; the
    # receivable's part is split off below), so the cash flow shows the cash paid out
    # and no receipt of fees
    for name, role in fee_roles.items():
        if fees[name] > 0:
            lines.append(
                _line(role, credit=fees[name], member_id=member_id, memo=loan.number, non_cash=True)
            )
    savings_txns: list = []
    if fees["wajib_pinjam"] > 0:
        more, savings_txns = savings_credit(
            member=loan.member,
            kind="wajib",
            amount=fees["wajib_pinjam"],
            on=on,
            by=by,
            memo=_("Wajib pinjam %s") % loan.number,
        )
        lines += [replace(x, non_cash=True) for x in more]
    settlement = ZERO
    old = None
    topup: TopupSettlement | None = None
    if loan.topup_of_id:
        old = _lock(loan.topup_of)
        if old.status != Loan.Status.DISBURSED:
            raise ApplicationError(
                LoanErrors.TOPUP_INVALID,
                _("Pinjaman lama yang akan di-top-up sudah tidak berjalan."),
            )
        _check_topup_date(old, on)
        topup = topup_settlement(old=old, on=on)
        settlement = topup.amount
        # the old loan is settled by the new principal, not in cash: its credits (the
        # principal, the jasa and penalty earned or capitalised; the pairs inside it,
        # already marked, stay so) are marked non_cash
        lines += [replace(x, non_cash=True) for x in topup.lines]
    # the fees and wajib pinjam cut (above) and a top-up's settlement of the old loan are
    # paid by that much of the new principal, not in cash: the pairs marked non_cash, the
    # rest of the principal (what the member is paid) the cash-flow payment
    not_cash = sum((x.credit - x.debit for x in lines if x.non_cash), ZERO)
    if not_cash > 0:
        lines[0] = replace(lines[0], debit=loan.principal - not_cash)
        lines.append(
            _line(
                "loan_receivable",
                debit=not_cash,
                member_id=member_id,
                memo=loan.number,
                non_cash=True,
            )
        )
    net = loan.principal - sum(fees.values(), ZERO) - settlement
    if net <= 0:
        raise ApplicationError(
            LoanErrors.NET_NOT_POSITIVE,
            _("Jumlah diterima bersih %(n)s tidak positif (biaya dan pelunasan melebihi pokok).")
            % {"n": format_rupiah(net)},
        )
    lines.append(
        _line(
            "cash" if via == Loan.Channel.CASH else "bank",
            credit=net,
            member_id=member_id,
            memo=loan.number,
        )
    )
    # the disbursement voucher's number: its own series, in this posting's transaction
    # (a loan disbursed again after its disbursement was reversed: :2, :3, ...)
    again = loan.reversals.filter(kind="disbursement").count()
    ref = f"loan:{loan.pk}:disburse" + (f":{again + 1}" if again else "")
    voucher = receipt_number_take(kind=ReceiptSeries.Kind.DISBURSEMENT, on=on, source_ref=ref)
    entry = _post(
        on=on,
        description=_("Pencairan pinjaman %(n)s - %(m)s (%(v)s)")
        % {"n": loan.number, "m": loan.member.full_name, "v": voucher},
        lines=lines,
        source_ref=ref,
        by=by,
    )
    _link_savings(savings_txns, entry)
    sched = S.build_schedule(
        method=loan.method,
        principal=loan.principal,
        rate=S.monthly_rate(loan.rate, loan.rate_period),
        tenor=loan.tenor,
        first_due=first_due,
        day=S.due_day(on, first_due),  # paid out on the 31st: due at each month's end
    )
    _instalments_create(loan, sched, version=loan.schedule_version)  # 1, or after a reversal
    if old is not None and topup is not None:
        _settle_for_topup(
            old=old,
            new=loan,
            parts=topup.parts,
            on=on,
            entry=entry,
            by=by,
            restructured=topup.restructured,
            jasa_deferred=topup.restructured and not topup.probation,
        )
    loan.status = Loan.Status.DISBURSED
    loan.disbursed_on = on
    loan.disbursed_by = by
    loan.disbursed_via = via
    loan.disbursement_entry = entry
    for name, amount in fees.items():
        setattr(loan, name, amount)
    loan.topup_settlement = settlement
    loan.net_disbursed = net
    loan.first_due_date = first_due
    loan.principal_outstanding = loan.principal
    if topup is not None and topup.restructured:
        loan.deferred_jasa = topup.carried
        loan.deferred_penalty = topup.carried_penalty
        loan.restructured_grade = topup.grade
        loan.restructured_on = on
        loan.kolektibilitas = topup.grade
    loan.save()
    audit_log(
        actor=by,
        action=LoanAudit.DISBURSE,
        target=loan,
        data={
            "entry": entry.pk,
            "principal": str(loan.principal),
            "fees": {k: str(v) for k, v in fees.items()},
            "topup_settlement": str(settlement),
            "deferred_jasa": str(loan.deferred_jasa),
            "deferred_penalty": str(loan.deferred_penalty),
            "restructured_grade": loan.restructured_grade,
            "net": str(net),
            "via": via,
        },
    )
    _notify(
        loan,
        lambda: (
            _("Pinjaman %s dicairkan") % loan.number,
            _(
                "Pinjaman Anda telah dicairkan (bukti %(v)s): diterima bersih %(n)s; angsuran pertama %(i)s jatuh tempo %(d)s."
            )
            % {
                "v": voucher,
                "n": format_rupiah(net),
                "i": format_rupiah(sched.first_instalment),
                "d": format_tanggal(first_due),
            },
        ),
    )
    return entry


@dataclass(frozen=True)
class TopupSettlement:
    """How a top-up settles its old loan on a date (``topup_settlement``): what the
    disbursement posts and what its confirmation shows, from one calculation.

    ``parts``: the payoff quote's penalty, jasa and principal; ``amount``: what the new
    loan's principal pays for them (less the jasa paid ahead); ``lines``: the ledger lines
    settling the old loan. A top-up of a loan in arrears is a restructuring: ``grade`` is
    the grade the new loan inherits ("" when nothing is overdue), ``capitalised`` the
    overdue jasa and penalty deferred instead of earned, ``carried`` the new loan's
    ``deferred_jasa`` (``capitalised`` and the old loan's own deferred jasa), and
    ``carried_penalty`` its ``deferred_penalty``: the penalty of those (the overdue
    penalty capitalised and the old loan's own deferred penalty), recognised as penalty
    income as the new loan is repaid. A top-up of a restructured loan still on its
    probation (``probation``; nothing overdue) is a restructuring too: ``grade`` is the
    grade the old loan keeps, nothing is capitalised, and the new loan carries the old
    loan's deferred jasa and penalty. Otherwise: ``recognised_penalty`` is the part of the
    old loan's deferred amount the settlement earns as penalty income."""

    parts: dict[str, Decimal]
    amount: Decimal
    lines: list
    grade: str = ""
    capitalised: Decimal = ZERO
    carried: Decimal = ZERO
    old_deferred: Decimal = ZERO
    carried_penalty: Decimal = ZERO
    recognised_penalty: Decimal = ZERO
    probation: bool = False

    @property
    def restructured(self) -> bool:
        return bool(self.grade)


def topup_settlement(*, old: Loan, on: date) -> TopupSettlement:
    """The settlement of ``old`` by a top-up disbursed on ``on`` (reads only: the caller
    locks ``old`` when it posts). The old loan's payoff quote; when it has an instalment
    unpaid past its due date, its overdue jasa and penalty are paid by the new loan's
    principal, not in cash: capitalised, not income (as a reschedule: deferred,
    recognised as the new loan is repaid); the old loan's deferred jasa stays deferred,
    carried by the new loan, which keeps the old loan's grade until it pays on time. A
    restructured loan still on its probation with nothing overdue: its quote is earned as
    any top-up's, but its deferred jasa and penalty are carried, not earned (paid by new
    credit, not cash), and the new loan keeps its grade (restarting the probation)."""
    member_id = old.member_id
    q = loan_payoff_quote(loan=old, on=on)
    parts = {"penalty": q["penalty"], "jasa": q["jasa"], "principal": q["principal"]}
    # the jasa paid ahead on the old loan's rows not yet due counts toward its principal
    # (its own marked pair: the receivable is credited below with the rest only)
    amount = sum(parts.values(), ZERO) - q["jasa_paid_ahead"]
    lines = jasa_ahead_lines(old, q["jasa_paid_ahead"])
    rest = {**parts, "principal": parts["principal"] - q["jasa_paid_ahead"]}
    old_rows = _open_rows(old)
    if any(r.due_date < on for r in old_rows):
        more, _brought, capitalised = capitalised_credit_lines(
            old, jasa=parts["jasa"], penalty=parts["penalty"]
        )
        # paid by new credit, not cash (``loan_disburse`` marks every settlement line
        # and the new loan's receivable that pays them)
        lines += [replace(x, non_cash=True) for x in more]
        if rest["principal"] > 0:
            lines.append(
                _line(
                    "loan_receivable",
                    credit=rest["principal"],
                    member_id=member_id,
                    memo=old.number,
                )
            )
        return TopupSettlement(
            parts=parts,
            amount=amount,
            lines=lines,
            grade=restructure_grade(old, old_rows, on),
            capitalised=capitalised,
            carried=capitalised + old.deferred_jasa,
            old_deferred=old.deferred_jasa,
            carried_penalty=parts["penalty"] + old.deferred_penalty,
        )
    lines += _settlement_lines(old, rest)
    if restructured_on_probation(old, on):
        # the grade it keeps on ``on`` (its probation's floor), never better than its
        # last run's grade
        floor = restructured_grades(
            LoanSettings.get(),
            {old.pk: (old.restructured_grade, restructure_grade(old, old_rows, on))},
            on,
        )[old.pk]
        return TopupSettlement(
            parts=parts,
            amount=amount,
            lines=lines,
            grade=floor.value,
            carried=old.deferred_jasa,
            old_deferred=old.deferred_jasa,
            carried_penalty=old.deferred_penalty,
            probation=True,
        )
    # the old loan's deferred amount is earned (it is paid off): its penalty part to
    # penalty income, the rest to jasa income (the rule of every repayment); read on a
    # copy, the caller's loan is closed by ``_settle_for_topup``
    penalty = deferred_penalty_part(old, old.deferred_jasa)
    lines += deferred_recognition_lines(copy(old), recognised=old.deferred_jasa, penalty=penalty)
    return TopupSettlement(parts=parts, amount=amount, lines=lines, recognised_penalty=penalty)


def _settlement_lines(old: Loan, parts: dict[str, Decimal]) -> list:
    """The credits of a top-up settling ``old`` with nothing overdue: its penalty and jasa
    earned (the brought-in jasa receivable of a move-in settled first), its principal."""
    brought = min(parts["jasa"], old.jasa_receivable)
    lines = []
    for part, role in (
        (parts["penalty"], "penalty_income"),
        (brought, "loan_interest_receivable"),
        (parts["jasa"] - brought, "loan_interest_income"),
        (parts["principal"], "loan_receivable"),
    ):
        if part > 0:
            lines.append(_line(role, credit=part, member_id=old.member_id, memo=old.number))
    return lines


def check_not_before_approval(loan: Loan, on: date) -> None:
    """A loan is paid out on or after the day the chair approved it (``approved_on``, the
    date the chair entered, possibly earlier than the click). Brought-in loans of a move-in never pass here: they arrive disbursed."""
    approved_on = loan.approved_on
    if approved_on is None:  # an approved loan always has it; nothing to compare
        return
    if on < approved_on:
        msg = _(
            "Tanggal pencairan %(on)s sebelum persetujuan ketua (%(approved)s); "
            "pinjaman hanya dapat dicairkan pada atau setelah tanggal persetujuan."
        ) % {"on": format_tanggal(on), "approved": format_tanggal(approved_on)}
        raise ApplicationError(LoanErrors.DATE_INVALID, msg, fields={"on": [msg]})


def _check_topup_date(old: Loan, on: date) -> None:
    """The top-up settles the old loan on its own disbursement date: not before the old
    loan's floor (``loan_event_floor``: paid out, a move-in's cut-over, its last
    reschedule) nor its last payment (the settlement would precede money that had not
    gone out yet, a schedule in force, or a payment already on its statement)."""
    refusal = loan_event_date_refusal(
        old,
        on,
        label=_("Tanggal pencairan top-up"),
        after_payments=True,
        note=_("Top-up melunasi pinjaman lama pada tanggal pencairannya."),
    )
    if refusal is not None:
        raise refusal


def _settle_for_topup(
    *,
    old: Loan,
    new: Loan,
    parts: dict,
    on: date,
    entry,
    by,
    restructured: bool = False,
    jasa_deferred: bool = False,
) -> None:
    """Close the old loan of a top-up (its rows paid off, a repayment of the settlement).
    ``restructured``: a top-up of a loan in arrears or on probation, whose deferred jasa
    the new loan carries: not earned by the settlement; ``jasa_deferred``: its jasa
    capitalised too (in arrears)."""
    before, ahead = _pay_off(old, _open_rows(old), on, penalty=parts["penalty"], jasa=parts["jasa"])
    if sum(parts.values(), ZERO) > 0:
        rep = _payoff_repayment_new(
            old,
            parts,
            on=on,
            channel=Repayment.Channel.TOPUP,
            by=by,
            entry=entry,
            penalty_rows_before=before,
            jasa_ahead_rows=ahead,
            deferred_jasa_recognised=ZERO if restructured else None,
            jasa_deferred=jasa_deferred,
        )
        old.jasa_receivable -= rep.jasa_receivable_settled
    old.principal_outstanding = ZERO
    old.deferred_jasa = ZERO
    old.deferred_penalty = ZERO
    old.status = Loan.Status.CLOSED
    old.closed_on = on
    old.closed_by = Loan.ClosedBy.TOPUP
    old.days_past_due = 0
    old.save(
        update_fields=[
            "principal_outstanding",
            "deferred_jasa",
            "deferred_penalty",
            "jasa_receivable",
            "status",
            "closed_on",
            "closed_by",
            "days_past_due",
            "updated_at",
        ]
    )
    audit_log(
        actor=by,
        action=LoanAudit.CLOSE_TOPUP,
        target=old,
        data={"new_loan": new.number, **{k: str(v) for k, v in parts.items()}},
    )
