"""Reversals of savings entries: the sub-ledger half every reversal uses to take back one
savings movement (``savings_movement_reverse_apply``: the teller's cancel, module
reversals), and a monthly interest run (interest and its tax) reversed as a whole."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_date, format_tanggal
from core.common.errors import ApplicationError, CommonErrors, reason_required
from core.common.money import format_rupiah
from core.common.permissions import TREASURY
from core.ledger.services import books_closed_until, journal_reverse
from core.savings.audit import SavingsAudit

from ..models import InterestRun, SavingsAccount, SavingsTransaction
from .accounts import _lock
from .apply import _check_open, _write, transactions_link_entry
from .common import ZERO, SavingsErrors


def _require_treasury(by, what: str) -> None:
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            CommonErrors.PERMISSION_DENIED,
            _("Hanya bendahara atau admin yang dapat %(w)s.") % {"w": what},
            status=403,
        )


def _reason(reason: str) -> str:
    return reason_required(
        reason, code=SavingsErrors.REVERSAL, message=_("Alasan pembatalan wajib diisi.")
    )


def check_period_open(entry_date: date, label: str) -> None:
    """A module reversal is refused once the original's month is closed (its figures are
    final; the correction belongs in an open month as a new, explained entry)."""
    closed = books_closed_until()
    if closed is not None and entry_date <= closed:
        raise ApplicationError(
            SavingsErrors.REVERSAL_PERIOD_CLOSED,
            _(
                "%(l)s tanggal %(d)s ada di periode yang sudah ditutup (sampai %(c)s); "
                "tidak dapat dibatalkan."
            )
            % {"l": label, "d": format_tanggal(entry_date), "c": format_tanggal(closed)},
            status=409,
        )


def interest_run_through(*, product_id: int, on: date) -> InterestRun | None:
    """The rule for a movement dated back on an account of the product: the product's
    latest live jasa simpanan run when its month ends on or after ``on`` (that run paid
    jasa on balances a movement dated ``on`` would change after the fact), else None.
    Every back-dated cancellation on a savings account is checked by it
    (``teller_reverse``; an early withdrawal's and a full payout's jasa taken back; the
    year end's SHU payout reversal), each wording its refusal."""
    return interest_runs_through(product_ids=[product_id], on=on).get(product_id)


def interest_runs_through(*, product_ids: Iterable[int], on: date) -> dict[int, InterestRun]:
    """``interest_run_through`` for several products in one query (a payroll batch's
    credits, whatever its size): per product whose latest live run's month ends on or
    after ``on``, that run (its product read with it). The latest run ends on or after
    ``on`` exactly when some live run's month is ``on``'s month or later."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    out: dict[int, InterestRun] = {}
    for run in (
        InterestRun.objects.filter(product_id__in=ids, reversed_at__isnull=True)
        .filter(Q(year__gt=on.year) | Q(year=on.year, month__gte=on.month))
        .select_related("product")
        .order_by("product_id", "-year", "-month")
    ):
        out.setdefault(run.product_id, run)
    return out


def savings_movement_reverse_apply(
    *,
    txn: SavingsTransaction,
    on: date,
    by,
    memo: str,
    account: SavingsAccount | None = None,
    overdrawn: Callable[[SavingsAccount], ApplicationError] | None = None,
    keep_minimum: bool = False,
) -> SavingsTransaction:
    """Take one savings movement back on the sub-ledger: a ``reversal`` transaction with
    the opposite delta on the same account, linked to the original (once: the database
    refuses a second). The journal half is the caller's (``journal_reverse`` of the
    entry the movement was posted with); link the result to it. Refused on a closed
    account and when a credit taken back would leave the account below zero (the money
    was withdrawn since; ``overdrawn`` words that refusal for the caller, given the
    locked account). With ``keep_minimum`` (the teller's cancel of a deposit) a credit
    taken back may not leave the account below its product's minimum balance either
    (``savings_below_minimum``, naming it). Call inside the caller's transaction
    (``account``: locked by the caller already)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("savings_movement_reverse_apply must run inside a transaction")
    account = account or _lock(txn.account)
    if SavingsTransaction.objects.filter(reverses_id=txn.pk).exists():
        raise ApplicationError(
            SavingsErrors.REVERSAL,
            _("Transaksi %(r)s sudah dibatalkan.") % {"r": txn.receipt_number or txn.pk},
            status=409,
        )
    _check_open(account)
    delta = -txn.delta
    if account.balance + delta < 0:
        if overdrawn is not None:
            raise overdrawn(account)
        raise ApplicationError(
            SavingsErrors.INSUFFICIENT,
            _(
                "%(k)s %(a)s di rekening %(n)s tidak dapat dibatalkan: saldonya tinggal %(b)s "
                "(sudah ditarik)."
            )
            % {
                "k": txn.get_kind_display(),
                "a": format_rupiah(txn.amount),
                "n": account.number,
                "b": format_rupiah(account.balance),
            },
            status=409,
        )
    # dated before today: movements since may have been lower (none can be after today,
    # so a run's reversal over thousands of accounts, dated today, reads nothing more)
    if delta < 0 and on < timezone.localdate():
        _check_no_balance_below_zero_since(txn=txn, account=account, on=on, delta=delta)
    minimum = account.product.minimum_balance
    if keep_minimum and delta < 0 and account.balance + delta < minimum:
        raise ApplicationError(
            SavingsErrors.BELOW_MINIMUM,
            _(
                "%(k)s %(r)s (%(a)s) tidak dapat dibatalkan: saldo rekening %(n)s menjadi "
                "%(b)s, di bawah saldo minimum %(p)s, %(m)s. Setor dulu kekurangannya; bila "
                "pembatalan ini mengosongkan rekening, batalkan sambil menutup rekening."
            )
            % {
                "k": txn.get_kind_display(),
                "r": txn.receipt_number or f"#{txn.pk}",
                "a": format_rupiah(txn.amount),
                "n": account.number,
                "b": format_rupiah(account.balance + delta),
                "p": account.product.name,
                "m": format_rupiah(minimum),
            },
            status=409,
        )
    return _write(
        account=account,
        kind=SavingsTransaction.Kind.REVERSAL,
        channel=txn.channel,
        amount=txn.amount,
        delta=delta,
        on=on,
        by=by,
        memo=memo,
        receipt_number=None,
        reverses=txn,
    )


def running_balances_from(
    *, accounts: dict[int, SavingsAccount], on: date
) -> dict[int, list[tuple[date, str | None, str, Decimal]]]:
    """For each account (locked, its balance current): the balance at the end of ``on``,
    then after each later movement, in the kartu simpanan's order (date, then posting),
    as ``(day, kind, receipt number, balance)`` — the first ``(on, None, "", …)``. A
    credit taken back dated ``on`` sits after that day's movements and lowers every one
    of them. The later movements of all the accounts read in one query."""
    later: dict[int, list[tuple]] = defaultdict(list)
    for acc_id, *move in (
        SavingsTransaction.objects.filter(account_id__in=list(accounts), on__gt=on)
        .order_by("account_id", "on", "pk")
        .values_list("account_id", "on", "kind", "receipt_number", "delta")
    ):
        later[acc_id].append(move)
    out = {}
    for acc_id, acc in accounts.items():
        moves = later.get(acc_id, [])
        running = acc.balance - sum((m[3] for m in moves), ZERO)
        points = [(on, None, "", running)]
        for day, kind, receipt, delta in moves:
            running += delta
            points.append((day, kind, receipt, running))
        out[acc_id] = points
    return out


def _check_no_balance_below_zero_since(
    *, txn: SavingsTransaction, account: SavingsAccount, on: date, delta
) -> None:
    """A credit taken back dated ``on`` lowers every running balance from there on
    (``running_balances_from``). Today's balance may hold it while an earlier one did not
    (the money was withdrawn and deposited again since): refused, naming the first day
    the balance is short and the first date the cancellation may carry, rather than
    showing a balance below zero in between."""
    points = [
        (d, b)
        for d, _k, _r, b in running_balances_from(accounts={account.pk: account}, on=on)[account.pk]
    ]
    short = [i for i, (_d, b) in enumerate(points) if b + delta < 0]
    if not short:
        return
    first_day, first_balance = points[short[0]]
    # the earliest date whose end, and every balance after it, holds the cancellation:
    # the day of the last short balance when the day ends high enough, else the next day
    # with a movement (today's balance holds it: the caller checked)
    last_day = points[short[-1]][0]
    end_of_last_day = [b for d, b in points if d == last_day][-1]
    from_day = (
        last_day
        if end_of_last_day + delta >= 0
        else next(d for d, _b in points[short[-1] :] if d > last_day)
    )
    raise ApplicationError(
        SavingsErrors.INSUFFICIENT,
        _(
            "%(k)s %(r)s (%(a)s) tidak dapat dibatalkan bertanggal %(d)s: saldo rekening "
            "%(n)s pada %(s)s hanya %(b)s (uangnya sudah ditarik), sehingga saldonya menjadi "
            "di bawah nol. Pembatalan dapat bertanggal %(f)s atau sesudahnya."
        )
        % {
            "k": txn.get_kind_display(),
            "r": txn.receipt_number or f"#{txn.pk}",
            "a": format_rupiah(txn.amount),
            "d": format_date(on),
            "n": account.number,
            "s": format_date(first_day),
            "b": format_rupiah(first_balance),
            "f": format_date(from_day),
        },
        fields={"date": [_("Paling awal %(f)s.") % {"f": format_date(from_day)}]},
        status=409,
    )


@transaction.atomic
def savings_interest_reverse(*, run: InterestRun, by, reason: str, on: date | None = None):
    """Reverse a monthly interest run as a whole (bendahara, admin): every interest and
    tax movement taken back on its account, the run's journal entry reversed as the
    savings module, the run marked reversed (the month may then be run again). Refused:
    reversed already; a later month of the product run since (reverse the latest first);
    the month closed; an account closed or emptied since. Audited."""
    _require_treasury(by, _("membatalkan jasa simpanan"))
    reason = _reason(reason)
    run = InterestRun.objects.select_for_update().select_related("product").get(pk=run.pk)
    label = _("Jasa %(p)s %(m)s") % {"p": run.product.name, "m": run.month_shown}
    # the memos stored on the movements and the reversal entry keep the month's code, as
    # the run's own entry says it ("Jasa simpanan <produk> 03/2026"): a stored text is
    # read in either language, and the journal search finds a month's entries by it
    stored = _("Jasa %(p)s %(m)02d/%(y)s") % {"p": run.product.name, "m": run.month, "y": run.year}
    if run.reversed_at is not None:
        raise ApplicationError(
            SavingsErrors.REVERSAL_DONE, _("%(l)s sudah dibatalkan.") % {"l": label}, status=409
        )
    later = InterestRun.objects.filter(product=run.product, reversed_at__isnull=True).filter(
        Q(year__gt=run.year) | Q(year=run.year, month__gt=run.month)
    )
    if later.exists():
        raise ApplicationError(
            SavingsErrors.REVERSAL_LATER,
            _("%(l)s tidak dapat dibatalkan: bulan sesudahnya sudah dihitung; batalkan itu dulu.")
            % {"l": label},
            status=409,
        )
    entry = run.journal_entry
    on = on or timezone.localdate()
    rev_entry = None
    if entry is not None:
        check_period_open(entry.date, label)
        txns = list(
            SavingsTransaction.objects.filter(journal_entry=entry).order_by("account_id", "pk")
        )
        locked: dict[int, SavingsAccount] = {}
        back = []
        for t in txns:
            if t.account_id not in locked:
                locked[t.account_id] = _lock(t.account)
        # per account the tax first (taking it back raises the balance), then the interest
        for t in sorted(txns, key=lambda t: (t.account_id, t.delta)):
            back.append(
                savings_movement_reverse_apply(
                    txn=t,
                    on=on,
                    by=by,
                    memo=_("Pembatalan %(l)s: %(r)s") % {"l": stored, "r": reason},
                    account=locked[t.account_id],
                )
            )
        rev_entry = journal_reverse(
            entry=entry, on=on, reason=f"{stored}: {reason}", by=by, module="savings"
        )
        transactions_link_entry(transactions=back, entry=rev_entry)
    run.reversal_entry = rev_entry
    run.reversed_at = timezone.now()
    run.reversed_by = by
    run.reversal_reason = reason
    run.save(update_fields=["reversal_entry", "reversed_at", "reversed_by", "reversal_reason"])
    audit_log(
        actor=by,
        action=SavingsAudit.INTEREST_REVERSE,
        target=run.product,
        reason=reason,
        data={
            "period": f"{run.year}-{run.month:02d}",
            "gross": str(run.gross_interest),
            "tax": str(run.tax),
            "entry": str(rev_entry) if rev_entry else None,
        },
    )
    return run
