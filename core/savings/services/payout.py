"""A berjangka account paid out in full at maturity (on/after its payout date, at the
counter: ``teller_withdraw``) in the middle of a month.

The account is emptied and starts its next cycle (``berjangka_cycle_next``): it stays
open. An interest-bearing product's jasa of the month's days before the payout belongs
to the cycle just paid out, so the payout credits it first — by the rule the exit
settlement and the early withdrawal use (``interest_exit_month_due``: on the average daily
balance the days before, divided by the month's days; on the month's lowest balance
nothing, the payout being that zero), PPh by the member's month across all their
accounts — in the payout's own entry (``interest_exit_month_apply``), and pays it out
with the balance. Left to the month's run it landed in the next cycle, locked until the
next payout date (a term away) or charged the early penalty.

Paid out in full therefore means the balance *with* that jasa (``PayoutInFull.total``):
the teller's screen shows it, and a payout of the balance alone is refused naming it
(``payout_in_full_check``), since it is neither everything nor a partial payout anyone
meant. A partial payout is as before (the account keeps its date; the month's run pays
it on its balances). The month's run counts the account from the payout day on (its next
cycle's deposits). Cancelling the payout takes the jasa back with it
(``payout_interest_reverse_apply``), refused once the month's run has been made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from core.common.money import format_rupiah

from ..models import SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import _lock
from .apply import berjangka_due_date
from .common import SavingsErrors
from .early import MonthInterestFigures, _interest_of_month, berjangka_unrun_month_check
from .reversal import interest_run_through, savings_movement_reverse_apply


@dataclass(frozen=True, kw_only=True)
class PayoutInFull(MonthInterestFigures):
    """What paying ``account`` out in full on ``on`` pays: the balance and the jasa of the
    month's days before ``on`` (``MonthInterestFigures``)."""

    account: SavingsAccount
    on: date
    balance: Decimal

    @property
    def total(self) -> Decimal:
        """The amount that pays the account out in full: the balance with the jasa, net."""
        return self.balance + self.interest_net


def berjangka_payout_in_full(*, account: SavingsAccount, on: date) -> PayoutInFull | None:
    """The figures of paying a berjangka account out in full on ``on`` at maturity (the
    teller's screen shows them; ``teller_withdraw`` pays them), or None when it is not an
    open berjangka account with a balance, due on ``on``. Refused
    (``berjangka_unrun_month_check``) while a finished month's jasa is not run yet on an
    interest-bearing product. Writes nothing."""
    product = account.product
    if (
        product.kind != SavingsProduct.Kind.BERJANGKA
        or account.status != SavingsAccount.Status.OPEN
        or account.balance <= 0
    ):
        return None
    due = berjangka_due_date(account)
    if due is not None and on < due:
        return None
    if not product.interest_enabled or product.interest_rate_annual <= 0:
        return PayoutInFull(account=account, on=on, balance=account.balance)
    berjangka_unrun_month_check(account=account, on=on)
    return PayoutInFull(
        account=account, on=on, balance=account.balance, **_interest_of_month(account, on)
    )


def payout_in_full_check(*, account: SavingsAccount, amount: Decimal, on: date):
    """The full payout ``amount`` asks for on the (locked) berjangka ``account``, if it
    is one: its figures when ``amount`` pays it out in full with the month's jasa (the
    caller credits ``credits`` first); None for a payout without such jasa (partial, or
    the balance of an account with none), left to the withdrawal's own checks. Refused
    (``savings_payout_includes_interest``, naming the full amount and the jasa) for the
    balance alone when the month's jasa is due on it; refused (naming the month) while a
    finished month's jasa is not run yet and ``amount`` is not a partial payout."""
    if amount < account.balance:
        return None  # partial: the account keeps its date, the run pays the month
    full = berjangka_payout_in_full(account=account, on=on)
    if full is None or not full.credits:
        return None
    if amount == full.total:
        return full
    if amount == full.balance:
        raise ApplicationError(
            SavingsErrors.PAYOUT_INCLUDES_INTEREST,
            _(
                "Pencairan penuh %(p)s rekening %(n)s hari ini %(t)s: saldo %(b)s ditambah "
                "%(l)s %(j)s. Isi %(t)s untuk mencairkan semuanya, atau jumlah yang lebih "
                "kecil dari saldo untuk pencairan sebagian."
            )
            % {
                "p": account.product.name,
                "n": account.number,
                "t": format_rupiah(full.total),
                "b": format_rupiah(full.balance),
                "l": full.interest_label,
                "j": format_rupiah(full.interest_net),
            },
            fields={"amount": [_("Cair penuh: %(t)s.") % {"t": format_rupiah(full.total)}]},
        )
    return None  # more than the account holds: the withdrawal refuses it


def payout_interest_reverse_check(*, txn: SavingsTransaction, account: SavingsAccount) -> None:
    """A full payout that credited the month's jasa (``txn``, its entry) cannot be
    cancelled once the product's run of that month or a later one has been made: that
    run paid the account from the payout day, so the days after it would go unpaid.
    Refused naming the run (reverse it first)."""
    if not SavingsTransaction.objects.filter(
        journal_entry_id=txn.journal_entry_id,
        account_id=account.pk,
        kind=SavingsTransaction.Kind.INTEREST,
    ).exists():
        return
    run = interest_run_through(product_id=account.product_id, on=txn.on)
    if run is not None:
        raise ApplicationError(
            SavingsErrors.REVERSAL_INTEREST_RUN,
            _(
                "Pencairan %(r)s tidak dapat dibatalkan: jasa %(p)s bulan %(m)s sudah "
                "dihitung sesudahnya (dari tanggal pencairan). Batalkan jasa bulan itu dulu."
            )
            % {"r": txn.receipt_number, "p": account.product.name, "m": run.month_shown},
            status=409,
        )


def payout_interest_reverse_apply(
    *, txn: SavingsTransaction, account: SavingsAccount, on: date, by, memo: str
) -> list[SavingsTransaction]:
    """After the payout ``txn`` itself was taken back (the account refilled): the month's
    PPh and jasa its entry credited taken back too (inside ``teller_reverse``'s
    transaction, ``account`` locked; PPh another of the member's accounts bore with it),
    so the balance is as before the payout and the month's run pays the account on its
    balances. Returns the reversals."""
    kinds = [SavingsTransaction.Kind.TAX, SavingsTransaction.Kind.INTEREST]
    moved = sorted(
        SavingsTransaction.objects.filter(journal_entry_id=txn.journal_entry_id, kind__in=kinds),
        key=lambda t: (kinds.index(t.kind), t.account_id != account.pk, t.account_id, t.pk),
    )
    # PPh the month's jasa made another of the member's accounts bear (``_tax_elsewhere``)
    locked = {account.pk: account}
    for t in sorted(moved, key=lambda t: t.account_id):
        if t.account_id not in locked:
            locked[t.account_id] = _lock(t.account)
    return [
        savings_movement_reverse_apply(txn=t, on=on, by=by, memo=memo, account=locked[t.account_id])
        for t in moved
    ]
