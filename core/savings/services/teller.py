"""The counter: a deposit or withdrawal in cash or by bank, one balanced journal entry
and a numbered receipt each."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, CommonErrors, reason_required
from core.common.money import format_rupiah
from core.common.permissions import TREASURY
from core.ledger.services import LineSpec, journal_post, journal_reverse, receipt_source_set
from core.savings.audit import SavingsAudit

from ..models import SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import _lock, berjangka_cycle_next, berjangka_cycle_restore
from .apply import (
    check_not_frozen,
    savings_deposit_apply,
    savings_withdraw_apply,
    transactions_link_entry,
)
from .common import SavingsErrors, clean_amount, counter_account, receipt_number_next
from .early import early_withdrawal_reverse_apply
from .interest import interest_exit_month_apply
from .payout import (
    payout_in_full_check,
    payout_interest_reverse_apply,
    payout_interest_reverse_check,
)
from .reversal import check_period_open, interest_run_through, savings_movement_reverse_apply

CENTS = Decimal("0.00")

# --- teller -----------------------------------------------------------------------------

# the counter's cash or bank account (the name ``core.exits`` imports)
_counter_account = counter_account


@transaction.atomic
def teller_deposit(
    *, account: SavingsAccount, amount, channel: str, on: date, by, memo: str = ""
) -> SavingsTransaction:
    """A deposit at the counter: sub-ledger + one balanced journal entry + a receipt."""
    return _teller(
        account=account, amount=amount, channel=channel, on=on, by=by, memo=memo, deposit=True
    )


@transaction.atomic
def teller_withdraw(
    *, account: SavingsAccount, amount, channel: str, on: date, by, memo: str = ""
) -> SavingsTransaction:
    """A withdrawal at the counter (sukarela; berjangka on/after its payout date, and
    paid out in full it starts its next cycle: ``berjangka_cycle_next``; an
    interest-bearing one paid out in full with the jasa of the month's days before,
    credited in the same entry: ``payout.payout_in_full_check``)."""
    return _teller(
        account=account, amount=amount, channel=channel, on=on, by=by, memo=memo, deposit=False
    )


def _teller(
    *, account: SavingsAccount, amount, channel: str, on: date, by, memo: str, deposit: bool
) -> SavingsTransaction:
    """The counter, both ways: the account locked, a receipt number (KW for deposits, TR
    for withdrawals), the movement applied to the sub-ledger, one journal entry against
    cash or bank linked back to it, and the audit row."""
    counter = counter_account(channel)
    account = _lock(account)
    receipt = receipt_number_next(prefix="SET" if deposit else "TAR", on=on)
    args = {
        "account": account,
        "amount": amount,
        "on": on,
        "by": by,
        "channel": channel,
        "memo": memo,
        "receipt_number": receipt,
        "locked": True,
    }
    names = {"p": account.product.name, "m": account.member.full_name, "r": receipt}
    full = None
    interest_lines: list[LineSpec] = []
    credited: list[SavingsTransaction] = []
    if deposit:
        applied = savings_deposit_apply(**args)
        txn = applied.transaction
        lines = [LineSpec(account=counter, debit=txn.amount, memo=receipt), *applied.lines]
        description = _("Setoran %(p)s %(m)s (%(r)s)") % names
    else:
        kind = (
            SavingsTransaction.Kind.PAYOUT
            if account.product.kind == SavingsProduct.Kind.BERJANGKA
            else SavingsTransaction.Kind.WITHDRAWAL
        )
        if kind == SavingsTransaction.Kind.PAYOUT:
            # paid out in full it starts its next cycle: the month's jasa of the days
            # before is credited first and paid out with the balance (a finished month's
            # jasa not run yet refuses it: it would land after it, locked until the next
            # payout date)
            full = payout_in_full_check(account=account, amount=clean_amount(amount), on=on)
            if full is not None:
                check_not_frozen(account)
                interest_lines, credited = interest_exit_month_apply(
                    credits=full.credits, accounts={account.pk: account}, by=by, payout=True
                )
                # crediting it moves no cash (the payout, jasa included, is the flow): a
                # marked non-cash pair (Dr expense = Cr savings + Cr PPh payable), as at
                # an exit settlement (``JournalLine.non_cash``)
                interest_lines = [replace(x, non_cash=True) for x in interest_lines]
        applied = savings_withdraw_apply(**args, kind=kind)
        txn = applied.transaction
        lines = [
            *interest_lines,
            *applied.lines,
            LineSpec(account=counter, credit=txn.amount, memo=receipt),
        ]
        description = _("Penarikan %(p)s %(m)s (%(r)s)") % names
    entry = journal_post(
        on=on,
        description=description,
        lines=lines,
        source="savings",
        source_ref=f"txn:{txn.pk}",
        by=by,
    )
    transactions_link_entry(transactions=[*credited, txn], entry=entry)
    receipt_source_set(number=receipt, source_ref=f"savings-txn:{txn.pk}")
    data = {"amount": str(txn.amount), "channel": channel, "receipt": receipt}
    if full is not None:
        data |= {
            "interest": str(full.interest + CENTS),
            "interest_tax": str(full.interest_tax + CENTS),
        }
    audit_log(
        actor=by,
        action=SavingsAudit.DEPOSIT if deposit else SavingsAudit.WITHDRAW,
        target=account,
        data=data,
    )
    if txn.next_payout_date is not None:
        # paid out in full (on/after its payout date): the next hari raya cycle starts
        berjangka_cycle_next(account=account, txn=txn, by=by)
    return txn


# --- reversal ---------------------------------------------------------------------------

# Teller movements, one journal entry each (``source_ref`` ``txn:<id>``), that
# ``teller_reverse`` can cancel. Payroll movements are cancelled with their batch
# (deductions), interest and settlements are not cancelled one by one.
REVERSIBLE_KINDS = frozenset(
    {
        SavingsTransaction.Kind.DEPOSIT,
        SavingsTransaction.Kind.WITHDRAWAL,
        SavingsTransaction.Kind.PAYOUT,
        SavingsTransaction.Kind.EARLY_PAYOUT,
    }
)


def _reversal_overdrawn(original: SavingsTransaction, account: SavingsAccount) -> ApplicationError:
    """A deposit's cancellation refused: the money was withdrawn since."""
    return ApplicationError(
        SavingsErrors.INSUFFICIENT,
        _(
            "Setoran %(r)s tidak dapat dibatalkan: saldo rekening tinggal %(b)s, "
            "kurang dari %(a)s (sudah ditarik)."
        )
        % {
            "r": original.receipt_number or original.pk,
            "b": format_rupiah(account.balance),
            "a": format_rupiah(original.amount),
        },
    )


def teller_reversal_refusal(*, txn: SavingsTransaction, reason: str) -> ApplicationError | None:
    """Why ``teller_reverse`` would refuse ``txn`` now, read before its confirmation page
    (which would otherwise ask to confirm a cancellation that cannot happen and show a
    balance below zero): no reason given, or a deposit whose money was withdrawn since.
    The service checks these again (and the rest) when confirmed."""
    try:
        reason_required(
            reason, code=SavingsErrors.REVERSAL, message=_("Alasan pembatalan wajib diisi.")
        )
    except ApplicationError as exc:
        return exc
    account = txn.account
    cancelled = SavingsTransaction.objects.filter(reverses=txn).exists()
    if not cancelled and txn.delta > 0 and account.balance - txn.delta < 0:
        return _reversal_overdrawn(txn, account)
    return None


@transaction.atomic
def teller_reverse(
    *, txn: SavingsTransaction, on: date, reason: str, by, close_account: bool = False
) -> SavingsTransaction:
    """Cancel a teller deposit or withdrawal (bendahara, admin): a ``reversal``
    transaction with the opposite delta on the same account and the journal entry's
    reversal, linked to each other, in one transaction. Refused when a deposit's reversal
    would take the account below zero (the money was withdrawn since), when the account
    is closed, when the transaction was cancelled already (the sub-ledger half and its
    checks are ``savings_movement_reverse_apply``'s, as for every savings reversal), or
    when its month is closed (``savings_reversal_period_closed``, as every module's
    reversal), or when dated back into a month whose jasa simpanan was run already
    (``savings_reversal_interest_run``). A berjangka payout that started the account's
    next cycle puts its old payout date back (``berjangka_cycle_restore``); an early
    withdrawal (``savings_early_withdraw``) reopens the account and takes its penalty
    back too (``early_withdrawal_reverse_apply``); a full payout at maturity takes back
    the month's jasa it credited (``payout_interest_reverse_apply``; refused once that
    month is run). A deposit's
    cancellation may not leave the account below its product's minimum balance
    (``savings_below_minimum``, naming it) unless it empties the account and
    ``close_account`` closes it with it (sukarela and berjangka; pokok and wajib close
    only at exit); ``close_account`` with money left is refused
    (``savings_account_not_empty``). Audited."""
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            CommonErrors.PERMISSION_DENIED,
            _("Hanya bendahara atau admin yang dapat membatalkan transaksi simpanan."),
            status=403,
        )
    reason = reason_required(
        reason, code=SavingsErrors.REVERSAL, message=_("Alasan pembatalan wajib diisi.")
    )
    original = SavingsTransaction.objects.select_related("journal_entry").get(pk=txn.pk)
    entry = original.journal_entry
    if (
        original.kind not in REVERSIBLE_KINDS
        or entry is None
        or entry.source != "savings"
        or entry.source_ref != f"txn:{original.pk}"
    ):
        raise ApplicationError(
            SavingsErrors.REVERSAL,
            _(
                "Transaksi %(k)s ini tidak dibatalkan satu per satu: potong gaji dibatalkan "
                "bersama batch-nya (menu Potong gaji); jasa dan pengembalian tidak dapat "
                "dibatalkan di sini."
            )
            % {"k": original.get_kind_display()},
        )
    label = original.receipt_number or f"#{original.pk}"
    check_period_open(entry.date, _("Transaksi %(r)s") % {"r": label})
    account = _lock(original.account)
    # dated back into a month whose jasa was paid already: that month's balances (which
    # the jasa was paid on) would change after the fact
    run = interest_run_through(product_id=account.product_id, on=on)
    if run is not None:
        raise ApplicationError(
            SavingsErrors.REVERSAL_INTEREST_RUN,
            _(
                "Jasa simpanan %(p)s bulan %(m)s sudah dihitung; pembatalan tidak "
                "dapat bertanggal %(d)s (paling awal sesudah bulan itu)."
            )
            % {"p": account.product.name, "m": run.month_shown, "d": format_tanggal(on)},
            fields={"date": [_("Bulan ini sudah dihitung jasanya.")]},
        )

    def overdrawn(account: SavingsAccount) -> ApplicationError:
        return _reversal_overdrawn(original, account)

    if original.kind == SavingsTransaction.Kind.PAYOUT:
        # a full payout that credited the month's jasa: not once that month is run
        payout_interest_reverse_check(txn=original, account=account)
    if original.kind == SavingsTransaction.Kind.EARLY_PAYOUT:
        # the payout and its penalty taken back, the account reopened
        back = early_withdrawal_reverse_apply(
            txn=original, account=account, on=on, by=by, memo=f"Pembatalan {label}: {reason}"
        )
    else:
        back = [
            savings_movement_reverse_apply(
                txn=original,
                on=on,
                by=by,
                memo=f"Pembatalan {label}: {reason}",
                account=account,
                overdrawn=overdrawn,
                keep_minimum=not close_account,
            )
        ]
        if original.kind == SavingsTransaction.Kind.PAYOUT:
            # the month's jasa the payout credited (and its PPh), taken back after it
            back += payout_interest_reverse_apply(
                txn=original, account=account, on=on, by=by, memo=f"Pembatalan {label}: {reason}"
            )
    rev = back[0]
    if close_account:
        _close_emptied(account, on=on)
    journal = journal_reverse(
        entry=entry, on=on, reason=f"{label}: {reason}", by=by, module="savings"
    )
    transactions_link_entry(transactions=back, entry=journal)
    if original.kind == SavingsTransaction.Kind.PAYOUT:
        berjangka_cycle_restore(account=account, txn=original, by=by)
    audit_log(
        actor=by,
        action=SavingsAudit.REVERSE,
        target=account,
        reason=reason,
        data={
            "transaction": original.pk,
            "receipt": original.receipt_number,
            "amount": str(original.amount),
            "delta": str(-original.delta),
            "entry": str(journal),
        }
        | ({"account_closed": True} if close_account else {}),
    )
    return rev


def _close_emptied(account: SavingsAccount, *, on: date) -> None:
    """Close the (locked) account a cancellation has just emptied (``teller_reverse``
    with ``close_account``); refused with money left, for pokok and wajib, and while
    the account is frozen."""
    check_not_frozen(account)
    if account.product.kind in (SavingsProduct.Kind.POKOK, SavingsProduct.Kind.WAJIB):
        raise ApplicationError(
            SavingsErrors.NOT_WITHDRAWABLE,
            _("%(p)s ditutup hanya saat anggota keluar.") % {"p": account.product.name},
            status=409,
        )
    if account.balance != 0:
        raise ApplicationError(
            SavingsErrors.ACCOUNT_NOT_EMPTY,
            _(
                "Rekening %(n)s tidak dapat ditutup: sesudah pembatalan saldonya masih "
                "%(b)s. Rekening hanya ditutup bila pembatalan mengosongkannya."
            )
            % {"n": account.number, "b": format_rupiah(account.balance)},
            status=409,
        )
    account.status = SavingsAccount.Status.CLOSED
    account.closed_on = on
    account.save(update_fields=["status", "closed_on", "updated_at"])
