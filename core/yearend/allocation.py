"""SHU arithmetic as pure functions over plain values (no Django): the income tax, the
split of the year's SHU into the AD/ART funds, and each member's JMA / JUA by the largest
remainder method, in whole rupiah (or a larger rounding unit) summing exactly to the pool.

Every split is exact integer arithmetic: weights are turned into integers (sen), each
quota is ``units * w / W`` as a quotient and a remainder, the leftover units go one each
to the largest remainders (ties: the member number, then the key, ascending).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from core.common.money import split_by_weights

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")

# The AD/ART funds, in the order they are shown and posted. The first two are the
# members' pools (jasa modal, jasa anggota); cadangan is equity; the rest are liabilities.
FUNDS: tuple[str, ...] = (
    "jasa_modal",
    "jasa_anggota",
    "cadangan",
    "pengurus",
    "pendidikan",
    "karyawan",
    "pembangunan",
    "sosial",
)
MEMBER_POOLS = ("jasa_modal", "jasa_anggota")

# The domain brief's example split (a real KPRI's AD/ART).
DEFAULT_PERCENTAGES: dict[str, Decimal] = {
    "jasa_modal": Decimal("25"),
    "jasa_anggota": Decimal("25"),
    "cadangan": Decimal("20"),
    "pengurus": Decimal("10"),
    "pendidikan": Decimal("10"),
    "karyawan": Decimal("5"),
    "pembangunan": Decimal("2.5"),
    "sosial": Decimal("2.5"),
}


class AllocationError(ValueError):
    """Input the maths cannot work with (negative amounts, percentages not 100)."""


def _to_sen(value: Decimal) -> int:
    """A non-negative amount as an integer number of hundredths (exact)."""
    scaled = Decimal(value) * 100
    if scaled != scaled.to_integral_value():
        raise AllocationError(f"{value} has more than two decimals")
    return int(scaled)


def floor_rupiah(value: Decimal) -> Decimal:
    return Decimal(value).quantize(ONE, rounding=ROUND_FLOOR)


def largest_remainder(
    units: int, weights: Sequence[tuple[Hashable, int]], *, order: Sequence | None = None
) -> dict[Hashable, int]:
    """``core.common.money.split_by_weights``, its refusals as ``AllocationError``."""
    try:
        return split_by_weights(units, weights, order=order)
    except ValueError as e:
        raise AllocationError(str(e)) from None


def check_percentages(percentages: dict[str, Decimal]) -> None:
    missing = [f for f in FUNDS if f not in percentages]
    if missing:
        raise AllocationError(f"missing funds: {', '.join(missing)}")
    if any(Decimal(percentages[f]) < 0 for f in FUNDS):
        raise AllocationError("percentages must be non-negative")
    if sum((Decimal(percentages[f]) for f in FUNDS), ZERO) != HUNDRED:
        raise AllocationError("percentages must sum to exactly 100")


# ------------------------------------------------------------------------------- tax


def income_tax(*, rule: str, rate: Decimal, shu_before_tax: Decimal, turnover: Decimal) -> Decimal:
    """The cooperative's income tax in whole rupiah (rounded down). ``rule``: "none";
    "shu_percent" (``rate`` % of a positive SHU before tax); "turnover_final" (the final
    ``rate`` % of the year's gross turnover, as PP 55/2022 0.5%)."""
    rate = Decimal(rate)
    if rate < 0 or rate > HUNDRED:
        raise AllocationError("tax rate must be between 0 and 100")
    if rule == "none":
        return ZERO
    if rule == "shu_percent":
        return floor_rupiah(max(Decimal(shu_before_tax), ZERO) * rate / HUNDRED)
    if rule == "turnover_final":
        return floor_rupiah(max(Decimal(turnover), ZERO) * rate / HUNDRED)
    raise AllocationError(f"unknown tax rule {rule!r}")


# ------------------------------------------------------------------------- fund split


@dataclass(frozen=True)
class FundSplit:
    """The year's SHU after tax split by the AD/ART. ``funds[name]`` are what each fund
    receives (``cadangan`` includes the residue: the sen below one rupiah and what the
    rounding unit leaves of the members' pools); they sum to ``amount`` exactly."""

    amount: Decimal
    funds: dict[str, Decimal]
    residue: Decimal  # added to cadangan
    # what rounding each members' pool down to a multiple of ``unit`` left (in residue)
    rounded: dict[str, Decimal] = field(default_factory=dict)
    unit: int = 1

    @property
    def sen(self) -> Decimal:
        """The part of the amount below one rupiah (in ``residue``)."""
        return self.amount - floor_rupiah(self.amount)


def split_funds(*, amount: Decimal, percentages: dict[str, Decimal], unit: int = 1) -> FundSplit:
    """Split ``amount`` (>= 0, at most two decimals) into the funds: whole rupiah by the
    largest remainder over the percentages (ties by fund order); the members' pools are
    rounded down to a multiple of ``unit`` and what that leaves, with the sen, goes to
    cadangan."""
    check_percentages(percentages)
    amount = Decimal(amount)
    if amount < 0:
        raise AllocationError("a deficit is not allocated")
    if unit < 1:
        raise AllocationError("rounding unit must be at least 1")
    whole = floor_rupiah(amount)
    weights = [(f, _to_sen(Decimal(percentages[f]))) for f in FUNDS]
    rupiah = largest_remainder(int(whole), weights, order=list(range(len(FUNDS))))
    funds = {f: Decimal(rupiah[f]) for f in FUNDS}
    residue = amount - whole
    left: dict[str, Decimal] = {}
    for pool in MEMBER_POOLS:
        rounded = Decimal(int(funds[pool]) // unit * unit)
        left[pool] = funds[pool] - rounded
        residue += left[pool]
        funds[pool] = rounded
    funds["cadangan"] += residue
    return FundSplit(amount=amount, funds=funds, residue=residue, rounded=left, unit=unit)


# --------------------------------------------------------------------- member shares


@dataclass(frozen=True)
class MemberInput:
    member_id: int
    number: str  # member number: breaks ties
    capital: Decimal
    contribution: Decimal


@dataclass(frozen=True)
class MemberResult:
    member_id: int
    number: str
    capital: Decimal
    contribution: Decimal
    jma: Decimal
    jua: Decimal

    @property
    def total(self) -> Decimal:
        return self.jma + self.jua


@dataclass(frozen=True)
class Allocation:
    shares: list[MemberResult]
    jma_pool: Decimal
    jua_pool: Decimal
    jma_unallocated: Decimal  # the pool when nobody has capital
    jua_unallocated: Decimal  # the pool when nobody contributed
    total_capital: Decimal
    total_contribution: Decimal


def _pool_units(pool: Decimal, unit: int) -> int:
    if pool < 0 or pool != pool.to_integral_value():
        raise AllocationError("a pool is a non-negative whole rupiah amount")
    if int(pool) % unit:
        raise AllocationError("a pool must be a multiple of the rounding unit")
    return int(pool) // unit


def allocate_members(
    *,
    members: Sequence[MemberInput],
    jma_pool: Decimal,
    jua_pool: Decimal,
    unit: int = 1,
) -> Allocation:
    """Each member's JMA (pro rata to capital) and JUA (pro rata to contribution), in
    multiples of ``unit`` rupiah, summing exactly to each pool (largest remainder, ties by
    member number). A pool nobody has a claim on (total weight 0) is left unallocated."""
    if unit < 1:
        raise AllocationError("rounding unit must be at least 1")
    jma_pool, jua_pool = Decimal(jma_pool), Decimal(jua_pool)
    seen = set()
    for m in members:
        if m.member_id in seen:
            raise AllocationError(f"member {m.member_id} twice")
        seen.add(m.member_id)
        if m.capital < 0 or m.contribution < 0:
            raise AllocationError(f"member {m.number}: negative capital or contribution")
    order = [(m.number, m.member_id) for m in members]
    cap_w = [(m.member_id, _to_sen(m.capital)) for m in members]
    con_w = [(m.member_id, _to_sen(m.contribution)) for m in members]
    jma = largest_remainder(_pool_units(jma_pool, unit), cap_w, order=order)
    jua = largest_remainder(_pool_units(jua_pool, unit), con_w, order=order)
    total_cap = sum((m.capital for m in members), ZERO)
    total_con = sum((m.contribution for m in members), ZERO)
    shares = [
        MemberResult(
            member_id=m.member_id,
            number=m.number,
            capital=m.capital,
            contribution=m.contribution,
            jma=Decimal(jma[m.member_id] * unit),
            jua=Decimal(jua[m.member_id] * unit),
        )
        for m in members
    ]
    return Allocation(
        shares=shares,
        jma_pool=jma_pool,
        jua_pool=jua_pool,
        jma_unallocated=jma_pool if total_cap == 0 else ZERO,
        jua_unallocated=jua_pool if total_con == 0 else ZERO,
        total_capital=total_cap,
        total_contribution=total_con,
    )


def remainder_units(*, units: int, weights: Sequence[Decimal]) -> int:
    """How many of ``units`` the largest remainder method handed out one each beyond the
    quotas rounded down (``units * w / W`` each): what makes equal members differ by one
    unit and the shares sum to the pool. 0 when nobody has a weight (the pool goes to
    cadangan) or the quotas are whole."""
    sen = [_to_sen(Decimal(w)) for w in weights]
    total = sum(sen)
    if units <= 0 or total == 0:
        return 0
    return units - sum(units * w // total for w in sen)


@dataclass(frozen=True)
class Distribution:
    """The split as it is posted. ``funds[name]`` are what each fund and the members'
    pools actually receive: a members' pool nobody has a claim on (nobody had capital,
    nobody paid jasa) is 0 and went to cadangan; they sum to the SHU after tax exactly.
    ``to_reserve[pool]`` is what of each members' pool went to cadangan (included in
    ``funds["cadangan"]``)."""

    funds: dict[str, Decimal]
    to_reserve: dict[str, Decimal]


def distribute(*, split: FundSplit, allocation: Allocation) -> Distribution:
    """Move the members' pools nobody has a claim on (``allocation``'s unallocated) from
    their line of ``split`` to cadangan, so that what is shown and saved is what is
    posted."""
    unallocated = {
        "jasa_modal": allocation.jma_unallocated,
        "jasa_anggota": allocation.jua_unallocated,
    }
    funds = dict(split.funds)
    for pool in MEMBER_POOLS:
        funds[pool] -= unallocated[pool]
        funds["cadangan"] += unallocated[pool]
    return Distribution(funds=funds, to_reserve=unallocated)


# ------------------------------------------------------------------- capital inputs


def average_monthly(balances: Sequence[Decimal]) -> Decimal:
    """The average of twelve month-end balances, to the sen (rounded down)."""
    if len(balances) != 12:
        raise AllocationError("twelve month-end balances expected")
    total = sum((Decimal(b) for b in balances), ZERO)
    return (total / 12).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
