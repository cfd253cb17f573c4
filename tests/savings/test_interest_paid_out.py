"""The monthly run's rule for an account paid out in the month (a member's exit
settlement empties it on the exit date): from that day the end-of-day balance is zero.
On the average daily balance basis the days before the payout earn, divided by the
month's days (pro-rata); on the minimum basis the month's lowest balance is zero."""

from datetime import date
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from core.savings.services import interest_for_month

JUNE = {"year": 2026, "month": 6}  # 30 days


def test_average_basis_pays_the_days_before_the_payout_pro_rata():
    # 10,000,000 held 1-15 June (end of day), paid out on the 16th:
    # 10,000,000 × 15 / 30 = 5,000,000 average; × 6 % / 12 = 25,000
    base, interest = interest_for_month(
        opening=D("10000000"),
        movements=[],
        basis="average",
        rate_annual=D("6"),
        paid_out_on=date(2026, 6, 16),
        **JUNE,
    )
    assert base == D("5000000")
    assert interest == D("25000")


def test_average_basis_counts_a_deposit_from_its_day_to_the_day_before_the_payout():
    # 3,000,000 deposited on 6 June, paid out on the 16th: days 6-15 = 10 of 30;
    # 3,000,000 × 10 / 30 = 1,000,000; × 6 % / 12 = 5,000
    _base, interest = interest_for_month(
        opening=D("0"),
        movements=[(date(2026, 6, 6), D("3000000"))],
        basis="average",
        rate_annual=D("6"),
        paid_out_on=date(2026, 6, 16),
        **JUNE,
    )
    assert interest == D("5000")


def test_average_basis_rounds_half_up_to_whole_rupiah():
    # 1,234,567 × 14 / 30 × 5 % / 12 = 2,400.5469... -> 2,401 (paid out on the 15th);
    # 1,234,567 × 9 / 30 × 5 % / 12 = 1,543.20875 -> 1,543 (paid out on the 10th)
    kw = {"opening": D("1234567"), "movements": [], "basis": "average", "rate_annual": D("5")}
    assert interest_for_month(paid_out_on=date(2026, 6, 15), **kw, **JUNE)[1] == D("2401")
    assert interest_for_month(paid_out_on=date(2026, 6, 10), **kw, **JUNE)[1] == D("1543")


def test_paid_out_on_the_first_earns_nothing_and_on_the_last_day_all_but_that_day():
    kw = {"opening": D("3000000"), "movements": [], "basis": "average", "rate_annual": D("12")}
    assert interest_for_month(paid_out_on=date(2026, 6, 1), **kw, **JUNE) == (D("0"), D("0"))
    # 29 of 30 days: 3,000,000 × 29 / 30 × 1 % = 29,000
    assert interest_for_month(paid_out_on=date(2026, 6, 30), **kw, **JUNE)[1] == D("29000")


def test_minimum_basis_earns_nothing_in_the_month_of_the_payout():
    base, interest = interest_for_month(
        opening=D("10000000"),
        movements=[],
        basis="minimum",
        rate_annual=D("6"),
        paid_out_on=date(2026, 6, 30),
        **JUNE,
    )
    assert (base, interest) == (D("0"), D("0"))


@given(
    opening=st.integers(min_value=0, max_value=10**9),
    moves=st.lists(st.tuples(st.integers(1, 30), st.integers(0, 10**7)), max_size=6),
    day=st.integers(1, 30),
)
def test_a_payout_never_earns_more_than_the_whole_month(opening, moves, day):
    kw = {
        "opening": D(opening),
        "movements": [(date(2026, 6, d), D(x)) for d, x in moves if d < day],
        "basis": "average",
        "rate_annual": D("6"),
        **JUNE,
    }
    _b, part = interest_for_month(paid_out_on=date(2026, 6, day), **kw)
    _b, whole = interest_for_month(**kw)
    assert D(0) <= part <= whole
    assert part == part.to_integral_value()
