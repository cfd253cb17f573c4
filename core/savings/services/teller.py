"""The counter: a deposit or withdrawal in cash or by bank, one balanced journal entry
and a numbered receipt each."""

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post, receipt_source_set

from ..models import SavingsAccount, SavingsProduct, SavingsTransaction
from .accounts import _lock
from .apply import savings_deposit_apply, savings_withdraw_apply, transactions_link_entry
from .common import SavingsErrors, receipt_number_next

# --- teller -----------------------------------------------------------------------------


def _counter_account(channel: str):
    if channel == SavingsTransaction.Channel.CASH:
        return account_for_role("cash")
    if channel == SavingsTransaction.Channel.BANK:
        return account_for_role("bank")
    raise ApplicationError(
        SavingsErrors.CHANNEL, _("Cara bayar harus tunai atau bank."), fields={"channel": ["?"]}
    )


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
    """A withdrawal at the counter (sukarela; berjangka on/after its payout date)."""
    return _teller(
        account=account, amount=amount, channel=channel, on=on, by=by, memo=memo, deposit=False
    )


def _teller(
    *, account: SavingsAccount, amount, channel: str, on: date, by, memo: str, deposit: bool
) -> SavingsTransaction:
    """The counter, both ways: the account locked, a receipt number (KW for deposits, TR
    for withdrawals), the movement applied to the sub-ledger, one journal entry against
    cash or bank linked back to it, and the audit row."""
    counter = _counter_account(channel)
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
        applied = savings_withdraw_apply(**args, kind=kind)
        txn = applied.transaction
        lines = [*applied.lines, LineSpec(account=counter, credit=txn.amount, memo=receipt)]
        description = _("Penarikan %(p)s %(m)s (%(r)s)") % names
    entry = journal_post(
        on=on,
        description=description,
        lines=lines,
        source="savings",
        source_ref=f"txn:{txn.pk}",
        by=by,
    )
    transactions_link_entry(transactions=[txn], entry=entry)
    receipt_source_set(number=receipt, source_ref=f"savings-txn:{txn.pk}")
    audit_log(
        actor=by,
        action="savings.deposit" if deposit else "savings.withdraw",
        target=account,
        data={"amount": str(txn.amount), "channel": channel, "receipt": receipt},
    )
    return txn
