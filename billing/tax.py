"""PPN on the platform's invoices: pure functions over Decimal (whole rupiah, half up)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

ONE = Decimal(1)


def tax_split(*, price: Decimal, rate: Decimal, includes_ppn: bool) -> tuple[Decimal, Decimal]:
    """(DPP, PPN) for a stated price. A price that includes PPN is the total: DPP is
    price / (1 + rate) rounded, PPN the rest, so DPP + PPN is exactly the price. A price
    without PPN is the DPP, and PPN is added on top."""
    price = Decimal(price)
    rate = Decimal(rate)
    if rate < 0:
        raise ValueError("PPN rate cannot be negative")
    if includes_ppn:
        dpp = (price / (ONE + rate)).quantize(ONE, ROUND_HALF_UP)
        return dpp, price - dpp
    return price, (price * rate).quantize(ONE, ROUND_HALF_UP)


# The separators people write an NPWP with (01.234.567.8-901.000): removed before counting.
NPWP_SEPARATORS = re.compile(r"[.\- ]")
NPWP_DIGITS = re.compile(r"[0-9]{15}|[0-9]{16}")


def npwp_digits(text: str) -> str | None:
    """The NPWP's digits (15, or 16 since the NIK became the NPWP), or None when
    ``text`` is no NPWP: after removing dots, dashes and spaces only ASCII digits may
    be left (no digits of another script, no words around the number)."""
    bare = NPWP_SEPARATORS.sub("", text or "")
    return bare if NPWP_DIGITS.fullmatch(bare) else None
