"""A jasa simpanan run refused names its month in words in the reader's language ("bulan
Februari 2026 sudah dihitung", "month February 2026"), not as ``02/2026``."""

import pytest
from django.utils import translation

from core.common.errors import ApplicationError
from core.savings.services import savings_interest_accrue

from .test_interest_month_skipped import funded, product  # noqa: F401


def _refusal(**kw) -> str:
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(**kw)
    return str(e.value.message)


def test_a_month_run_twice_is_refused_naming_it_in_words(funded, teller, year):  # noqa: F811
    p, _acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    msg = _refusal(product=p, year=year, month=2, by=teller)
    assert f"bulan Februari {year} sudah dihitung" in msg, msg
    assert f"02/{year}" not in msg
    with translation.override("en"):
        msg = _refusal(product=p, year=year, month=2, by=teller)
    assert f"February {year}" in msg and f"02/{year}" not in msg, msg


def test_an_earlier_month_after_a_later_one_is_refused_in_words(funded, teller, year):  # noqa: F811
    p, _acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    from core.savings.models import InterestRun

    InterestRun.objects.filter(product=p, year=year, month=2).delete()
    msg = _refusal(product=p, year=year, month=2, by=teller)
    assert f"bulan Maret {year} sudah dihitung" in msg and f"Februari {year}" in msg, msg


def test_a_month_not_ended_is_refused_in_words(funded, teller, today):  # noqa: F811
    p, _acc = funded
    with translation.override("en"):
        msg = _refusal(product=p, year=today.year + 1, month=today.month, by=teller)
    assert msg.startswith("Month ") and f"/{today.year + 1}" not in msg, msg
