"""The pure allocation: priority order, shortfall, excess, spreading over loans."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.deductions.allocation import allocate, clean_priority

money = st.integers(min_value=0, max_value=5_000_000).map(D)


def test_default_priority_pays_jasa_then_principal_then_wajib():
    a = allocate(realized=D("350000"), wajib=D("100000"), loans=[(D("100000"), D("1000000"))])
    assert a.paid == {"jasa": D("100000"), "principal": D("250000"), "wajib": 0, "others": 0}
    assert a.shortfall == D("850000") and a.excess == 0


def test_custom_priority_wajib_first_and_excess():
    a = allocate(
        realized=D("1500000"),
        wajib=D("100000"),
        loans=[(D("100000"), D("1000000"))],
        purposes=[D("50000")],
        priority=["wajib", "others", "jasa", "principal"],
    )
    assert a.paid["wajib"] == D("100000") and a.paid["others"] == D("50000")
    assert a.excess == D("250000") and a.shortfall == 0


def test_loans_filled_in_order():
    a = allocate(
        realized=D("250000"), wajib=D("0"), loans=[(D("100000"), D("500")), (D("100000"), D("0"))]
    )
    assert a.loans == [(D("100000"), D("500")), (D("100000"), D("0"))]
    assert a.excess == D("49500")


def test_bad_priority_and_negative_refused():
    with pytest.raises(ValueError):
        clean_priority("jasa,jasa,wajib,others")
    with pytest.raises(ValueError):
        allocate(realized=D("-1"), wajib=D("0"), loans=[])


@given(
    realized=money,
    wajib=money,
    loans=st.lists(st.tuples(money, money), max_size=3),
    purposes=st.lists(money, max_size=2),
)
def test_every_rupiah_is_accounted_for(realized, wajib, loans, purposes):
    a = allocate(realized=realized, wajib=wajib, loans=loans, purposes=purposes)
    asked = wajib + sum(j + p for j, p in loans) + sum(purposes)
    assert a.total_paid + a.excess == realized
    assert a.total_paid + a.shortfall == asked
    assert sum(j + p for j, p in a.loans) == a.paid["jasa"] + a.paid["principal"]
    assert all(x >= 0 for x in [*a.paid.values(), a.excess, a.shortfall])
