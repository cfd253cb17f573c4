"""What the savings services share: error codes, the result of an ``*_apply``, amount
checks, gapless receipt numbers."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from django.db import connection
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from core.common.money import round_rupiah, to_decimal
from core.ledger.services import LineSpec

from ..models import ReceiptSequence, SavingsTransaction

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
    PRODUCT_INVALID = "savings_product_invalid"
    REVERSAL = "savings_reversal_refused"


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


def receipt_number_next(*, prefix: str, on: date) -> str:
    """The next receipt number for ``prefix`` in ``on``'s year, e.g. KW-2026-000001.
    Gapless within committed transactions (the counter row is locked until commit)."""
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO savings_receiptsequence (prefix, year, last) VALUES (%s, %s, 0)"
            " ON CONFLICT (prefix, year) DO NOTHING",
            [prefix, on.year],
        )
    seq = ReceiptSequence.objects.select_for_update().get(prefix=prefix, year=on.year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return f"{prefix}-{on.year}-{seq.last:06d}"
