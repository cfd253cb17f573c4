"""Writing off (hapus buku) a bad loan of a member who stays, by the board's decision,
and money received on it later (recovery) — also on a loan waived at a deceased
member's exit, whose write-off record (route ``exit``) ``settlement`` makes.

How PPAP is booked here: each running loan carries the allowance it needs
(``Loan.ppap_amount``, set by the daily arrears run from its grade); the allowance account
(``ppap_allowance``, a contra asset) is the sum of those amounts, posted in aggregate by
the run (``selectors.loans_reconciliation`` ties them to the rupiah). So the allowance
"held for this loan" is exactly its ``ppap_amount``: the write-off uses that, never another
loan's share of the cooperative's balance; any principal beyond it is a loss of the day
(PPAP expense). The same lines as an exit's waiver (``writeoff_lines_apply``, shared with
``settlement``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import REASON_MAX_LENGTH, ApplicationError, reason_required
from core.common.money import format_rupiah
from core.ledger.models import ReceiptSeries
from core.ledger.services import journal_reverse, receipt_number_take
from core.loans.audit import LoanAudit

from .. import schedules as S
from ..models import Instalment, Loan, LoanRecovery, LoanWriteOff
from .common import (
    DISBURSE_ROLES,
    REPAY_ROLES,
    ZERO,
    LoanErrors,
    R,
    _line,
    _lock,
    _post,
    _require_role,
    _whole_positive,
    check_loan_date,
    check_loan_event_date,
)
from .dues import _open_rows
from .reversal import (
    _check_period_open,
    _check_reversal_date,
    _period_closed_refusal,
    reversal_reason_clean,
)

# the board's decision: the chair signs it, as he approves loans (``APPROVE_ROLES``)
WRITE_OFF_ROLES = frozenset({R.KETUA})
RECOVERY_ROLES = REPAY_ROLES
# a recovery entered by mistake is reversed as other loan entries are (bendahara, admin)
RECOVERY_REVERSE_ROLES = DISBURSE_ROLES
DECISION_REF_MAX = 100


def writeoff_lines_apply(loan: Loan, rows: list[Instalment], on: date) -> tuple[list, dict]:
    """Close ``loan`` (locked) as written off on ``on`` and return the journal lines
    (balancing by themselves) and the amounts: the deferred jasa of a restructuring
    reversed (never earned, not a loss), the allowance held for the loan used first, the
    rest of the principal to PPAP expense, the receivable credited; the jasa arrears
    brought in at a move-in (income of the old books) written off to PPAP expense too.
    Its open ``rows`` are settled (jasa waived) so nothing asks for them again.
    Shared by the exit's waiver and ``loan_write_off``."""
    m, memo = loan.member_id, loan.number
    principal = loan.principal_outstanding
    deferred = loan.deferred_jasa
    used = min(loan.ppap_amount, principal - deferred)
    expense = principal - deferred - used
    brought = loan.jasa_receivable
    lines: list = []
    # no cash moves: marked non_cash, so inside an exit settlement's cash entry the
    # write-off is no receipt of principal and no payment of PPAP in the cash flow
    kw = {"member_id": m, "memo": memo, "non_cash": True}
    if deferred > 0:
        lines.append(_line("deferred_jasa_income", debit=deferred, **kw))
    if used > 0:
        lines.append(_line("ppap_allowance", debit=used, **kw))
    if expense > 0:
        lines.append(_line("ppap_expense", debit=expense, **kw))
    if principal > 0:
        lines.append(_line("loan_receivable", credit=principal, **kw))
    if brought > 0:
        lines += [
            _line("ppap_expense", debit=brought, **kw),
            _line("loan_interest_receivable", credit=brought, **kw),
        ]
    rows_before = [[r.pk, str(r.principal_paid), str(r.jasa_waived)] for r in rows]
    for r in rows:
        r.principal_paid = r.principal
        r.jasa_waived = r.jasa - r.jasa_paid
        r.settled, r.settled_on = True, on
        r.save(update_fields=["principal_paid", "jasa_waived", "settled", "settled_on"])
    amounts = {
        "principal": principal,
        "deferred_jasa": deferred,
        "deferred_penalty": loan.deferred_penalty,
        "ppap_used": used,
        "expense": expense,
        "jasa_receivable": brought,
        "rows_before": rows_before,
        "loan_before": {
            "kolektibilitas": loan.kolektibilitas,
            "days_past_due": loan.days_past_due,
            "ppap_amount": str(loan.ppap_amount),
        },
    }
    loan.ppap_amount -= used
    loan.principal_outstanding = ZERO
    loan.deferred_jasa = ZERO
    loan.deferred_penalty = ZERO
    loan.jasa_receivable = ZERO
    loan.status = Loan.Status.CLOSED
    loan.closed_on = on
    loan.closed_by = Loan.ClosedBy.WRITEOFF
    loan.days_past_due = 0
    loan.save()
    return lines, amounts


def write_off_refusal(loan: Loan) -> ApplicationError | None:
    """Why ``loan`` cannot be written off now (None: it can): only a running loan graded
    Macet by the latest arrears run. The loan page asks it before showing the button."""
    if loan.status != Loan.Status.DISBURSED:
        return ApplicationError(
            LoanErrors.NOT_RUNNING,
            _("Pinjaman %(n)s berstatus %(s)s; hanya pinjaman berjalan yang dapat dihapusbukukan.")
            % {"n": loan.number, "s": loan.status_label},
            status=409,
        )
    if loan.kolektibilitas != S.Kolektibilitas.MACET:
        return ApplicationError(
            LoanErrors.WRITE_OFF_NOT_MACET,
            _(
                "Pinjaman %(n)s berkolektibilitas %(k)s menurut perhitungan tunggakan "
                "terakhir; hanya pinjaman Macet yang dapat dihapusbukukan."
            )
            % {"n": loan.number, "k": loan.get_kolektibilitas_display()},
            status=409,
        )
    return None


def write_off_preview(loan: Loan) -> dict[str, Decimal]:
    """The amounts a write-off of ``loan`` today would book (the confirmation page)."""
    principal, deferred = loan.principal_outstanding, loan.deferred_jasa
    used = min(loan.ppap_amount, principal - deferred)
    return {
        "principal": principal,
        "deferred_jasa": deferred,
        "ppap_used": used,
        "expense": principal - deferred - used + loan.jasa_receivable,
        "jasa_receivable": loan.jasa_receivable,
        "total": principal + loan.jasa_receivable,
    }


def _decision_ref_clean(value: Any) -> str:
    text = str(value or "").strip()
    if not text:
        raise ApplicationError(
            LoanErrors.REASON_REQUIRED,
            _("Nomor keputusan pengurus wajib diisi."),
            fields={"decision_ref": [_("Wajib diisi.")]},
        )
    if len(text) > DECISION_REF_MAX:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Nomor keputusan pengurus paling panjang %(n)s karakter.") % {"n": DECISION_REF_MAX},
            fields={"decision_ref": [_("Terlalu panjang.")]},
        )
    return text


@transaction.atomic
def loan_write_off(*, loan: Loan, by, on: date, reason: str, decision_ref: str) -> LoanWriteOff:
    """Write off (hapus buku) a running loan graded Macet by the latest arrears run, by
    the board's decision (the chair records it), while the member stays. One entry dated
    ``on`` (an open month): Dr deferred jasa income (a restructuring's capitalised jasa,
    reversed), Dr PPAP up to the allowance held for this loan (its ``ppap_amount``: the
    allowance account is the sum of those, see the module's note), Dr PPAP expense for any
    principal beyond it, Cr loan receivable (the principal outstanding); the jasa arrears
    brought in at a move-in, if any, Dr PPAP expense / Cr jasa receivable. Jasa on the
    schedule is booked as it is paid here (no accrual), so nothing else is receivable.
    The loan is closed (``ClosedBy.WRITEOFF``; its rows settled, so no payroll list asks
    for them); the member and their savings are untouched. Undone only by
    ``loan_write_off_reverse``."""
    _require_role(by, WRITE_OFF_ROLES, _("menghapusbukukan pinjaman"))
    reason = reason_required(
        reason,
        code=LoanErrors.REASON_REQUIRED,
        message=_("Alasan hapus buku wajib diisi."),
        max_length=REASON_MAX_LENGTH,
    )
    decision_ref = _decision_ref_clean(decision_ref)
    on = on or timezone.localdate()
    loan = _lock(loan)
    refusal = write_off_refusal(loan)
    if refusal is not None:
        raise refusal
    on = check_loan_event_date(
        loan,
        on,
        label=_("Tanggal hapus buku"),
        after_payments=True,
        note=_("Hapus buku menutup pinjaman pada tanggalnya."),
    )
    # a loan written off again after a reversal: its own reference
    n = loan.write_offs.count() + 1
    lines, amounts = writeoff_lines_apply(loan, _open_rows(loan), on)
    entry = _post(
        on=on,
        description=_("Hapus buku pinjaman %(n)s - %(m)s (keputusan pengurus %(k)s)")
        % {"n": loan.number, "m": loan.member.full_name, "k": decision_ref},
        lines=lines,
        source_ref=f"loan-writeoff:{loan.pk}" + (f":{n}" if n > 1 else ""),
        by=by,
    )
    wo = LoanWriteOff.objects.create(
        loan=loan,
        on=on,
        reason=reason,
        decision_ref=decision_ref,
        principal=amounts["principal"],
        jasa_receivable=amounts["jasa_receivable"],
        deferred_jasa=amounts["deferred_jasa"],
        deferred_penalty=amounts["deferred_penalty"],
        ppap_used=amounts["ppap_used"],
        expense=amounts["expense"] + amounts["jasa_receivable"],
        loan_before=amounts["loan_before"],
        rows_before=amounts["rows_before"],
        entry=entry,
        by=by,
    )
    audit_log(
        actor=by,
        action=LoanAudit.WRITEOFF,
        target=loan,
        reason=reason,
        data={
            "write_off": wo.pk,
            "decision_ref": decision_ref,
            "on": on.isoformat(),
            "principal": str(wo.principal),
            "ppap_used": str(wo.ppap_used),
            "ppap_expense": str(wo.expense),
            "deferred_jasa_reversed": str(wo.deferred_jasa),
            "jasa_receivable_written_off": str(wo.jasa_receivable),
            "entry": entry.pk,
        },
    )
    return wo


def write_off_in_force(loan: Loan) -> LoanWriteOff | None:
    return loan.write_offs.filter(reversal_entry__isnull=True).first()


def write_off_reversal_refusal(wo: LoanWriteOff) -> ApplicationError | None:
    """Why this write-off cannot be reversed (None: it can): reversed already, made at a
    member's exit (the exit settlement's entry holds it, with the member's savings paid
    out), money received on it since, or its month closed."""
    if wo.reversal_entry_id is not None:
        return ApplicationError(
            LoanErrors.ALREADY_REVERSED, _("Hapus buku ini sudah dibatalkan."), status=409
        )
    if wo.route == LoanWriteOff.Route.EXIT:
        return ApplicationError(
            LoanErrors.WRITE_OFF_AT_EXIT,
            _(
                "Pinjaman %(n)s dihapusbukukan pada penyelesaian keluar anggota (%(d)s); "
                "hapus buku ini tidak dapat dibatalkan sendiri."
            )
            % {"n": wo.loan.number, "d": format_tanggal(wo.on)},
            status=409,
        )
    if wo.recoveries.filter(reversal_entry__isnull=True).exists():
        return ApplicationError(
            LoanErrors.REVERSAL_LATER,
            _(
                "Sudah ada penerimaan atas pinjaman %(n)s setelah hapus buku; hapus buku "
                "tidak dapat dibatalkan."
            )
            % {"n": wo.loan.number},
            status=409,
        )
    if wo.loan.topped_up_by.exclude(status=Loan.Status.REJECTED).exists():
        return ApplicationError(
            LoanErrors.REVERSAL_LATER,
            _("Pinjaman %(n)s sudah di-top-up; hapus buku tidak dapat dibatalkan.")
            % {"n": wo.loan.number},
            status=409,
        )
    return None


@transaction.atomic
def loan_write_off_reverse(*, write_off: LoanWriteOff, by, reason: str, on: date | None = None):
    """Undo a write-off booked in error: its entry reversed as the loans module (in an
    open month; the write-off's own month must be open too) and the loan running again as
    it was (principal, deferred jasa, jasa receivable, its allowance, its rows). Refused
    once money was received on it (``write_off_reversal_refusal``). The grade and PPAP
    follow at the next arrears run, as after any reversal."""
    _require_role(by, WRITE_OFF_ROLES, _("membatalkan hapus buku pinjaman"))
    reason = reason_required(
        reason,
        code=LoanErrors.REASON_REQUIRED,
        message=_("Alasan pembatalan wajib diisi."),
        max_length=REASON_MAX_LENGTH,
    )
    on = on or timezone.localdate()
    loan = _lock(write_off.loan)
    wo = LoanWriteOff.objects.select_for_update().get(pk=write_off.pk)
    refusal = write_off_reversal_refusal(wo)
    if refusal is not None:
        raise refusal
    _check_reversal_date(on, wo.on)
    _check_period_open(wo.on, _("Hapus buku"))
    rev = journal_reverse(entry=wo.entry, on=on, reason=reason, by=by, module="loan")
    before = {int(pk): (Decimal(pp), Decimal(jw)) for pk, pp, jw in wo.rows_before}
    for r in Instalment.objects.select_for_update().filter(pk__in=list(before)).order_by("pk"):
        r.principal_paid, r.jasa_waived = before[r.pk]
        r.settled, r.settled_on = False, None
        r.save(update_fields=["principal_paid", "jasa_waived", "settled", "settled_on"])
    loan.status = Loan.Status.DISBURSED
    loan.closed_on = None
    loan.closed_by = ""
    loan.principal_outstanding = wo.principal
    loan.deferred_jasa = wo.deferred_jasa
    loan.deferred_penalty = wo.deferred_penalty
    loan.jasa_receivable = wo.jasa_receivable
    loan.ppap_amount += wo.ppap_used
    loan.kolektibilitas = wo.loan_before.get("kolektibilitas", loan.kolektibilitas)
    loan.days_past_due = int(wo.loan_before.get("days_past_due", 0))
    loan.save()
    wo.reversed_on, wo.reversal_reason, wo.reversal_entry, wo.reversed_by = on, reason, rev, by
    wo.save(update_fields=["reversed_on", "reversal_reason", "reversal_entry", "reversed_by"])
    audit_log(
        actor=by,
        action=LoanAudit.WRITEOFF_REVERSE,
        target=loan,
        reason=reason,
        data={"write_off": wo.pk, "entry": wo.entry_id, "reversal_entry": rev.pk},
    )
    return wo


# --- recovery -----------------------------------------------------------------------


def write_off_recovered(wo: LoanWriteOff) -> Decimal:
    """The money received on ``wo`` and not reversed."""
    return wo.recoveries.filter(reversal_entry__isnull=True).aggregate(s=Sum("amount"))["s"] or ZERO


def write_off_summary(loan: Loan) -> dict | None:
    """What the loan page shows of a write-off in force: the amount written off, the
    recoveries so far (not reversed) and what remains, and every recovery, a reversed one
    marked (None: not written off by the board)."""
    wo = write_off_in_force(loan)
    if wo is None:
        return None
    recovered = write_off_recovered(wo)
    return {
        "write_off": wo,
        "amount": wo.amount,
        "recovered": recovered,
        "remaining": wo.amount - recovered,
        "recoveries": list(wo.recoveries.select_related("reversed_by").order_by("paid_on", "id")),
    }


@transaction.atomic
def loan_recovery_receive(
    *,
    loan: Loan,
    amount: Any,
    by,
    on: date | None = None,
    channel: str = LoanRecovery.Channel.COUNTER,
) -> LoanRecovery:
    """Money received on a loan written off (by the board, or waived at the member's exit:
    the heirs paying later; cash at the counter or a bank transfer): Dr cash/bank, Cr other income (penerimaan piutang dihapusbukukan), with a
    receipt of the loan repayment series. The loan stays closed. At most what remains of
    the amount written off."""
    _require_role(by, RECOVERY_ROLES, _("menerima pembayaran pinjaman dihapusbukukan"))
    if channel not in LoanRecovery.Channel.values:
        raise ApplicationError(
            LoanErrors.INVALID, _("Cara bayar tidak dikenal."), fields={"channel": [_("Pilih.")]}
        )
    amt = _whole_positive(amount, field="amount", label=_("Jumlah"))
    loan = _lock(loan)
    wo = write_off_in_force(loan)
    if wo is None:
        raise ApplicationError(
            LoanErrors.NOT_WRITTEN_OFF,
            _(
                "Pinjaman %(n)s tidak dihapusbukukan oleh keputusan pengurus; penerimaan "
                "pinjaman dihapusbukukan tidak dapat dicatat atasnya."
            )
            % {"n": loan.number},
            status=409,
        )
    on = check_loan_date(on or timezone.localdate(), field="on", label=_("Tanggal terima"))
    if on < wo.on:
        raise ApplicationError(
            LoanErrors.DATE_INVALID,
            _("Tanggal terima %(d)s sebelum tanggal hapus buku (%(w)s).")
            % {"d": format_tanggal(on), "w": format_tanggal(wo.on)},
            fields={"on": [_("Paling awal %(w)s.") % {"w": format_tanggal(wo.on)}]},
        )
    remaining = wo.amount - write_off_recovered(wo)
    if amt > remaining:
        raise ApplicationError(
            LoanErrors.RECOVERY_TOO_LARGE,
            _(
                "Jumlah %(a)s melebihi sisa pinjaman %(n)s yang dihapusbukukan (%(r)s); "
                "tidak ada yang dicatat."
            )
            % {"a": format_rupiah(amt), "n": loan.number, "r": format_rupiah(remaining)},
            fields={"amount": [_("Paling banyak %(r)s.") % {"r": format_rupiah(remaining)}]},
        )
    rec = LoanRecovery(loan=loan, write_off=wo, paid_on=on, channel=channel, amount=amt, by=by)
    # the number first (its series is locked in this transaction), then the row
    ref = f"loan-recovery:{loan.pk}:{LoanRecovery.objects.filter(loan=loan).count() + 1}"
    rec.receipt_number = receipt_number_take(
        kind=ReceiptSeries.Kind.LOAN_REPAYMENT, on=on, source_ref=ref
    )
    debit = "cash" if channel == LoanRecovery.Channel.COUNTER else "bank"
    rec.entry = _post(
        on=on,
        description=_("Penerimaan piutang dihapusbukukan %(n)s - %(m)s")
        % {"n": loan.number, "m": loan.member.full_name},
        lines=[
            _line(debit, debit=amt, member_id=loan.member_id, memo=loan.number),
            _line("other_income", credit=amt, member_id=loan.member_id, memo=loan.number),
        ],
        source_ref=ref,
        by=by,
    )
    rec.save()
    audit_log(
        actor=by,
        action=LoanAudit.WRITEOFF_RECOVERY,
        target=loan,
        data={
            "recovery": rec.pk,
            "amount": str(amt),
            "receipt": rec.receipt_number,
            "remaining": str(remaining - amt),
            "entry": rec.entry_id,
        },
    )
    return rec


def recovery_reversal_refusal(recovery: LoanRecovery) -> ApplicationError | None:
    """Why ``recovery`` cannot be reversed (None: it can): reversed already, or its month
    closed. Shared by the service and the loan page (which offers *Batalkan* only when
    None)."""
    if recovery.reversal_entry_id is not None:
        return ApplicationError(
            LoanErrors.ALREADY_REVERSED,
            _("Penerimaan %(r)s sudah dibatalkan.") % {"r": recovery.receipt_number},
            status=409,
        )
    return _period_closed_refusal(
        recovery.paid_on, _("Penerimaan %(r)s") % {"r": recovery.receipt_number}
    )


@transaction.atomic
def loan_recovery_reverse(
    *, recovery: LoanRecovery, by, reason: str, on: date | None = None
) -> LoanRecovery:
    """Reverse a recovery entered by mistake (bendahara, admin, as other loan reversals):
    its entry (Dr cash/bank, Cr other income) reversed as the loans module on ``on`` (an
    open month; the recovery's own month must be open too), the recovery marked reversed
    (the receipt stays, shown cancelled), no longer counted as recovered: what remains
    written off goes back up, and the write-off may be reversed again once no recovery
    stands. The loan stays closed."""
    _require_role(by, RECOVERY_REVERSE_ROLES, _("membatalkan penerimaan pinjaman dihapusbukukan"))
    reason = reversal_reason_clean(reason)
    loan = _lock(recovery.loan)  # the loan first, as every loan service locks
    rec = LoanRecovery.objects.select_for_update().select_related("entry").get(pk=recovery.pk)
    refusal = recovery_reversal_refusal(rec)
    if refusal is not None:
        raise refusal
    on = on or timezone.localdate()
    _check_reversal_date(on, rec.entry.date)
    _check_period_open(rec.entry.date, _("Penerimaan %(r)s") % {"r": rec.receipt_number})
    rev = journal_reverse(
        entry=rec.entry, on=on, reason=f"{rec.receipt_number}: {reason}", by=by, module="loan"
    )
    rec.reversed_on, rec.reversal_reason, rec.reversal_entry, rec.reversed_by = on, reason, rev, by
    rec.save(update_fields=["reversed_on", "reversal_reason", "reversal_entry", "reversed_by"])
    remaining = rec.write_off.amount - write_off_recovered(rec.write_off)
    audit_log(
        actor=by,
        action=LoanAudit.WRITEOFF_RECOVERY_REVERSE,
        target=loan,
        reason=reason,
        data={
            "recovery": rec.pk,
            "receipt": rec.receipt_number,
            "amount": str(rec.amount),
            "remaining": str(remaining),
            "entry": rec.entry_id,
            "reversal_entry": rev.pk,
        },
    )
    return rec
