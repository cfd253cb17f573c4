"""The SHU maths (core.yearend.allocation): pure functions, no database."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.yearend import allocation as alloc
from core.yearend.allocation import MemberInput

D = Decimal


def test_domain_brief_worked_example():
    """Pools of Rp 25,000,000 each; capital 5,000,000 of 1,000,000,000 and jasa
    1,200,000 of 240,000,000 → JMA 125,000 + JUA 125,000 = Rp 250,000."""
    me = MemberInput(1, "A0001", D("5000000"), D("1200000"))
    rest = MemberInput(2, "A0002", D("995000000"), D("238800000"))
    result = alloc.allocate_members(
        members=[me, rest], jma_pool=D("25000000"), jua_pool=D("25000000")
    )
    mine = result.shares[0]
    assert (mine.jma, mine.jua, mine.total) == (D("125000"), D("125000"), D("250000"))
    assert sum(r.jma for r in result.shares) == D("25000000")
    assert sum(r.jua for r in result.shares) == D("25000000")


def test_default_split_is_the_domain_example_and_100_percent():
    split = alloc.split_funds(amount=D("100000000"), percentages=alloc.DEFAULT_PERCENTAGES)
    assert split.funds == {
        "jasa_modal": D("25000000"),
        "jasa_anggota": D("25000000"),
        "cadangan": D("20000000"),
        "pengurus": D("10000000"),
        "pendidikan": D("10000000"),
        "karyawan": D("5000000"),
        "pembangunan": D("2500000"),
        "sosial": D("2500000"),
    }


def test_split_residue_sen_and_rounding_unit_go_to_cadangan():
    split = alloc.split_funds(
        amount=D("1000001.75"), percentages=alloc.DEFAULT_PERCENTAGES, unit=1000
    )
    assert sum(split.funds.values()) == D("1000001.75")
    assert split.funds["jasa_modal"] % 1000 == 0 and split.funds["jasa_anggota"] % 1000 == 0
    assert split.residue > 0


def test_largest_remainder_ties_broken_by_member_number():
    members = [
        MemberInput(10, "B", D("1"), D("0")),
        MemberInput(11, "A", D("1"), D("0")),
        MemberInput(12, "C", D("1"), D("0")),
    ]
    r = alloc.allocate_members(members=members, jma_pool=D("4"), jua_pool=D("0"))
    by_number = {s.number: s.jma for s in r.shares}
    assert by_number == {"A": D("2"), "B": D("1"), "C": D("1")}


def test_pool_without_claims_is_left_unallocated():
    r = alloc.allocate_members(
        members=[MemberInput(1, "A", D("100"), D("0"))], jma_pool=D("10"), jua_pool=D("7")
    )
    assert r.shares[0].jua == 0 and r.jua_unallocated == D("7") and r.jma_unallocated == 0


@pytest.mark.parametrize(
    "pct",
    [
        {**alloc.DEFAULT_PERCENTAGES, "sosial": D("2.4")},  # 99.9
        {**alloc.DEFAULT_PERCENTAGES, "sosial": D("2.6")},  # 100.1
        {k: v for k, v in alloc.DEFAULT_PERCENTAGES.items() if k != "sosial"},
        {**alloc.DEFAULT_PERCENTAGES, "sosial": D("-2.5"), "cadangan": D("25")},
    ],
)
def test_percentages_must_sum_to_exactly_100(pct):
    with pytest.raises(alloc.AllocationError):
        alloc.split_funds(amount=D("1000"), percentages=pct)


def test_deficit_is_not_split():
    with pytest.raises(alloc.AllocationError):
        alloc.split_funds(amount=D("-1"), percentages=alloc.DEFAULT_PERCENTAGES)


def test_income_tax_rules():
    kw = {"shu_before_tax": D("10000000.50"), "turnover": D("300000000")}
    assert alloc.income_tax(rule="none", rate=D("0"), **kw) == 0
    assert alloc.income_tax(rule="shu_percent", rate=D("22"), **kw) == D("2200000")
    assert alloc.income_tax(rule="turnover_final", rate=D("0.5"), **kw) == D("1500000")
    assert (
        alloc.income_tax(rule="shu_percent", rate=D("22"), shu_before_tax=D("-5"), turnover=0) == 0
    )
    with pytest.raises(alloc.AllocationError):
        alloc.income_tax(rule="other", rate=D("1"), **kw)


def test_average_monthly_balance():
    assert alloc.average_monthly([D("1200")] * 6 + [D("0")] * 6) == D("600")
    with pytest.raises(alloc.AllocationError):
        alloc.average_monthly([D("1")] * 11)


money = st.integers(min_value=0, max_value=10**11).map(lambda n: D(n) / 100)
member_list = st.lists(st.tuples(money, money), min_size=1, max_size=40).map(
    lambda rows: [
        MemberInput(i + 1, f"M{(i * 7919) % 1000:04d}-{i}", cap, con)
        for i, (cap, con) in enumerate(rows)
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    members=member_list,
    jma=st.integers(min_value=0, max_value=10**10),
    jua=st.integers(min_value=0, max_value=10**10),
    unit=st.sampled_from([1, 10, 100, 1000]),
)
def test_property_shares_are_whole_nonnegative_and_sum_to_each_pool(members, jma, jua, unit):
    jma_pool, jua_pool = D(jma // unit * unit), D(jua // unit * unit)
    r = alloc.allocate_members(members=members, jma_pool=jma_pool, jua_pool=jua_pool, unit=unit)
    for s in r.shares:
        assert s.jma >= 0 and s.jua >= 0
        assert s.jma == s.jma.to_integral_value() and s.jua == s.jua.to_integral_value()
        assert s.jma % unit == 0 and s.jua % unit == 0
    assert sum(s.jma for s in r.shares) + r.jma_unallocated == jma_pool
    assert sum(s.jua for s in r.shares) + r.jua_unallocated == jua_pool
    if r.total_capital > 0:
        assert r.jma_unallocated == 0
    if r.total_contribution > 0:
        assert r.jua_unallocated == 0


@settings(max_examples=200, deadline=None)
@given(
    members=member_list,
    cap=st.integers(min_value=1, max_value=10**9).map(lambda n: D(n) / 100),
    jma=st.integers(min_value=0, max_value=10**9),
)
def test_property_twice_the_capital_never_gets_less_jma(members, cap, jma):
    small = MemberInput(10**6, "ZZ-small", cap, D("0"))
    big = MemberInput(10**6 + 1, "AA-big", cap * 2, D("0"))
    r = alloc.allocate_members(members=[*members, small, big], jma_pool=D(jma), jua_pool=D(0))
    got = {s.member_id: s.jma for s in r.shares}
    assert got[big.member_id] >= got[small.member_id]


@settings(max_examples=200, deadline=None)
@given(amount=money, unit=st.sampled_from([1, 100, 1000]))
def test_property_fund_split_sums_to_the_amount(amount, unit):
    split = alloc.split_funds(amount=amount, percentages=alloc.DEFAULT_PERCENTAGES, unit=unit)
    assert sum(split.funds.values()) == amount
    assert all(v >= 0 for v in split.funds.values())


@settings(max_examples=200, deadline=None)
@given(
    members=member_list,
    amount=money,
    unit=st.sampled_from([1, 10, 100, 1000]),
)
def test_property_shu_chain_sums_to_the_pool_with_rounding_to_cadangan(members, amount, unit):
    """The whole chain as the year end runs it: the SHU after tax split into the funds
    with the rounding unit, the members' pools shared, a pool nobody can receive moved
    to cadangan. Every rupiah (and sen) of the SHU lands somewhere: the members' shares,
    the other funds and cadangan, which holds exactly what rounding (the unit's leftovers
    and the sen) and the unclaimed pools left."""
    split = alloc.split_funds(amount=amount, percentages=alloc.DEFAULT_PERCENTAGES, unit=unit)
    r = alloc.allocate_members(
        members=members,
        jma_pool=split.funds["jasa_modal"],
        jua_pool=split.funds["jasa_anggota"],
        unit=unit,
    )
    dist = alloc.distribute(split=split, allocation=r)
    shares = sum(s.jma + s.jua for s in r.shares)
    others = sum(v for k, v in dist.funds.items() if k not in alloc.MEMBER_POOLS)
    assert shares + others == amount
    assert sum(dist.funds.values()) == amount
    assert sum(s.jma for s in r.shares) == dist.funds["jasa_modal"]
    assert sum(s.jua for s in r.shares) == dist.funds["jasa_anggota"]
    for pool in alloc.MEMBER_POOLS:
        assert 0 <= split.rounded[pool] < unit
    assert split.residue == split.sen + sum(split.rounded.values())
    # cadangan = its AD/ART share of the whole rupiah + the rounding + the unclaimed pools
    whole = alloc.split_funds(
        amount=alloc.floor_rupiah(amount), percentages=alloc.DEFAULT_PERCENTAGES, unit=1
    )
    assert dist.funds["cadangan"] == (
        whole.funds["cadangan"] + split.residue + sum(dist.to_reserve.values())
    )
