"""What the ledger services share: the line spec, amount checks, the acting user's role."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.common.errors import ApplicationError
from core.common.money import CENT

from ..errors import LedgerErrors as E
from ..models import (
    Account,
)

ZERO = Decimal("0")
MAX_AMOUNT = Decimal("9999999999999999.99")
COPY_THRESHOLD = 200  # entries with more lines are written with COPY


@dataclass(frozen=True, slots=True)  # slots: a payroll batch holds 90,000 of them
class LineSpec:
    account: Account | str  # an Account or an account code
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    member_id: int | None = None
    memo: str = ""
    # one side of a non-cash pair in an entry touching cash (``JournalLine.non_cash``)
    non_cash: bool = False


def _user_or_none(by):
    return by if getattr(by, "is_authenticated", False) and getattr(by, "pk", None) else None


def _role_of(by) -> str:
    return getattr(by, "role", "") or ""


def _amount(value, *, line_no: int, side: str) -> Decimal:
    if value is None or value == "":
        return ZERO
    if isinstance(value, float):
        raise ApplicationError(
            E.AMOUNT_TYPE,
            _("Baris %(n)s: jumlah %(side)s harus Decimal, bukan float.")
            % {"n": line_no, "side": side},
        )
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ApplicationError(
            E.AMOUNT_TYPE,
            _("Baris %(n)s: jumlah %(side)s bukan angka.") % {"n": line_no, "side": side},
        )
    if not d.is_finite():
        raise ApplicationError(
            E.AMOUNT_TYPE,
            _("Baris %(n)s: jumlah %(side)s bukan angka.") % {"n": line_no, "side": side},
        )
    if d != d.quantize(CENT):
        raise ApplicationError(
            E.AMOUNT_PRECISION,
            _("Baris %(n)s: jumlah paling banyak dua angka desimal.") % {"n": line_no},
        )
    if abs(d) > MAX_AMOUNT:
        raise ApplicationError(
            E.AMOUNT_TYPE, _("Baris %(n)s: jumlah terlalu besar.") % {"n": line_no}
        )
    return d


def _require(by, roles, what: str) -> None:
    if _role_of(by) not in roles:
        raise ApplicationError(
            E.NOT_ALLOWED,
            _("Peran Anda tidak boleh %(what)s.") % {"what": what},
            status=403,
        )
