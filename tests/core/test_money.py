from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.common.money import format_rupiah, round_rupiah


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1234567"), "Rp 1.234.567"),
        (Decimal("0"), "Rp 0"),
        (Decimal("999"), "Rp 999"),
        (Decimal("1000"), "Rp 1.000"),
        (Decimal("-1234.5"), "-Rp 1.235"),
        (Decimal("888487.89"), "Rp 888.488"),
    ],
)
def test_format_rupiah(value, text):
    assert format_rupiah(value) == text


def test_format_rupiah_with_decimals_uses_comma():
    assert format_rupiah(Decimal("1234.5"), decimals=2) == "Rp 1.234,50"


def test_money_refuses_floats():
    with pytest.raises(TypeError):
        round_rupiah(1.5)


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_format_rupiah_round_trips_digits(n):
    text = format_rupiah(Decimal(n))
    assert int(text.replace("Rp ", "").replace(".", "")) == n
