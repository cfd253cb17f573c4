"""Rupiah arithmetic and formatting. Money is Decimal, never float."""

from decimal import ROUND_HALF_UP, Decimal

RUPIAH = Decimal("1")
CENT = Decimal("0.01")


def to_decimal(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal, int or string.")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def round_rupiah(value) -> Decimal:
    """Whole rupiah, half-up (the rule for member-facing amounts)."""
    return to_decimal(value).quantize(RUPIAH, rounding=ROUND_HALF_UP)


def format_rupiah(value, *, decimals: int = 0) -> str:
    """`Rp 1.234.567` (dot thousands, comma decimals); negatives as `-Rp 1.234`."""
    if value is None or value == "":
        return ""
    d = to_decimal(value)
    q = Decimal(1).scaleb(-decimals) if decimals else RUPIAH
    d = d.quantize(q, rounding=ROUND_HALF_UP)
    sign = "-" if d < 0 else ""
    whole, _, frac = f"{abs(d):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    if decimals:
        text += "," + frac.ljust(decimals, "0")
    return f"{sign}Rp {text}"
