"""The amount in words (*terbilang*) printed beside the figure on receipts, vouchers and
the loan agreement: whole rupiah rounded as the figure is, in the reader's language."""

from decimal import Decimal as D

import pytest
from django.template import Context, Template
from django.utils import translation

from core.common.money import format_rupiah, rupiah_in_words


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (0, "Nol rupiah"),
        (1, "Satu rupiah"),
        (11, "Sebelas rupiah"),
        (100, "Seratus rupiah"),
        (1_000, "Seribu rupiah"),
        (1_100, "Seribu seratus rupiah"),
        (D("250000"), "Dua ratus lima puluh ribu rupiah"),
        (
            D("1234567"),
            "Satu juta dua ratus tiga puluh empat ribu lima ratus enam puluh tujuh rupiah",
        ),
        (D("9650000.00"), "Sembilan juta enam ratus lima puluh ribu rupiah"),
        (2_000_000_000, "Dua miliar rupiah"),
        (1_000_000_000_000, "Satu triliun rupiah"),
        ("1500000", "Satu juta lima ratus ribu rupiah"),
    ],
)
def test_indonesian(value, words):
    with translation.override("id"):
        assert rupiah_in_words(value) == words


def test_english():
    with translation.override("en"):
        assert rupiah_in_words(D("1250000")) == "One million, two hundred and fifty thousand rupiah"
        assert rupiah_in_words(1) == "One rupiah"


@pytest.mark.parametrize(
    ("value", "shown"), [(D("1234567.50"), "Rp 1.234.568"), (D("999.49"), "Rp 999")]
)
def test_words_say_the_figure_printed_beside_them(value, shown):
    """Rounded half up to whole rupiah as format_rupiah rounds: never a different number."""
    assert format_rupiah(value) == shown
    with translation.override("id"):
        words = rupiah_in_words(value)
    expected = {
        "Rp 1.234.568": "Satu juta dua ratus tiga puluh empat ribu lima ratus enam puluh delapan",
        "Rp 999": "Sembilan ratus sembilan puluh sembilan",
    }[shown]
    assert words == f"{expected} rupiah"


def test_nothing_for_no_amount_and_a_float_refused():
    assert rupiah_in_words(None) == "" and rupiah_in_words("") == ""
    with pytest.raises(TypeError):
        rupiah_in_words(1.5)


def test_the_template_filter():
    with translation.override("id"):
        html = Template("{% load lumbung %}{{ a|terbilang }}").render(Context({"a": D("75000")}))
    assert html == "Tujuh puluh lima ribu rupiah"
