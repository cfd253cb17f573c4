"""What the savings services share: error codes, the result of an ``*_apply``, amount
checks, gapless receipt numbers."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from core.common.money import round_rupiah, to_decimal
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, receipt_number_take

from ..models import SavingsTransaction

ZERO = Decimal("0")


class SavingsErrors(StrEnum):
    AMOUNT = "savings_bad_amount"
    ACCOUNT_CLOSED = "savings_account_closed"
    MEMBER_INACTIVE = "savings_member_inactive"
    NOT_WITHDRAWABLE = "savings_not_withdrawable"
    INSUFFICIENT = "savings_insufficient_balance"
    BELOW_MINIMUM = "savings_below_minimum"
    POKOK_EXCEEDED = "savings_pokok_exceeded"
    TERM_EXCEEDED = "savings_term_exceeded"
    PRODUCT_INACTIVE = "savings_product_inactive"
    CHANNEL = "savings_bad_channel"
    ALREADY_OPEN = "savings_account_already_open"
    INTEREST_DONE = "savings_interest_already_accrued"
    BAD_PERIOD = "savings_bad_period"
    # a month run while an earlier month of the product was never run
    INTEREST_MONTH_SKIPPED = "savings_interest_month_skipped"
    PRODUCT_INVALID = "savings_product_invalid"
    REVERSAL = "savings_reversal_refused"
    REVERSAL_DONE = "savings_already_reversed"
    REVERSAL_LATER = "savings_reversal_later_depends"
    REVERSAL_PERIOD_CLOSED = "savings_reversal_period_closed"
    REVERSAL_INTEREST_RUN = "savings_reversal_interest_run"
    ACCOUNT_NOT_EMPTY = "savings_account_not_empty"
    NOT_EARLY = "savings_not_early"
    PENALTY_EXCEEDS = "savings_penalty_exceeds_balance"
    FIGURE_CHANGED = "savings_figure_changed"
    REASON = "savings_reason_required"
    ACCOUNT_FROZEN = "savings_account_frozen"
    ACCOUNT_NOT_FROZEN = "savings_account_not_frozen"  # unfreezing an account not frozen
    PAYOUT_INCLUDES_INTEREST = "savings_payout_includes_interest"
    # a member set as left while a savings account of theirs is open (migration 0018)
    LEAVE_ACCOUNTS_OPEN = "member_leave_savings_open"
    # a movement about to be committed without its journal entry (migration 0021)
    ENTRY_MISSING = "savings_entry_missing"


@dataclass
class Applied:
    """The result of an ``*_apply``: the transaction written and the savings-side lines."""

    transaction: SavingsTransaction
    lines: list[LineSpec] = field(default_factory=list)


def clean_amount(amount) -> Decimal:
    try:
        d = to_decimal(amount)
    except (TypeError, ArithmeticError, ValueError):
        raise ApplicationError(
            SavingsErrors.AMOUNT, _("Jumlah tidak valid."), fields={"amount": [_("Tidak valid.")]}
        ) from None
    if not d.is_finite() or d <= 0:
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Jumlah harus lebih dari nol."),
            fields={"amount": [_("Harus lebih dari nol.")]},
        )
    if d != round_rupiah(d):
        raise ApplicationError(
            SavingsErrors.AMOUNT,
            _("Jumlah harus rupiah utuh (tanpa sen)."),
            fields={"amount": [_("Harus rupiah utuh.")]},
        )
    return round_rupiah(d)


# --- receipts ---------------------------------------------------------------------------


# the savings receipt series of ``core.ledger`` (the prefixes of the old KW/TR counters,
# whose numbers continue in them: migration savings 0008)
RECEIPT_KINDS = {"KW": "SET", "SET": "SET", "TR": "TAR", "TAR": "TAR"}


def receipt_number_next(*, prefix: str, on: date, source_ref: str = "") -> str:
    """The next receipt number of the savings deposit (``SET``) or withdrawal (``TAR``)
    series in ``on``'s year, e.g. SET-2026-000001: the ledger's gap-free series, taken
    inside the caller's posting transaction (``KW``/``TR``, the old prefixes, map to them)."""
    return receipt_number_take(kind=RECEIPT_KINDS[prefix], on=on, source_ref=source_ref)


def counter_account(channel: str):
    """The ledger account of the counter's money: cash or bank (else refused)."""
    if channel == SavingsTransaction.Channel.CASH:
        return account_for_role("cash")
    if channel == SavingsTransaction.Channel.BANK:
        return account_for_role("bank")
    raise ApplicationError(
        SavingsErrors.CHANNEL, _("Cara bayar harus tunai atau bank."), fields={"channel": ["?"]}
    )
