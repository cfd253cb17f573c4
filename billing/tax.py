"""PPN on the platform's invoices: pure functions over Decimal (whole rupiah, half up)."""

from __future__ import annotations

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
