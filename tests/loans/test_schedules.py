"""Loan maths: the domain brief's reference schedules to the rupiah, and properties."""

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.loans import schedules as S
from core.loans.schedules import (
    Kolektibilitas as K,
)
from core.loans.schedules import (
    NplBand,
    RowDue,
    add_months,
    allocate_repayment,
    build_schedule,
    days_past_due,
    fee_amount,
    kolektibilitas,
    late_penalty,
    monthly_rate,
    npl_band,
    npl_ratio,
    ppap_amount,
    spread_over_rows,
)


def test_annuity_reference_schedule_matches_domain_brief():
    s = build_schedule(
        method="annuity", principal=D(10_000_000), rate=monthly_rate(12, "year"), tenor=12
    )
    assert [r.total for r in s.rows[:11]] == [D(888_488)] * 11
    assert (s.rows[0].jasa, s.rows[0].principal) == (D(100_000), D(788_488))
    last = s.rows[-1]
    assert (last.principal, last.jasa, last.total) == (D(879_688), D(8_797), D(888_485))
    assert s.total_jasa == D(661_853)
    assert s.total_principal == D(10_000_000)
    assert last.balance_after == 0


def test_flat_reference_schedule_matches_domain_brief():
    s = build_schedule(
        method="flat", principal=D(10_000_000), rate=monthly_rate(1, "month"), tenor=10
    )
    assert all(
        (r.principal, r.jasa, r.total) == (D(1_000_000), D(100_000), D(1_100_000)) for r in s.rows
    )
    assert s.total_jasa == D(1_000_000)


def test_declining_balance_jasa_on_the_balance():
    s = build_schedule(method="declining", principal=D(1_200_000), rate=D("0.01"), tenor=12)
    assert s.rows[0].principal == D(100_000) and s.rows[0].jasa == D(12_000)
    assert s.rows[-1].jasa == D(1_000)
    assert s.total_jasa == sum(D(1_000) * k for k in range(1, 13))


def test_last_instalment_absorbs_rounding():
    s = build_schedule(method="flat", principal=D(1_000_000), rate=D("0.01"), tenor=3)
    assert [r.principal for r in s.rows] == [D(333_333), D(333_333), D(333_334)]


def test_due_dates_follow_first_due_and_clamp_month_end():
    s = build_schedule(
        method="flat", principal=D(300), rate=D(0), tenor=3, first_due=date(2026, 1, 31)
    )
    assert [r.due_date for r in s.rows] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


@pytest.mark.parametrize(
    "bad", [{"principal": D(0)}, {"principal": D("10.5")}, {"tenor": 0}, {"rate": D("-0.01")}]
)
def test_build_schedule_refuses_bad_input(bad):
    args = {"method": "flat", "principal": D(1000), "rate": D("0.01"), "tenor": 3} | bad
    with pytest.raises(ValueError):
        build_schedule(**args)


def test_money_refuses_float():
    with pytest.raises(TypeError):
        build_schedule(method="flat", principal=1000.0, rate=D("0.01"), tenor=3)


methods = st.sampled_from(["flat", "annuity", "declining"])
principals = st.integers(min_value=1, max_value=5_000_000_000).map(D)
rates = st.integers(min_value=0, max_value=500).map(lambda bp: D(bp) / D(10_000))  # 0..5 %/month
tenors = st.integers(min_value=1, max_value=240)


@settings(max_examples=300, deadline=None)
@given(method=methods, principal=principals, rate=rates, tenor=tenors)
def test_principal_repaid_equals_principal_lent(method, principal, rate, tenor):
    s = build_schedule(method=method, principal=principal, rate=rate, tenor=tenor)
    assert s.total_principal == principal
    assert len(s.rows) == tenor
    assert s.rows[-1].balance_after == 0
    for r in s.rows:
        assert r.principal >= 0 and r.jasa >= 0 and r.balance_after >= 0
        assert r.principal == r.principal.to_integral_value()
        assert r.jasa == r.jasa.to_integral_value()


@settings(max_examples=300, deadline=None)
@given(
    per_month=st.integers(min_value=1_000, max_value=50_000_000),
    rate=st.integers(min_value=0, max_value=300).map(lambda bp: D(bp) / D(10_000)),
    tenor=st.integers(min_value=2, max_value=120),
)
def test_annuity_instalments_equal_but_the_last(per_month, rate, tenor):
    # Realistic KPRI terms (up to 3 % a month, 10 years, Rp 1,000+ principal a month).
    # Outside them (e.g. 3.5 % a month over 15 years on Rp 1,000 a month) the half-rupiah
    # rounded up each month compounds past the last instalment and the loan is repaid
    # a month early; principal repaid still equals principal lent (property above).
    principal = D(per_month * tenor)
    s = build_schedule(method="annuity", principal=principal, rate=rate, tenor=tenor)
    assert len({r.total for r in s.rows[:-1]}) == 1
    assert s.rows[-1].principal > 0


@settings(max_examples=200, deadline=None)
@given(
    amount=st.integers(0, 10**9).map(D),
    pen=st.integers(0, 10**7).map(D),
    jasa=st.integers(0, 10**8).map(D),
    princ=st.integers(0, 10**9).map(D),
)
def test_allocation_pays_penalty_then_jasa_then_principal(amount, pen, jasa, princ):
    a = allocate_repayment(amount=amount, penalty_due=pen, jasa_due=jasa, principal_due=princ)
    assert a.penalty + a.jasa + a.principal + a.excess == amount
    assert min(a.penalty, a.jasa, a.principal, a.excess) >= 0
    if a.jasa > 0:
        assert a.penalty == pen
    if a.principal > 0:
        assert a.jasa == jasa
    if a.excess > 0:
        assert a.principal == princ


def test_allocation_refuses_negative_amount():
    with pytest.raises(ValueError):
        allocate_repayment(amount=D(-1), penalty_due=0, jasa_due=0, principal_due=0)


def test_spread_over_rows_oldest_first_per_component():
    rows = [RowDue(1, D(10), D(100), D(1000)), RowDue(2, D(10), D(100), D(1000))]
    a = allocate_repayment(
        amount=D(1300), penalty_due=D(20), jasa_due=D(200), principal_due=D(2000)
    )
    out = spread_over_rows(rows, a)
    assert (out[1].penalty, out[1].jasa, out[1].principal) == (D(10), D(100), D(1000))
    assert (out[2].penalty, out[2].jasa, out[2].principal) == (D(10), D(100), D(80))


def test_fees_percent_or_fixed():
    assert fee_amount(base=D(10_000_000), kind="percent", value=D("1.5")) == D(150_000)
    assert fee_amount(base=D(10_000_000), kind="fixed", value=D(25_000)) == D(25_000)
    assert fee_amount(base=D(333), kind="percent", value=D("0.5")) == D(2)  # 1.665 -> 2


def test_late_penalty_respects_grace_and_basis():
    kw = {"overdue_amount": D(1_000_000), "rate_percent": D("0.1")}
    assert late_penalty(days_late=5, basis="per_day", grace_days=5, **kw) == 0
    assert late_penalty(days_late=8, basis="per_day", grace_days=5, **kw) == D(3_000)
    kw["rate_percent"] = D(2)
    assert late_penalty(days_late=31, basis="per_month", grace_days=0, **kw) == D(40_000)
    assert late_penalty(days_late=30, basis="per_month", grace_days=0, **kw) == D(20_000)


def test_days_past_due_counts_from_oldest_unpaid():
    on = date(2026, 6, 10)
    assert days_past_due([date(2026, 5, 1), date(2026, 6, 1), date(2026, 7, 1)], on) == 40
    assert days_past_due([date(2026, 6, 10)], on) == 0
    assert days_past_due([], on) == 0


@pytest.mark.parametrize(
    ("days", "grade"),
    [
        (0, K.LANCAR),
        (90, K.LANCAR),
        (91, K.KURANG_LANCAR),
        (180, K.KURANG_LANCAR),
        (181, K.DIRAGUKAN),
        (270, K.DIRAGUKAN),
        (271, K.MACET),
        (5000, K.MACET),
    ],
)
def test_kolektibilitas_default_thresholds(days, grade):
    assert kolektibilitas(days) == grade


def test_kolektibilitas_thresholds_configurable_and_validated():
    assert kolektibilitas(31, (30, 60, 90)) == K.KURANG_LANCAR
    with pytest.raises(ValueError):
        kolektibilitas(10, (60, 30, 90))


def test_ppap_default_rates():
    out = D(10_000_000)
    assert [ppap_amount(out, g) for g in S.KOLEK_GRADES[S.KolekScheme.FOUR]] == [
        D(50_000),
        D(1_000_000),
        D(5_000_000),
        D(10_000_000),
    ]


@pytest.mark.parametrize(
    "days,grade",
    [(0, "lancar"), (1, "dpk"), (90, "dpk"), (91, "kurang_lancar"), (120, "kurang_lancar")]
    + [(121, "diragukan"), (180, "diragukan"), (181, "macet"), (5000, "macet")],
)
def test_five_grade_scheme_bands(days, grade):
    """Lancar 0, DPK 1-90, Kurang Lancar 91-120, Diragukan 121-180, Macet above."""
    assert kolektibilitas(days, S.FIVE_KOLEK_THRESHOLDS) == grade


def test_five_grade_ppap_rates():
    out = D(10_000_000)
    assert [ppap_amount(out, g, S.FIVE_PPAP_RATES) for g in S.KOLEK_ORDER] == [
        D(50_000),
        D(500_000),
        D(1_500_000),
        D(5_000_000),
        D(10_000_000),
    ]


@pytest.mark.parametrize(
    ("ratio", "band"),
    [
        (D(0), NplBand.SEHAT),
        (D(5), NplBand.SEHAT),
        (D("5.01"), NplBand.CUKUP_SEHAT),
        (D(10), NplBand.CUKUP_SEHAT),
        (D(15), NplBand.KURANG_SEHAT),
        (D("15.01"), NplBand.TIDAK_SEHAT),
    ],
)
def test_npl_bands(ratio, band):
    assert npl_band(ratio) == band


def test_npl_ratio():
    assert npl_ratio(non_performing=D(1), total=D(3)) == D("33.33")
    assert npl_ratio(non_performing=D(0), total=D(0)) == 0


def test_restructured_probation_ends_once_the_grade_kept_is_back_to_the_best():
    """Four grades, probation 3: Diragukan needs two runs of three on-time instalments
    (one grade each); a loan restructured while Lancar needs one run; a late row restarts
    the count."""
    grades = S.KOLEK_GRADES[S.KolekScheme.FOUR]
    dues = [date(2026, m, 10) for m in range(1, 13)]
    on_time = [(d, d) for d in dues]

    def ended(start, rows, on):
        return S.restructured_probation_ended(
            grade_at_restructure=start, rows=rows, on=on, probation=3, grades=grades
        )

    assert not ended("diragukan", on_time, date(2026, 3, 31))  # one run: Kurang Lancar
    assert not ended("diragukan", on_time, date(2026, 5, 31))
    assert ended("diragukan", on_time, date(2026, 6, 10))  # two runs: Lancar
    assert not ended("lancar", on_time, date(2026, 2, 28))
    assert ended("lancar", on_time, date(2026, 3, 10))
    late = [(d, d if i != 1 else date(2026, 2, 20)) for i, d in enumerate(dues)]
    assert not ended("lancar", late, date(2026, 4, 30))  # rows 3, 4 only
    assert ended("lancar", late, date(2026, 5, 10))
