"""A posted agency batch reversed as a whole while its month is open."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_date
from core.common.errors import REASON_MAX_LENGTH, ApplicationError, reason_required
from core.common.money import format_rupiah
from core.deductions.audit import DeductionAudit
from core.ledger.services import journal_reverse
from core.loans.models import Repayment
from core.loans.services import loan_repayment_reverse_apply
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.services import (
    interest_run_through,
    savings_accounts_lock,
    savings_withdraw_apply,
    transactions_link_entry,
)

from ..models import DeductionImport, DeductionLine
from .common import ZERO, E, _period_open, _require
from .savings_dates import reversal_running_balance_check


def reversal_reason_clean(reason: str) -> str:
    """The reason for reversing a batch, stripped: required, and at most what every
    reversal keeps (``REASON_MAX_LENGTH``). The screen checks it before its confirmation
    page too."""
    return reason_required(
        reason,
        code=E.REASON_REQUIRED,
        message=_("Alasan pembatalan wajib diisi."),
        max_length=REASON_MAX_LENGTH,
    )


@transaction.atomic
def deduction_import_reverse(*, imp: DeductionImport, reason: str, by) -> DeductionImport:
    """Reverse a posted batch as a whole while its month is open: the journal entry by
    ``journal_reverse``, each savings movement by a withdrawal through the savings
    service, each loan repayment by the loans service; the lines' realized amounts are
    cleared (their dues are asked again)."""
    _require(by, _("membatalkan potong gaji"))
    reason = reversal_reason_clean(reason)
    imp = (
        DeductionImport.objects.select_for_update(of=("self",)).select_related("run").get(pk=imp.pk)
    )
    if imp.status != DeductionImport.Status.POSTED:
        raise ApplicationError(
            E.WRONG_STATUS, _("Hanya batch yang sudah diposting dapat dibatalkan.")
        )
    data = imp.posted_data or {}
    if imp.entry_id is None:  # a confirmed "nothing deducted" batch: no money to take back
        return _nothing_reverse(imp, reason=reason, by=by, on=date.fromisoformat(data["on"]))
    on = imp.entry.date
    if not _period_open(on):
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Periode %(m)s sudah ditutup; batch tidak dapat dibatalkan.")
            % {"m": imp.run.month_shown},
        )
    originals = list(
        SavingsTransaction.objects.filter(pk__in=data.get("savings_transactions", []))
        .select_related("account")
        .order_by("pk")
    )
    _interest_run_refusal({t.account.product_id for t in originals}, on)
    locked = savings_accounts_lock({t.account_id for t in originals})
    short = _savings_short(originals, locked)
    if short:
        raise _savings_short_error(short)
    reversal_running_balance_check(originals=originals, locked=locked, on=on)
    back = []
    for t in originals:
        ap = savings_withdraw_apply(
            account=locked[t.account_id],
            amount=t.amount,
            on=on,
            by=by,
            channel=SavingsTransaction.Channel.INTERNAL,
            kind=SavingsTransaction.Kind.TRANSFER_OUT,
            memo=_("Pembatalan potong gaji %(m)s") % {"m": imp.run.label},
            locked=True,
            settlement=True,  # wajib is taken back too: this undoes a deposit
        )
        back.append(ap.transaction)
    for rep in (
        Repayment.objects.filter(pk__in=data.get("repayments", []))
        .select_related("loan")
        .order_by("-pk")
    ):
        loan_repayment_reverse_apply(repayment=rep, on=on, by=by)
    rev = journal_reverse(entry=imp.entry, on=on, reason=reason, by=by, module="deduction")
    transactions_link_entry(transactions=back, entry=rev)
    _import_mark_reversed(imp, rev=rev, reason=reason)
    audit_log(
        actor=by, action=DeductionAudit.REVERSE, target=imp, reason=reason, data={"entry": rev.pk}
    )
    return imp


def _interest_run_refusal(product_ids: set[int], on: date) -> None:
    """Refuse taking back savings credited on ``on`` once a month's jasa simpanan from
    ``on``'s month on has been paid on them (a run not reversed): that jasa was paid on
    balances holding the batch's money, and the credits taken back dated ``on`` would
    leave it paid on money that was never there (the counter's own reversal,
    ``savings.services.teller_reverse``, refuses the same by the one rule,
    ``interest_run_through``). The jasa run is reversed first (Simpanan › Jasa), then the
    batch."""
    runs = [r for pid in sorted(product_ids) if (r := interest_run_through(product_id=pid, on=on))]
    run = max(runs, key=lambda r: (r.year, r.month, r.pk), default=None)
    if run is None:
        return
    raise ApplicationError(
        E.REVERSAL_INTEREST_RUN,
        _(
            "Batch tidak dapat dibatalkan: jasa %(p)s sudah dihitung sampai bulan %(m)s "
            "atas saldo yang memuat setoran batch ini (tanggal %(d)s). Batalkan dulu jasa "
            "simpanan dari bulan itu mundur sampai bulan batch ini, lalu batalkan batch ini. "
            "Tidak ada yang diubah."
        )
        % {
            "p": run.product.name,
            "m": format_bulan(date(run.year, run.month, 1)),
            "d": format_date(on),
        },
        status=409,
    )


def _savings_short(
    originals: list[SavingsTransaction], locked: dict[int, SavingsAccount]
) -> list[tuple[SavingsAccount, Decimal, Decimal]]:
    """The accounts that cannot give back what the batch credited them: (account, what
    the batch credited it, rupiah short), in member order. Short: the money was
    withdrawn since (a sukarela excess taken at the counter, a purpose account paid
    out), or the account is closed (the member left: all of it). Read before anything
    is written, so every such member is named at once."""
    credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for t in originals:
        credited[t.account_id] += t.amount
    out = []
    for acc_id, amount in credited.items():
        acc = locked[acc_id]
        is_open = acc.status == SavingsAccount.Status.OPEN
        short = amount - acc.balance if is_open else amount
        if short > 0:
            out.append((acc, amount, short))
    return sorted(out, key=lambda x: (x[0].member.number, x[0].number))


def _savings_short_error(short: list) -> ApplicationError:
    """The refusal of a reversal whose savings credits cannot all be taken back: each
    member, account and rupiah short, in the message and in ``fields.members``."""
    items = []
    for acc, amount, short_by in short:
        args = {
            "m": acc.member.full_name,
            "no": acc.member.number,
            "p": acc.product.name,
            "n": acc.number,
            "s": format_rupiah(short_by),
            "a": format_rupiah(amount),
            "b": format_rupiah(acc.balance),
        }
        if acc.status == SavingsAccount.Status.OPEN:
            items.append(
                _(
                    "%(m)s (%(no)s): %(p)s %(n)s kurang %(s)s (batch mengkreditkan %(a)s, "
                    "saldo sekarang %(b)s)"
                )
                % args
            )
        else:
            items.append(
                _(
                    "%(m)s (%(no)s): %(p)s %(n)s sudah ditutup, kurang %(s)s (batch mengkreditkan %(a)s)"
                )
                % args
            )
    total = sum((x[2] for x in short), ZERO)
    return ApplicationError(
        E.REVERSAL_SAVINGS_SHORT,
        _(
            "Batch tidak dapat dibatalkan: simpanan yang dikreditkan batch ini sudah ditarik "
            "sejak diposting, sehingga tidak dapat diambil kembali (kurang %(t)s). %(list)s. "
            "Tidak ada yang diubah."
        )
        % {"t": format_rupiah(total), "list": "; ".join(items)},
        status=409,
        fields={"members": items},
    )


def _nothing_reverse(imp: DeductionImport, *, reason: str, by, on: date) -> DeductionImport:
    """Take back a "nothing deducted" record (the agency's money came after all): the
    lines are open again, so a real file can be posted; nothing was booked."""
    if not _period_open(on):
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Periode %(m)s sudah ditutup; batch tidak dapat dibatalkan.")
            % {"m": imp.run.month_shown},
        )
    _import_mark_reversed(imp, rev=None, reason=reason)
    audit_log(
        actor=by,
        action=DeductionAudit.REVERSE,
        target=imp,
        reason=reason,
        data={"entry": None, "nothing_deducted": True},
    )
    return imp


def _import_mark_reversed(imp: DeductionImport, *, rev, reason: str) -> None:
    """Clear what the batch recorded on its lines (their dues are asked again) and mark
    the import reversed."""
    DeductionLine.objects.filter(
        run_id=imp.run_id, agency_id=imp.agency_id, posted_import=imp
    ).update(
        realized=None,
        paid_jasa=ZERO,
        paid_principal=ZERO,
        paid_wajib=ZERO,
        paid_others=ZERO,
        to_sukarela=ZERO,
        paid_detail={},
        posted_import=None,
    )
    imp.status = DeductionImport.Status.REVERSED
    imp.reversal_entry = rev
    imp.reversed_at = timezone.now()
    imp.reversal_reason = reason
    imp.save(update_fields=["status", "reversal_entry", "reversed_at", "reversal_reason"])
