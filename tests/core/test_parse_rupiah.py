"""The one reader of rupiah typed by people (core.common.money.parse_rupiah)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from core.common.fields import RupiahField, RupiahSerializerField
from core.common.money import MAX_RUPIAH, RupiahError, parse_rupiah


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("1234567", 1234567),
        ("1 234 567", 1234567),
        ("Rp 1.234.567", 1234567),
        ("Rp1.234.567", 1234567),
        ("Rp. 1.234.567", 1234567),
        ("RP 250.000", 250000),
        ("IDR 250,000", 250000),
        ("Rp\u00a0250.000", 250000),
        ("Rp\u202f250.000", 250000),
        ("\u2007250.000\u200b", 250000),
        ("250.000,-", 250000),
        ("Rp 250.000,-", 250000),
        ("1.234.567,00", 1234567),
        ("1,234,567.00", 1234567),
        ("75,000", 75000),
        ("500.000", 500000),
        ("10.000.000", 10000000),
        ("0", 0),
        ("  42  ", 42),
        ("\uff11\uff10\uff10", 100),  # full-width digits
    ],
)
def test_parse_rupiah_reads_what_people_write(text, value):
    assert parse_rupiah(text) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.234,56", "rupiah_not_whole"),
        ("1,234.56", "rupiah_not_whole"),
        ("12,5", "rupiah_not_whole"),
        ("1.23.4", "rupiah_invalid"),
        ("1.2345", "rupiah_invalid"),
        ("1,23,456", "rupiah_invalid"),
        ("1e30", "rupiah_invalid"),
        ("12abc", "rupiah_invalid"),
        ("NaN", "rupiah_invalid"),
        ("Infinity", "rupiah_invalid"),
        ("Rp", "rupiah_invalid"),
        ("Rp.", "rupiah_invalid"),
        ("", "rupiah_empty"),
        ("-", "rupiah_empty"),
        ("-5.000", "rupiah_negative"),
        ("9" * 25, "rupiah_too_large"),
        ("1.000.000.000.000.000", "rupiah_too_large"),
        ("1.234.567,89", "rupiah_not_whole"),
    ],
)
def test_parse_rupiah_refuses_with_a_reason(text, reason):
    with pytest.raises(RupiahError) as e:
        parse_rupiah(text, field="Jumlah")
    assert e.value.reason == reason
    assert "Jumlah" in e.value.text


def test_dash_is_zero_only_where_allowed():
    assert parse_rupiah("-", allow_dash_zero=True) == 0
    assert parse_rupiah("Rp -", allow_dash_zero=True) == 0  # accounting format for zero
    with pytest.raises(RupiahError):
        parse_rupiah("-")


def test_negative_only_where_allowed():
    assert parse_rupiah("-1.500", allow_negative=True) == Decimal(-1500)
    assert parse_rupiah("Rp -1.500", allow_negative=True) == Decimal(-1500)


def test_cents_where_the_field_takes_them():
    assert parse_rupiah("1.234,56", whole=False) == Decimal("1234.56")
    assert parse_rupiah("1,234.5", whole=False) == Decimal("1234.50")
    with pytest.raises(RupiahError):
        parse_rupiah(Decimal("1.005"), whole=False)


def test_json_numbers_with_sen_where_the_field_takes_them():
    assert parse_rupiah(10.5, whole=False) == Decimal("10.50")
    assert parse_rupiah(1234.56, whole=False) == Decimal("1234.56")
    with pytest.raises(RupiahError):
        parse_rupiah(10.5)
    with pytest.raises(RupiahError):
        parse_rupiah(0.001, whole=False)


def test_numbers_from_code_and_cells():
    assert parse_rupiah(250000) == 250000
    assert parse_rupiah(250000.0) == 250000
    assert parse_rupiah(Decimal("250000.00")) == 250000
    for bad in (0.5, float("nan"), float("inf"), 1e30, True, Decimal("NaN")):
        with pytest.raises(RupiahError):
            parse_rupiah(bad)


def test_bounded_by_max_value():
    assert parse_rupiah(str(MAX_RUPIAH)) == MAX_RUPIAH
    with pytest.raises(RupiahError) as e:
        parse_rupiah("2.000.000", max_value=Decimal(1_000_000))
    assert e.value.reason == "rupiah_too_large"


def _group(n: int, sep: str) -> str:
    s = str(n)
    parts = []
    while len(s) > 3:
        parts.insert(0, s[-3:])
        s = s[:-3]
    parts.insert(0, s)
    return sep.join(parts)


SPACES = st.sampled_from([" ", "\u00a0", "\u202f", "\u2009", "\t", "  "])


@st.composite
def written_amounts(draw):
    n = draw(st.integers(min_value=0, max_value=int(MAX_RUPIAH)))
    sep = draw(st.sampled_from(["", ".", ",", " "]))
    body = _group(n, sep) if sep else str(n)
    if draw(st.booleans()):
        cents_sep = {".": ",", ",": ".", " ": ",", "": draw(st.sampled_from([",", "."]))}[sep]
        body += cents_sep + "00"
    elif draw(st.booleans()):
        body += draw(st.sampled_from([",-", ".-", ",--"]))
    prefix = draw(st.sampled_from(["", "Rp", "Rp.", "RP", "rp", "IDR"]))
    if prefix:
        prefix += draw(st.one_of(st.just(""), SPACES))
    return n, draw(st.one_of(st.just(""), SPACES)) + prefix + body + draw(
        st.one_of(st.just(""), SPACES)
    )


@given(written_amounts())
def test_any_formatting_of_any_amount_reads_back_the_amount(case):
    n, text = case
    assert parse_rupiah(text) == Decimal(n)


@given(
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=1, max_value=99),
    st.sampled_from([(".", ","), (",", ".")]),
)
def test_cents_are_never_read_as_thousands(n, cents, seps):
    group, dec = seps
    if cents % 10 == 0 and cents < 10:
        return
    text = _group(n, group) + dec + f"{cents:02d}"
    if cents == 0:
        return
    with pytest.raises(RupiahError) as e:
        parse_rupiah(text)
    assert e.value.reason == "rupiah_not_whole"
    assert parse_rupiah(text, whole=False) == Decimal(n) + Decimal(cents) / 100


@given(st.text(max_size=30))
def test_any_text_is_read_or_refused_never_crashes(text):
    try:
        d = parse_rupiah(text)
    except RupiahError:
        return
    assert d == d.to_integral_value() and 0 <= d <= MAX_RUPIAH


def test_form_field_reads_and_shows_rupiah():
    f = RupiahField(label="Jumlah", min_value=1)
    assert f.clean("Rp 1.250.000") == Decimal(1250000)
    assert f.prepare_value(Decimal(1250000)) == "1.250.000"
    with pytest.raises(ValidationError) as e:
        f.clean("1.234,56")
    assert "rupiah utuh" in str(e.value)
    with pytest.raises(ValidationError):
        f.clean("0")


def test_serializer_field_reads_strings_and_numbers():
    f = RupiahSerializerField()
    f.bind("amount", None)
    assert f.to_internal_value("10.000.000") == Decimal(10000000)
    assert f.to_internal_value(250000) == Decimal(250000)
    assert f.to_representation(Decimal(5)) == "5.00"
    with pytest.raises(serializers.ValidationError):
        f.to_internal_value("1e30")


@pytest.mark.parametrize("text", ["1250000²", "250.000¹", "①", "١٢٣", "1.000\u00bd"])
def test_digits_that_are_not_0_to_9_are_refused_not_read_as_digits(text):
    """NFKC turns a footnote mark ``²`` into the digit 2: ``1250000²`` was read as
    12.500.002. A superscript, circled, fraction or Arabic-Indic digit is refused saying
    so; full-width digits (``１００``, same value) are still read."""
    with pytest.raises(RupiahError) as e:
        parse_rupiah(text, field="Jumlah")
    assert e.value.reason == "rupiah_invalid"
    assert "0-9" in e.value.text and "Jumlah" in e.value.text
