"""Reversing a loan's own entries: a repayment or early payoff taken at the counter or by
bank (``loan_repayment_reverse``), a disbursement not yet repaid with its fees
(``loan_disbursement_reverse``), and the schedule half shared with a payroll batch
reversed as a whole (``loan_repayment_reverse_apply``, called by ``core.deductions``).

Each one reverses the journal entry as the loans module (``journal_reverse(...,
module="loan")``) AND restores the sub-ledger in the same transaction: the principal
outstanding, the schedule rows' paid amounts (a payment whose excess re-amortised the
schedule: the schedule it kept, ``Repayment.schedule_before``), a closed loan reopened,
any savings credited by the entry taken back. Nothing is deleted: a ``LoanReversal`` row marks the repayment
(its receipt) or disbursement reversed. Latest first: a repayment with a later one (not
reversed) or a reschedule after it is refused; so is one in a closed month. Kolektibilitas
and PPAP follow at the next daily arrears run (which posts the allowance change)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_date, format_tanggal
from core.common.errors import REASON_MAX_LENGTH, ApplicationError, reason_required
from core.common.money import format_rupiah
from core.ledger.models import JournalEntry
from core.ledger.services import books_closed_until, journal_reverse
from core.loans.audit import LoanAudit
from core.savings.models import SavingsTransaction
from core.savings.services import savings_movement_reverse_apply, transactions_link_entry

from ..arrears import loans_days_past_due_set
from ..models import Instalment, Loan, LoanReversal, Repayment, Reschedule
from .common import (
    DISBURSE_ROLES,
    ZERO,
    LoanErrors,
    _lock,
    _require_role,
    schedule_version_current,
    schedule_version_next,
)


def reversal_reason_clean(reason: str) -> str:
    """The reason for a reversal, stripped: required, and at most what the screen and
    the API accept (``REASON_MAX_LENGTH``), all of which the reversal keeps whole (its
    journal description, the ``LoanReversal``, the audit). The screens check it before
    the confirmation page too."""
    return reason_required(
        reason,
        code=LoanErrors.REASON_REQUIRED,
        message=_("Alasan pembatalan wajib diisi."),
        max_length=REASON_MAX_LENGTH,
    )


def _period_closed_refusal(entry_date: date, label: str) -> ApplicationError | None:
    """A reversal of an entry in a closed month is refused (the month's figures are
    final), naming the way out: the admin reopens the closed months from the entry's
    to the last closed one (*Periode* → *Buka kembali*; a later closed month keeps the
    earlier ones shut), the entry is reversed, the months are closed again."""
    closed = books_closed_until()
    if closed is None or entry_date > closed:
        return None
    return ApplicationError(
        LoanErrors.REVERSAL_PERIOD_CLOSED,
        _(
            "%(l)s tanggal %(d)s ada di periode yang sudah ditutup (buku ditutup sampai "
            "%(c)s); tidak dapat dibatalkan. Bila memang keliru: minta admin membuka "
            "kembali bulan yang ditutup dari %(m)s sampai %(cm)s (%(w)s, dengan alasan), "
            "batalkan di sini, lalu tutup lagi bulan-bulan itu."
        )
        % {
            "l": label,
            "d": format_tanggal(entry_date),
            "c": format_tanggal(closed),
            "m": format_bulan(entry_date),
            "cm": format_bulan(closed),
            # the way there as the menu and the periods page say it ("Periods" in English)
            "w": " → ".join((_("Pembukuan"), pgettext("menu", "Periode"), _("Buka kembali"))),
        },
        status=409,
    )


def _check_period_open(entry_date: date, label: str) -> None:
    refusal = _period_closed_refusal(entry_date, label)
    if refusal is not None:
        raise refusal


def _check_reversal_date(on: date, entry_date: date) -> None:
    if not isinstance(on, date) or on < entry_date or on > timezone.localdate():
        raise ApplicationError(
            LoanErrors.DATE_INVALID,
            _("Tanggal pembatalan harus antara %(a)s dan hari ini.")
            % {"a": format_tanggal(entry_date)},
            fields={"on": [_("Di luar rentang.")]},
        )


def repayment_reversal_refusal(repayment: Repayment) -> ApplicationError | None:
    """Why ``repayment`` cannot be reversed by ``loan_repayment_reverse`` (None: it can).
    Shared by the service and the loan screen (which offers the button only when None)."""
    if LoanReversal.objects.filter(repayment_id=repayment.pk).exists():
        return ApplicationError(
            LoanErrors.ALREADY_REVERSED,
            _("Pembayaran %(r)s sudah dibatalkan.") % {"r": repayment},
            status=409,
        )
    if repayment.channel == Repayment.Channel.PAYROLL:
        return ApplicationError(
            LoanErrors.REVERSAL_NOT_HERE,
            _(
                "Pembayaran ini (%(r)s) berasal dari potong gaji: batalkan batch impornya di menu "
                "Potong gaji (API: POST /api/v1/deductions/imports/<id>/reverse/)."
            )
            % {"r": repayment},
            status=409,
        )
    if repayment.channel in (Repayment.Channel.TOPUP, Repayment.Channel.SETTLEMENT):
        return ApplicationError(
            LoanErrors.REVERSAL_NOT_HERE,
            _(
                "Pembayaran ini (%(r)s) terjadi lewat top-up atau penyelesaian keluar anggota; "
                "tidak dapat dibatalkan sendiri."
            )
            % {"r": repayment},
            status=409,
        )
    return _order_refusal(repayment) or _period_closed_refusal(
        repayment.entry.date if repayment.entry_id else repayment.paid_on,
        _("Pembayaran %(r)s") % {"r": repayment},
    )


def _reamortised_unkept(repayment: Repayment) -> bool:
    """A payment whose excess went to principal made before its schedule was kept
    (``Repayment.schedule_before``): the schedule it replaced cannot be put back."""
    return (
        repayment.excess_to == Repayment.ExcessTo.PRINCIPAL
        and repayment.excess > 0
        and not repayment.schedule_before
    )


def _order_refusal(repayment: Repayment) -> ApplicationError | None:
    if _reamortised_unkept(repayment):
        # reversing later payments first would not help: the schedule it recomputed stays
        return ApplicationError(
            LoanErrors.REVERSAL_REAMORTISED,
            _(
                "Pembayaran %(r)s membayar kelebihan %(e)s ke pokok, dan sisa jadwal pinjaman "
                "%(n)s sudah dihitung ulang atas pokok yang berkurang. Lumbung belum dapat "
                "mengembalikan jadwal lama, jadi pembayaran ini tidak dapat dibatalkan di sini "
                "(juga sesudah pembayaran lain dibatalkan). Bila memang keliru, laporkan kepada "
                "pengelola Lumbung dengan nomor kuitansinya; jangan membuat jurnal koreksi "
                "manual (buku pinjaman tidak ikut berubah dan tidak akan cocok lagi)."
            )
            % {
                "r": repayment,
                "e": format_rupiah(repayment.excess),
                "n": repayment.loan.number,
            },
            status=409,
        )
    later = list(
        Repayment.objects.filter(
            loan_id=repayment.loan_id, pk__gt=repayment.pk, reversal__isnull=True
        ).order_by("-pk")
    )
    if later:
        # each named, newest first (the order they can be reversed in), a payroll one by
        # its batch (reversed with it)
        names = [
            _("%(r)s (kelebihan ke pokok: tidak dapat dibatalkan di sini)") % {"r": r}
            if _reamortised_unkept(r)
            else _("%(r)s (potong gaji: batalkan batchnya)") % {"r": r}
            if r.channel == Repayment.Channel.PAYROLL
            else str(r)
            for r in later
        ]
        return ApplicationError(
            LoanErrors.REVERSAL_LATER,
            _(
                "Pinjaman sudah menerima pembayaran sesudah %(r)s: %(l)s. Pembayaran dibatalkan "
                "dari yang terbaru, karena yang sesudahnya dihitung dari sisa tagihan yang "
                "ditinggalkannya. Batalkan dulu pembayaran itu, mulai dari yang terbaru, lalu "
                "batalkan %(r)s."
            )
            % {"l": ", ".join(names), "r": repayment},
            status=409,
        )
    # a write-off (exit on death, board decision) closes the loan with no repayment of its
    # own: reversing an earlier payment would reopen a written-off loan, owing again
    written_off = (
        Loan.objects.filter(
            pk=repayment.loan_id, status=Loan.Status.CLOSED, closed_by=Loan.ClosedBy.WRITEOFF
        )
        .values_list("number", "closed_on")
        .first()
    )
    if written_off is not None:
        return ApplicationError(
            LoanErrors.REVERSAL_LATER,
            _(
                "Pinjaman %(n)s sudah dihapusbukukan pada %(d)s, sesudah pembayaran %(r)s; "
                "pembayaran itu tidak dapat dibatalkan."
            )
            % {"n": written_off[0], "d": format_date(written_off[1]), "r": repayment},
            status=409,
        )
    if Reschedule.objects.filter(
        loan_id=repayment.loan_id, created_at__gt=repayment.created_at
    ).exists():
        return ApplicationError(
            LoanErrors.REVERSAL_LATER,
            _("Pinjaman dijadwalkan ulang sesudah pembayaran %(r)s; tidak dapat dibatalkan.")
            % {"r": repayment},
            status=409,
        )
    return None


def _row_state(r: Instalment) -> tuple:
    return (
        r.penalty_paid,
        r.jasa_paid,
        r.principal_paid,
        r.jasa_waived,
        r.penalty_periods,
        r.penalty_charged,
        r.settled,
    )


def loan_repayment_reverse_apply(
    *, repayment: Repayment, on: date, by, reason: str = "", reversal_entry=None
) -> Loan:
    """Undo a repayment (an instalment or an early payoff) on the loan's schedule; the
    journal entry is reversed by the caller (``loan_repayment_reverse``, or a deduction
    batch reversed as a whole, whose entry holds many repayments). Only the loan's latest
    repayment not reversed yet. One whose excess went to principal is put back from the
    schedule and loan figures it kept (``_schedule_restore``; one made before they were
    kept is refused). Otherwise (``_rows_take_back``): a payoff's waived jasa is
    owed again, then its penalty, jasa and principal are taken back from the newest rows
    that hold them (payments fill rows oldest first, so this restores the rows exactly),
    and the late penalty it charged on rows up to its date is uncharged (the rows'
    penalty state before it, kept on the repayment), and the jasa it counted toward the
    principal (paid ahead on rows not yet due) is paid on those rows again. A loan closed
    by it reopens. The
    repayment row stays (immutable); a ``LoanReversal`` marks it reversed. Any sukarela
    credit of its excess is the caller's. Call inside the caller's transaction (a
    refusal raised after rows were written rolls them back with it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("loan_repayment_reverse_apply must run inside a transaction")
    _require_role(by, DISBURSE_ROLES, _("membatalkan pembayaran pinjaman"))
    loan = _lock(repayment.loan)
    if LoanReversal.objects.filter(repayment_id=repayment.pk).exists():
        raise ApplicationError(
            LoanErrors.ALREADY_REVERSED,
            _("Pembayaran %(r)s sudah dibatalkan.") % {"r": repayment},
            status=409,
        )
    refusal = _order_refusal(repayment)
    if refusal is not None:
        raise refusal
    if repayment.schedule_before:
        _schedule_restore(loan, repayment)
    else:
        _rows_take_back(loan, repayment)
    # the principal it paid (with an excess to principal) is owed again
    loan.principal_outstanding += repayment.principal_shown
    # the deferred jasa its principal earned is deferred again (its recognition lines are
    # in the entry the caller reverses)
    loan.deferred_jasa += repayment.deferred_jasa_recognised
    loan.deferred_penalty += repayment.deferred_penalty_recognised
    # and the brought-in jasa receivable (1105) it settled is owed again
    loan.jasa_receivable += repayment.jasa_receivable_settled
    fields = [
        "principal_outstanding",
        "deferred_jasa",
        "deferred_penalty",
        "jasa_receivable",
        "updated_at",
    ]
    if loan.status == Loan.Status.CLOSED:
        loan.status = Loan.Status.DISBURSED
        loan.closed_on = None
        loan.closed_by = ""
        fields += ["status", "closed_on", "closed_by"]
    if repayment.schedule_before:
        _check_loan_as_before(loan, repayment)
        # the version of the rows current again, not the re-amortised rows' (history now)
        loan.schedule_version = schedule_version_current(loan)
        fields.append("schedule_version")
    loans_days_past_due_set(loans=[loan])  # the daily run's rule, as after a payment
    loan.save(update_fields=[*fields, "days_past_due"])
    reason = reason or _("Pembatalan batch potong gaji")
    LoanReversal.objects.create(
        loan=loan,
        kind=LoanReversal.Kind.REPAYMENT,
        repayment=repayment,
        entry=repayment.entry,
        reversal_entry=reversal_entry,
        on=on,
        reason=reason,
        by=by,
    )
    audit_log(
        actor=by,
        action=LoanAudit.REPAYMENT_REVERSE,
        target=loan,
        reason=reason,
        data={
            "repayment": repayment.pk,
            "receipt": str(repayment),
            "kind": repayment.kind,
            "amount": str(repayment.amount),
            "principal": str(repayment.principal),
            "on": on.isoformat(),
            "entry": str(reversal_entry) if reversal_entry else None,
            **(
                {
                    "excess_to_principal": str(repayment.excess),
                    "schedule_restored": repayment.schedule_before["future"],
                }
                if repayment.schedule_before
                else {}
            ),
        },
    )
    return loan


def _schedule_mismatch(loan: Loan, repayment: Repayment) -> ApplicationError:
    return ApplicationError(
        LoanErrors.INVALID,
        _("Jadwal pinjaman %(n)s tidak cocok dengan pembayaran %(r)s.")
        % {"n": loan.number, "r": repayment},
    )


_ROW_KEPT = (
    "principal_paid",
    "jasa_paid",
    "jasa_waived",
    "penalty_paid",
    "penalty_periods",
    "penalty_charged",
    "settled",
    "settled_on",
)


def _row_kept(values: list) -> dict:
    """A row's state as ``Repayment.schedule_before`` keeps it, as field values."""
    pp, jp, jw, pen, periods, charged, settled, settled_on = values
    return {
        "principal_paid": Decimal(pp),
        "jasa_paid": Decimal(jp),
        "jasa_waived": Decimal(jw),
        "penalty_paid": Decimal(pen),
        "penalty_periods": periods,
        "penalty_charged": Decimal(charged),
        "settled": settled,
        "settled_on": date.fromisoformat(settled_on) if settled_on else None,
    }


def _schedule_restore(loan: Loan, repayment: Repayment) -> None:
    """Put the schedule back as it was before a payment whose excess went to principal,
    from what it kept (``Repayment.schedule_before``): the rows it wrote by
    re-amortising (unpaid: the later payments are reversed first) are kept as history,
    not current; the rows it replaced are current again; every row it paid, paid ahead
    or paid off has its paid amounts, waived jasa, penalty state and settlement back.
    What it took from each row must add up to its penalty, jasa and principal (with the
    excess when it paid the rows off), else nothing is changed."""
    snap = repayment.schedule_before
    kept = {pk: _row_kept(values) for pk, *values in snap["rows"]}
    future = set(snap["future"])
    rows = {
        r.pk: r
        for r in Instalment.objects.select_for_update()
        .filter(loan=loan)
        .filter(Q(is_current=True) | Q(pk__in=list(kept)))
        .order_by("pk")
    }
    version_to = snap["version_to"]
    written = [r for r in rows.values() if r.is_current and version_to and r.version == version_to]
    replaced = future if version_to else set()
    if (
        set(kept) - set(rows)
        or not future <= set(kept)
        or any(rows[pk].is_current == (pk in replaced) for pk in kept)
        or (bool(version_to) != bool(written))
        or any(
            r.principal_paid or r.jasa_paid or r.jasa_waived or r.penalty_paid or r.settled
            for r in written
        )
    ):
        raise _schedule_mismatch(loan, repayment)
    # what the payment put on the rows it did not replace
    taken = {"penalty_paid": ZERO, "jasa_paid": ZERO, "principal_paid": ZERO}
    for pk, was in kept.items():
        if pk in replaced:
            continue
        for attr in taken:
            taken[attr] += getattr(rows[pk], attr) - was[attr]
    paid_off = repayment.excess if not version_to else ZERO
    if taken != {
        "penalty_paid": repayment.penalty,
        "jasa_paid": repayment.jasa,
        "principal_paid": repayment.principal + paid_off,
    }:
        raise _schedule_mismatch(loan, repayment)
    if written:
        Instalment.objects.filter(pk__in=[r.pk for r in written]).update(is_current=False)
    for pk, was in sorted(kept.items()):
        r = rows[pk]
        if r.is_current and all(getattr(r, k) == v for k, v in was.items()):
            continue
        for k, v in was.items():
            setattr(r, k, v)
        r.is_current = True
        r.save(update_fields=[*_ROW_KEPT, "is_current"])


def _check_loan_as_before(loan: Loan, repayment: Repayment) -> None:
    """The loan's figures after the reversal are those the payment kept from before it
    (``Repayment.schedule_before``); a difference (something else changed them since) is
    refused, nothing changed."""
    for k, v in repayment.schedule_before["loan"].items():
        now = getattr(loan, k)
        if isinstance(now, Decimal):
            same = v is not None and Decimal(v) == now
        elif isinstance(now, date):
            same = v == now.isoformat()
        else:
            same = (now or None) == (v or None)
        if not same:
            raise _schedule_mismatch(loan, repayment)


def _rows_take_back(loan: Loan, repayment: Repayment) -> None:
    """The schedule half of an ordinary payment's reversal (see
    ``loan_repayment_reverse_apply``)."""
    rows = list(
        Instalment.objects.select_for_update()
        .filter(loan=loan, is_current=True)
        .order_by("-number")
    )
    before = {r.pk: _row_state(r) for r in rows}
    if repayment.kind == Repayment.Kind.PAYOFF:
        # the jasa the payoff waived (not yet earned) is owed again
        for r in rows:
            r.jasa_waived = ZERO
    left = {"penalty": repayment.penalty, "jasa": repayment.jasa, "principal": repayment.principal}
    by_pk = {r.pk: r for r in rows}
    charged_rows = repayment.penalty_rows_before
    # the penalty it paid on each row, as kept on it: taken back from those rows (the
    # newest rows need not hold it: penalty kept growing on older rows after newer rows'
    # was paid); a repayment written before it was kept: from the newest rows below
    for pk, _periods, _charged, *paid_before in charged_rows:
        if paid_before and pk in by_pk:
            r = by_pk[pk]
            left["penalty"] -= r.penalty_paid - Decimal(paid_before[0])
            r.penalty_paid = Decimal(paid_before[0])
    for r in rows:
        for comp, attr in (
            ("penalty", "penalty_paid"),
            ("jasa", "jasa_paid"),
            ("principal", "principal_paid"),
        ):
            take = min(left[comp], getattr(r, attr))
            if take > 0:
                setattr(r, attr, getattr(r, attr) - take)
                left[comp] -= take
    # the late penalty the payment charged on rows up to its date: uncharged again
    for pk, periods, charged, *_paid in charged_rows:
        if pk in by_pk:
            by_pk[pk].penalty_periods, by_pk[pk].penalty_charged = periods, Decimal(charged)
    # the jasa paid ahead on rows not yet due that the payoff counted toward the principal
    # (waived with the rest of their jasa): paid on them again, as it was
    ahead_rows = repayment.jasa_ahead_rows
    for pk, paid in ahead_rows:
        if pk in by_pk:
            by_pk[pk].jasa_paid += Decimal(paid)
    if (
        any(v != 0 for v in left.values())
        or any(pk not in by_pk for pk, *_x in charged_rows)
        or any(pk not in by_pk for pk, _x in ahead_rows)
    ):
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Jadwal pinjaman %(n)s tidak cocok dengan pembayaran %(r)s.")
            % {"n": loan.number, "r": repayment},
        )
    for r in reversed(rows):  # oldest first
        if r.settled and (r.principal_left > 0 or r.jasa_left > 0):
            r.settled, r.settled_on = False, None
        if _row_state(r) != before[r.pk]:
            r.save(
                update_fields=[
                    "penalty_paid",
                    "jasa_paid",
                    "principal_paid",
                    "jasa_waived",
                    "penalty_periods",
                    "penalty_charged",
                    "settled",
                    "settled_on",
                ]
            )


@transaction.atomic
def loan_repayment_reverse(
    *, repayment: Repayment, by, reason: str, on: date | None = None
) -> LoanReversal:
    """Reverse a repayment or early payoff taken at the counter or by bank (bendahara,
    admin): its journal entry reversed as the loans module, the schedule and outstanding
    restored (``loan_repayment_reverse_apply``), a sukarela credit of its excess taken
    back, the receipt marked reversed. Payroll repayments go with their batch."""
    _require_role(by, DISBURSE_ROLES, _("membatalkan pembayaran pinjaman"))
    reason = reversal_reason_clean(reason)
    _lock(repayment.loan)  # the loan first, as every loan service locks
    repayment = Repayment.objects.select_related("loan", "entry").get(pk=repayment.pk)
    refusal = repayment_reversal_refusal(repayment)
    if refusal is not None:
        raise refusal
    entry = repayment.entry
    if entry is None or entry.source != "loan":
        raise ApplicationError(
            LoanErrors.REVERSAL_NOT_HERE,
            _("Pembayaran %(r)s tidak punya jurnal pinjaman sendiri.") % {"r": repayment},
            status=409,
        )
    _check_period_open(entry.date, _("Pembayaran %(r)s") % {"r": repayment})
    on = on or timezone.localdate()
    _check_reversal_date(on, entry.date)
    label = str(repayment)
    savings = list(SavingsTransaction.objects.filter(journal_entry=entry).order_by("pk"))
    back = [
        savings_movement_reverse_apply(
            txn=t, on=on, by=by, memo=_("Pembatalan %(r)s: %(w)s") % {"r": label, "w": reason}
        )
        for t in savings
    ]
    journal = journal_reverse(entry=entry, on=on, reason=f"{label}: {reason}", by=by, module="loan")
    transactions_link_entry(transactions=back, entry=journal)
    loan_repayment_reverse_apply(
        repayment=repayment, on=on, by=by, reason=reason, reversal_entry=journal
    )
    return LoanReversal.objects.get(repayment=repayment)


def disbursement_reversal_refusal(loan: Loan) -> ApplicationError | None:
    """Why the disbursement of ``loan`` cannot be reversed (None: it can)."""
    if loan.status != Loan.Status.DISBURSED or loan.disbursement_entry_id is None:
        return ApplicationError(
            LoanErrors.WRONG_STATUS,
            _("Pinjaman %(n)s tidak sedang berjalan (%(s)s); pencairannya tidak dapat dibatalkan.")
            % {"n": loan.number, "s": loan.get_status_display()},
            status=409,
        )
    if JournalEntry.objects.filter(
        pk=loan.disbursement_entry_id, source=JournalEntry.Source.OPENING
    ).exists():
        # a loan brought in at the move-in: it arrived disbursed in the opening entry
        return ApplicationError(
            LoanErrors.REVERSAL_NOT_HERE,
            _(
                "Pinjaman %(n)s dibawa masuk saat pindah ke Lumbung (saldo awal), bukan "
                "dicairkan di sini; pencairannya tidak dapat dibatalkan. Koreksi saldonya "
                "lewat Pindah ke Lumbung (penyesuaian saldo awal)."
            )
            % {"n": loan.number},
            status=409,
        )
    if loan.topup_of_id:
        return ApplicationError(
            LoanErrors.REVERSAL_NOT_HERE,
            _(
                "Pencairan %(n)s adalah top-up yang melunasi pinjaman lama; pembatalan "
                "otomatis belum didukung."
            )
            % {"n": loan.number},
            status=409,
        )
    if loan.repayments.filter(reversal__isnull=True).exists():
        return ApplicationError(
            LoanErrors.REVERSAL_LATER,
            _("Pinjaman %(n)s sudah menerima pembayaran; batalkan pembayarannya dulu.")
            % {"n": loan.number},
            status=409,
        )
    if loan.reschedules.exists():
        return ApplicationError(
            LoanErrors.REVERSAL_LATER,
            _("Pinjaman %(n)s sudah dijadwalkan ulang; pencairannya tidak dapat dibatalkan.")
            % {"n": loan.number},
            status=409,
        )
    return _period_closed_refusal(
        loan.disbursement_entry.date, _("Pencairan %(n)s") % {"n": loan.number}
    )


@transaction.atomic
def loan_disbursement_reverse(*, loan: Loan, by, reason: str, on: date | None = None) -> Loan:
    """Reverse the disbursement of a loan with no repayment (bendahara, admin): the
    disbursement entry (principal, fees, insurance, risk fund, wajib pinjam, cash/bank)
    reversed as the loans module, the wajib pinjam taken back from the member's savings,
    the schedule kept as history (not current), and the loan back to approved (it may be
    disbursed again). The voucher keeps its number; a ``LoanReversal`` marks it
    reversed. Audited."""
    _require_role(by, DISBURSE_ROLES, _("membatalkan pencairan pinjaman"))
    reason = reversal_reason_clean(reason)
    loan = _lock(loan)
    refusal = disbursement_reversal_refusal(loan)
    if refusal is not None:
        raise refusal
    entry = loan.disbursement_entry
    _check_period_open(entry.date, _("Pencairan %(n)s") % {"n": loan.number})
    on = on or timezone.localdate()
    _check_reversal_date(on, entry.date)
    savings = list(SavingsTransaction.objects.filter(journal_entry=entry).order_by("pk"))
    back = [
        savings_movement_reverse_apply(
            txn=t,
            on=on,
            by=by,
            memo=_("Pembatalan pencairan %(n)s: %(w)s") % {"n": loan.number, "w": reason},
        )
        for t in savings
    ]
    journal = journal_reverse(
        entry=entry, on=on, reason=f"{loan.number}: {reason}", by=by, module="loan"
    )
    transactions_link_entry(transactions=back, entry=journal)
    Instalment.objects.filter(loan=loan, is_current=True).update(is_current=False)
    data = {
        "entry": entry.pk,
        "reversal_entry": journal.pk,
        "disbursed_on": loan.disbursed_on.isoformat(),
        "principal": str(loan.principal),
        "net": str(loan.net_disbursed),
        "fees": {
            k: str(getattr(loan, k))
            for k in ("admin_fee", "provisi", "insurance", "wajib_pinjam", "risk_fund")
        },
    }
    loan.status = Loan.Status.APPROVED
    loan.disbursed_on = None
    loan.disbursed_by = None
    loan.disbursed_via = ""
    loan.disbursement_entry = None
    for k in ("admin_fee", "provisi", "insurance", "wajib_pinjam", "risk_fund", "net_disbursed"):
        setattr(loan, k, ZERO)
    loan.first_due_date = None
    loan.principal_outstanding = ZERO
    loan.deferred_jasa = ZERO
    loan.deferred_penalty = ZERO
    loan.days_past_due = 0
    # the next disbursement writes its schedule as a new version
    loan.schedule_version = schedule_version_next(loan)
    loan.save()
    LoanReversal.objects.create(
        loan=loan,
        kind=LoanReversal.Kind.DISBURSEMENT,
        entry=entry,
        reversal_entry=journal,
        on=on,
        reason=reason,
        by=by,
    )
    audit_log(
        actor=by,
        action=LoanAudit.DISBURSEMENT_REVERSE,
        target=loan,
        reason=reason,
        data=data,
    )
    return loan
