from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from core.common.money import RupiahError, format_rupiah, parse_percent, parse_rupiah, round_rupiah


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


# --- numbers from spreadsheet cells: read as Excel shows them (15 significant digits) ---


@pytest.mark.parametrize(
    "cell,amount",
    [
        (100000 * 1.1, 110000),  # =100000*1,1 is stored as 110000.00000000001
        (300000.00000000006, 300000),
        (1249999.9999999998, 1250000),
        (250000.0, 250000),
    ],
)
def test_float_cell_with_excel_noise_is_the_whole_rupiah_shown(cell, amount):
    assert parse_rupiah(cell) == Decimal(amount)


def test_float_cell_with_real_sen_is_refused_saying_the_value_and_how_to_round():
    with pytest.raises(RupiahError) as e:
        parse_rupiah(1234.5, field="Realisasi")
    assert e.value.reason == "rupiah_not_whole"
    assert e.value.text == (
        "Realisasi 1.234,5 bukan rupiah utuh (ada sen); bulatkan dulu, mis. dengan "
        "=ROUND(...;0) di Excel."
    )
    with pytest.raises(RupiahError, match="0,3 bukan rupiah utuh"):
        parse_rupiah(0.1 + 0.2)


def test_float_with_sen_where_the_field_takes_them_is_read_at_fifteen_digits():
    assert parse_rupiah(0.1 + 0.2, whole=False) == Decimal("0.30")
    with pytest.raises(RupiahError):
        parse_rupiah(1234.505, whole=False)


def test_large_float_amounts_are_never_rounded_to_fifteen_digits():
    """From 10^13 on, 15 significant digits cannot hold the sen: such a float is read
    exactly as before (its shortest repr), and refused where whole rupiah are required,
    never rounded."""
    with pytest.raises(RupiahError) as e:
        parse_rupiah(123456789012345.4)
    assert e.value.reason == "rupiah_not_whole"
    assert parse_rupiah(12345678901234.56, whole=False) == Decimal("12345678901234.56")
    assert parse_rupiah(9999999999999.99, whole=False) == Decimal("9999999999999.99")


# --- percentages typed by people (rates) ---


@pytest.mark.parametrize(
    "typed,rate",
    [
        ("1", "1"),
        ("1,5", "1.5"),
        ("1.5", "1.5"),
        ("1,5%", "1.5"),
        (" 12,25 % ", "12.25"),
        ("0", "0"),
        ("100", "100"),
        (",5", "0.5"),
        (1, "1"),
        (Decimal("2.5000"), "2.5"),
        (0.30000000000000004, "0.3"),
    ],
)
def test_parse_percent_reads_rates_as_people_type_them(typed, rate):
    got = parse_percent(typed, field="Jasa")
    assert got == Decimal(rate) and got.as_tuple().exponent == -4


@pytest.mark.parametrize(
    "bad,message",
    [
        ("NaN", "Jasa tidak valid: NaN"),
        ("sNaN", "Jasa tidak valid: sNaN"),
        ("Infinity", "Jasa tidak valid: Infinity"),
        (float("nan"), "Jasa tidak valid: nan"),
        ("1e3", "Jasa tidak valid: 1e3"),
        ("1.234,5", "Jasa tidak valid: 1.234,5"),
        ("", "Jasa tidak valid: -"),
        (True, "Jasa tidak valid: True"),
        (Decimal("NaN"), "Jasa tidak valid: NaN"),
        ("1500", "Jasa harus antara 0 dan 100 persen."),
        ("-0,5", "Jasa harus antara 0 dan 100 persen."),
        ("1,23456", "Jasa paling banyak 4 angka di belakang koma: 1,23456"),
    ],
)
def test_parse_percent_refuses_with_a_specific_message(bad, message):
    with pytest.raises(ValidationError) as e:
        parse_percent(bad, field="Jasa")
    assert e.value.messages == [message]


def test_parse_percent_refuses_a_superscript_digit_instead_of_reading_it():
    """``1,5²`` (a footnote mark) was read as 1,52 %."""
    with pytest.raises(ValidationError) as e:
        parse_percent("1,5²", field="Jasa")
    assert e.value.messages == ["Jasa tidak valid: 1,5²"]


@pytest.mark.parametrize(
    ("rate", "text"),
    [(Decimal("33.33"), "33,33"), (Decimal("10.0000"), "10"), (Decimal("0.5"), "0,5"), (0, "0")],
)
def test_format_percent_writes_a_rate_as_the_screens_do(rate, text):
    from core.common.money import format_percent

    assert format_percent(rate) == text


def test_money_fields_minimum_names_rupiah():
    """An amount of 0 was refused with "Paling sedikit 1." — one what?"""
    from rest_framework import serializers

    from core.common.fields import RupiahField, RupiahSerializerField

    with pytest.raises(ValidationError) as e:
        RupiahField(min_value=1).clean("0")
    assert e.value.messages == ["Paling sedikit Rp 1."]
    with pytest.raises(serializers.ValidationError) as e:
        RupiahSerializerField(min_value=1).to_internal_value("0")
    assert [str(m) for m in e.value.detail] == ["Paling sedikit Rp 1."]
