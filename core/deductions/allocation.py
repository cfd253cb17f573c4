"""Pure allocation of a member's realized deduction over what was asked (no Django).

The realized amount pays the components in the configured priority (default: loan jasa,
loan principal, simpanan wajib, others); what is left after every component is paid is
the excess (credited to sukarela); what a component does not get is its shortfall (loan
shortfalls stay due on the schedule, wajib shortfalls are carried to next month's run).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

ZERO = Decimal("0")
COMPONENTS = ("jasa", "principal", "wajib", "others")
DEFAULT_PRIORITY = ("jasa", "principal", "wajib", "others")


def clean_priority(value: str | Sequence[str]) -> list[str]:
    """A valid priority: each of the four components exactly once. Raises ValueError."""
    items = [p.strip() for p in value.split(",")] if isinstance(value, str) else list(value)
    if sorted(items) != sorted(COMPONENTS):
        raise ValueError("priority must list jasa, principal, wajib and others once each")
    return items


@lru_cache(maxsize=32)
def _priority_checked(items: tuple[str, ...]) -> tuple[str, ...]:
    """``clean_priority`` of a sequence, checked once per distinct priority (a batch
    allocates thousands of lines with the same one)."""
    return tuple(clean_priority(items))


@dataclass
class Allocation:
    paid: dict[str, Decimal]
    excess: Decimal
    shortfall: Decimal
    # per loan (in the order given): (jasa incl. penalty, principal)
    loans: list[tuple[Decimal, Decimal]] = field(default_factory=list)
    # per purpose account (in the order given)
    purposes: list[Decimal] = field(default_factory=list)

    @property
    def total_paid(self) -> Decimal:
        return sum(self.paid.values(), ZERO)


def _fill(amount: Decimal, parts: Sequence[Decimal]) -> list[Decimal]:
    out = []
    for p in parts:
        take = min(amount, p)
        out.append(take)
        amount -= take
    return out


def allocate(
    *,
    realized: Decimal,
    wajib: Decimal,
    loans: Sequence[tuple[Decimal, Decimal]],
    purposes: Sequence[Decimal] = (),
    priority: Sequence[str] = DEFAULT_PRIORITY,
) -> Allocation:
    """``loans``: (jasa incl. penalty, principal) asked per loan, oldest loan first;
    ``purposes``: amount asked per purpose-savings account. Whole rupiah in, whole out."""
    if realized < 0:
        raise ValueError("realized must not be negative")
    asked = {
        "jasa": sum((j for j, _p in loans), ZERO),
        "principal": sum((p for _j, p in loans), ZERO),
        "wajib": wajib,
        "others": sum(purposes, ZERO),
    }
    left = realized
    paid = dict.fromkeys(COMPONENTS, ZERO)
    order = (
        clean_priority(priority)
        if isinstance(priority, str)
        else _priority_checked(tuple(priority))
    )
    for comp in order:
        take = min(left, asked[comp])
        paid[comp] = take
        left -= take
    jasa = _fill(paid["jasa"], [j for j, _p in loans])
    principal = _fill(paid["principal"], [p for _j, p in loans])
    return Allocation(
        paid=paid,
        excess=left,
        shortfall=sum(asked.values(), ZERO) - sum(paid.values(), ZERO),
        loans=list(zip(jasa, principal, strict=True)),
        purposes=_fill(paid["others"], list(purposes)),
    )


def allocate_line(line, realized: Decimal, priority: Sequence[str]) -> Allocation:
    """What ``realized`` pays of a deduction line (anything with the line's ``wajib``,
    ``loans`` and ``purposes`` as the list stores them): the preview's, the posting's
    and the upload's date check's allocation."""
    return allocate(
        realized=realized,
        wajib=line.wajib,
        loans=[(Decimal(x["jasa"]), Decimal(x["principal"])) for x in line.loans],
        purposes=[Decimal(x["amount"]) for x in line.purposes],
        priority=priority,
    )
