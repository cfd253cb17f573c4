"""Loan maths as pure functions over plain values (Decimal, date, int). No Django.

- Schedules (flat, annuity, declining balance / efektif) in whole rupiah: jasa is rounded
  half-up each month, the last instalment absorbs rounding so the principal repaid equals
  the principal lent exactly.
- Fees at disbursement (percentage or fixed).
- Late penalty (per day or per started month, after grace days).
- Repayment allocation: penalty, then jasa, then principal; the rest is excess.
- Days past due, kolektibilitas by days past due (thresholds configurable), PPAP rates,
  NPL ratio and its health band.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")


def _money(value) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal, int or string.")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def rupiah(value) -> Decimal:
    """Whole rupiah, half-up."""
    return _money(value).quantize(ONE, rounding=ROUND_HALF_UP)


class Method(StrEnum):
    FLAT = "flat"
    ANNUITY = "annuity"
    DECLINING = "declining"


class RatePeriod(StrEnum):
    MONTH = "month"
    YEAR = "year"


class AmountKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


class PenaltyBasis(StrEnum):
    PER_DAY = "per_day"
    PER_MONTH = "per_month"


class Kolektibilitas(StrEnum):
    LANCAR = "lancar"
    DPK = "dpk"  # Dalam Perhatian Khusus (five-grade scheme only)
    KURANG_LANCAR = "kurang_lancar"
    DIRAGUKAN = "diragukan"
    MACET = "macet"


class KolekScheme(StrEnum):
    FOUR = "four"  # Lancar, Kurang Lancar, Diragukan, Macet (common KPRI practice)
    FIVE = "five"  # + Dalam Perhatian Khusus (banks, many cooperatives' auditors)


# every grade, best to worst (a loan's grade only "worsens" along this order)
KOLEK_ORDER = (
    Kolektibilitas.LANCAR,
    Kolektibilitas.DPK,
    Kolektibilitas.KURANG_LANCAR,
    Kolektibilitas.DIRAGUKAN,
    Kolektibilitas.MACET,
)
KOLEK_GRADES = {
    KolekScheme.FOUR: (
        Kolektibilitas.LANCAR,
        Kolektibilitas.KURANG_LANCAR,
        Kolektibilitas.DIRAGUKAN,
        Kolektibilitas.MACET,
    ),
    KolekScheme.FIVE: KOLEK_ORDER,
}
# Days past due up to which a loan is still in the grade (the last grade has no limit).
# Four grades: Lancar 0-90, Kurang Lancar 91-180, Diragukan 181-270, Macet above.
DEFAULT_KOLEK_THRESHOLDS = (90, 180, 270)
# Five grades: Lancar 0, DPK 1-90, Kurang Lancar 91-120, Diragukan 121-180, Macet above.
FIVE_KOLEK_THRESHOLDS = (0, 90, 120, 180)
DEFAULT_PPAP_RATES = {
    Kolektibilitas.LANCAR: Decimal("0.5"),
    Kolektibilitas.KURANG_LANCAR: Decimal("10"),
    Kolektibilitas.DIRAGUKAN: Decimal("50"),
    Kolektibilitas.MACET: Decimal("100"),
}  # percent of outstanding principal
FIVE_PPAP_RATES = {
    Kolektibilitas.LANCAR: Decimal("0.5"),
    Kolektibilitas.DPK: Decimal("5"),
    Kolektibilitas.KURANG_LANCAR: Decimal("15"),
    Kolektibilitas.DIRAGUKAN: Decimal("50"),
    Kolektibilitas.MACET: Decimal("100"),
}
SCHEME_DEFAULTS = {
    KolekScheme.FOUR: (DEFAULT_KOLEK_THRESHOLDS, DEFAULT_PPAP_RATES),
    KolekScheme.FIVE: (FIVE_KOLEK_THRESHOLDS, FIVE_PPAP_RATES),
}


# --- dates ----------------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def due_dates(first_due: date, tenor: int, *, day: int | None = None) -> list[date]:
    """Due dates counted from the first one (not chained, so 31 Jan keeps its 31st), each
    on ``day`` of its month or the month's last day when it is shorter (default: the first
    due date's day). A loan paid out on 31 January is first due on 28 February
    (``add_months``), then on 31 March, 30 April, ... (``day`` 31, ``due_day``), not on the
    28th for the rest of its life."""
    if day is None:
        day = first_due.day
    if not 1 <= day <= 31 or first_due.day != min(day, _month_days(first_due)):
        raise ValueError("the first due date must fall on the due day (or its month's last)")
    out = []
    for i in range(tenor):
        d = add_months(first_due, i)
        out.append(d.replace(day=min(day, _month_days(d))))
    return out


def _month_days(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def due_day(start: date, first_due: date) -> int | None:
    """The day of the month a schedule starting on ``start`` (the disbursement, the
    reschedule, the simulation's date) falls due each month: ``start``'s own day when its
    first due date is the default one month later (``add_months``, clamped to a shorter
    month's last day), else None (a first due date the user chose sets the day)."""
    return start.day if first_due == add_months(start, 1) else None


# --- rates ----------------------------------------------------------------------------


def monthly_rate(rate_percent, period: str | RatePeriod) -> Decimal:
    """A rate as a monthly fraction: 1 (% a month) -> 0.01; 12 (% a year) -> 0.01."""
    rate = _money(rate_percent)
    if rate < 0:
        raise ValueError("rate must not be negative")
    with localcontext() as ctx:
        ctx.prec = 34
        fraction = rate / HUNDRED
        if RatePeriod(period) == RatePeriod.YEAR:
            fraction = fraction / 12
        return fraction


def annuity_payment_exact(principal, rate: Decimal, tenor: int) -> Decimal:
    """P*r / (1 - (1+r)^-n), unrounded (P/n when r is 0)."""
    p = _money(principal)
    if rate == 0:
        return p / tenor
    with localcontext() as ctx:
        ctx.prec = 34
        return p * rate / (ONE - (ONE + rate) ** (-tenor))


# --- schedules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: date | None
    principal: Decimal
    jasa: Decimal
    balance_after: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.jasa


@dataclass(frozen=True)
class Schedule:
    method: Method
    principal: Decimal
    rate: Decimal  # monthly fraction
    tenor: int
    rows: tuple[Instalment, ...]

    @property
    def total_principal(self) -> Decimal:
        return sum((r.principal for r in self.rows), ZERO)

    @property
    def total_jasa(self) -> Decimal:
        return sum((r.jasa for r in self.rows), ZERO)

    @property
    def total(self) -> Decimal:
        return self.total_principal + self.total_jasa

    @property
    def first_instalment(self) -> Decimal:
        return self.rows[0].total if self.rows else ZERO

    @property
    def max_instalment(self) -> Decimal:
        return max((r.total for r in self.rows), default=ZERO)

    def as_dicts(self) -> list[dict]:
        return [
            {
                "number": r.number,
                "due_date": r.due_date.isoformat() if r.due_date else None,
                "principal": str(r.principal),
                "jasa": str(r.jasa),
                "total": str(r.total),
                "balance_after": str(r.balance_after),
            }
            for r in self.rows
        ]


def build_schedule(
    *,
    method: str | Method,
    principal,
    rate: Decimal,
    tenor: int,
    first_due: date | None = None,
    day: int | None = None,
) -> Schedule:
    """The instalment plan. ``principal`` whole rupiah > 0, ``rate`` a monthly fraction
    (see ``monthly_rate``), ``tenor`` months >= 1; due monthly from ``first_due`` on
    ``day`` of the month (``due_dates``; ``due_day`` gives it).

    - flat: jasa = principal x rate each month; principal split evenly.
    - annuity: equal instalments (the exact annuity rounded half-up); jasa on the balance.
    - declining: principal split evenly; jasa on the balance.
    Principal per month is rounded half-up; the last month takes what is left."""
    method = Method(method)
    p = _money(principal)
    if p <= 0 or p != p.to_integral_value():
        raise ValueError("principal must be a positive whole number of rupiah")
    if tenor < 1:
        raise ValueError("tenor must be at least 1 month")
    if rate < 0:
        raise ValueError("rate must not be negative")
    dates = due_dates(first_due, tenor, day=day) if first_due else [None] * tenor
    rows: list[Instalment] = []
    balance = p
    if method == Method.ANNUITY:
        payment = rupiah(annuity_payment_exact(p, rate, tenor))
    even_principal = rupiah(p / tenor)
    flat_jasa = rupiah(p * rate)
    for i in range(tenor):
        last = i == tenor - 1
        if method == Method.FLAT:
            jasa = flat_jasa
            princ = balance if last else min(even_principal, balance)
        elif method == Method.DECLINING:
            jasa = rupiah(balance * rate)
            princ = balance if last else min(even_principal, balance)
        else:
            jasa = rupiah(balance * rate)
            princ = balance if last else min(max(payment - jasa, ZERO), balance)
        balance -= princ
        rows.append(Instalment(i + 1, dates[i], princ, jasa, balance))
    return Schedule(method, p, rate, tenor, tuple(rows))


# --- fees and penalties ---------------------------------------------------------------


def fee_amount(*, base, kind: str | AmountKind, value) -> Decimal:
    """A fee: ``value`` percent of ``base``, or ``value`` rupiah; whole rupiah, >= 0."""
    v = _money(value)
    if v < 0:
        raise ValueError("fee must not be negative")
    if AmountKind(kind) == AmountKind.PERCENT:
        return rupiah(_money(base) * v / HUNDRED)
    return rupiah(v)


def penalty_periods(*, days_late: int, basis: str | PenaltyBasis, grace_days: int = 0) -> int:
    """The late-penalty periods of an instalment ``days_late`` days past due: the days
    (per day) or started 30-day months (per month) beyond ``grace_days``; 0 within them."""
    if days_late <= grace_days:
        return 0
    days = days_late - grace_days
    return days if PenaltyBasis(basis) == PenaltyBasis.PER_DAY else -(-days // 30)


def late_penalty(
    *,
    overdue_amount,
    days_late: int,
    rate_percent,
    basis: str | PenaltyBasis,
    grace_days: int = 0,
) -> Decimal:
    """Penalty on an overdue amount: ``rate_percent`` of it per day (or per started
    30-day month) late beyond ``grace_days``. Within the grace period: nothing."""
    amount = _money(overdue_amount)
    periods = penalty_periods(days_late=days_late, basis=basis, grace_days=grace_days)
    if amount <= 0 or periods == 0:
        return ZERO
    return rupiah(amount * _money(rate_percent) / HUNDRED * periods)


@dataclass(frozen=True)
class PenaltyCharge:
    """The late penalty charged on a schedule row through a date: ``periods`` periods
    came to ``charged`` rupiah. ``later``: periods the row had charged already BEYOND
    that date (a backdated payment or read, dated before the row's last charge point);
    ``charged`` then excludes them, and a payment applied on that date charges them
    again on what it leaves unpaid (``row_penalty_after_payment``)."""

    periods: int
    charged: Decimal
    later: int = 0

    def owed(self, penalty_paid) -> Decimal:
        return max(self.charged - _money(penalty_paid), ZERO)


def row_penalty_charge(
    *,
    due_date: date,
    on: date,
    unpaid,
    periods: int,
    charged,
    penalty_paid,
    rate_percent,
    basis: str | PenaltyBasis,
    grace_days: int = 0,
) -> PenaltyCharge:
    """THE late-penalty rule of one schedule row: what has been charged on it through
    ``on``. The row had ``periods`` periods charged, ``charged`` rupiah (what a payment
    applied to it charged up to its date); each period started since is charged
    ``rate_percent`` of what is unpaid of the instalment now (``unpaid``: principal and
    jasa not paid nor waived; never the part already paid), which has not changed since
    (every payment that changes it charges the periods before it first). So each period
    is charged on what was unpaid during it. Never less than ``penalty_paid``: what was
    paid was charged (only rows charged by the older rule, which did not keep their
    periods, can have paid more than this rule charges; backdated, below).

    Backdated (``on`` is ``now`` periods late, ``now`` < ``periods``: a payroll batch
    dated the day the agency's money arrived, after a counter payment dated later was
    recorded; or a read as of an earlier date): the periods after ``now`` were each
    charged on at least what is unpaid now, so what was charged through ``now`` is
    ``charged`` less ``rate_percent`` of ``unpaid`` for each of them, never below 0 (and
    0 when ``now`` is 0: nothing was late yet). It does not fall below ``now`` periods
    on ``unpaid`` (those periods were charged on at least as much; up to rounding) but
    may keep more than they cost when the later-dated payment itself lowered ``unpaid``
    (the rows do not keep each period's amount); never more than ``charged``. What is
    owed as of ``on`` is that less ``penalty_paid``, never below 0 (``owed``: a penalty
    paid beyond it is not refunded); the ``later`` periods are charged again after a
    payment, on what it leaves unpaid (``row_penalty_after_payment``).

    Plain values, so the single-loan read (``services.row_penalty_due``), the set-based
    one (``selectors.loans_amounts_due``; both: ``.owed(penalty_paid)``) and the payments (single and payroll batch,
    ``services.repayment._spread_to_rows``) share it."""
    charged = _money(charged)
    now = (
        penalty_periods(days_late=(on - due_date).days, basis=basis, grace_days=grace_days)
        if on > due_date
        else 0
    )
    rate = _money(rate_percent)
    left = max(_money(unpaid), ZERO)
    if now < periods:
        later = periods - now
        through = max(charged - rupiah(left * rate / HUNDRED * later), ZERO) if now > 0 else ZERO
        return PenaltyCharge(now, through, later)
    if now == periods:
        return PenaltyCharge(periods, charged)
    more = rupiah(left * rate / HUNDRED * (now - periods))
    return PenaltyCharge(now, max(charged + more, _money(penalty_paid)))


def row_penalty_after_payment(
    charge: PenaltyCharge, *, unpaid, penalty_paid, rate_percent
) -> PenaltyCharge:
    """The penalty state a row keeps after a payment dated at ``charge``
    (``row_penalty_charge`` through the payment's date) was applied to it: ``unpaid``
    and ``penalty_paid`` are the row's after the payment. Not backdated: the charge
    itself. Backdated: the periods it had charged beyond the payment's date are charged
    again on what the payment left unpaid (the row keeps its periods); never less than
    ``penalty_paid``: if the member already paid more penalty than is now charged, the
    charge is what was paid, so nothing is owed and nothing is refunded."""
    if charge.later == 0:
        return charge
    again = rupiah(max(_money(unpaid), ZERO) * _money(rate_percent) / HUNDRED * charge.later)
    return PenaltyCharge(
        charge.periods + charge.later, max(charge.charged + again, _money(penalty_paid))
    )


# --- repayment allocation -------------------------------------------------------------


@dataclass(frozen=True)
class Allocation:
    penalty: Decimal
    jasa: Decimal
    principal: Decimal
    excess: Decimal

    @property
    def applied(self) -> Decimal:
        return self.penalty + self.jasa + self.principal


def allocate_repayment(*, amount, penalty_due, jasa_due, principal_due) -> Allocation:
    """Penalty first, then jasa, then principal; whatever is left is excess."""
    left = _money(amount)
    if left < 0:
        raise ValueError("amount must not be negative")
    parts = []
    for due in (penalty_due, jasa_due, principal_due):
        due = max(_money(due), ZERO)
        take = min(left, due)
        parts.append(take)
        left -= take
    return Allocation(parts[0], parts[1], parts[2], left)


@dataclass(frozen=True)
class RowDue:
    """What is still unpaid on one instalment (for spreading an allocation over rows)."""

    key: object
    penalty: Decimal
    jasa: Decimal
    principal: Decimal


def spread_over_rows(rows: Sequence[RowDue], allocation: Allocation) -> dict[object, Allocation]:
    """Spread an allocation's penalty, jasa and principal over the rows oldest first,
    each component separately (so every row's penalty is paid before any row's jasa)."""
    out = {r.key: [ZERO, ZERO, ZERO] for r in rows}
    for idx, (total, attr) in enumerate(
        (
            (allocation.penalty, "penalty"),
            (allocation.jasa, "jasa"),
            (allocation.principal, "principal"),
        )
    ):
        left = total
        for r in rows:
            if left <= 0:
                break
            take = min(left, getattr(r, attr))
            out[r.key][idx] += take
            left -= take
        if left > 0:
            raise ValueError(f"{attr} allocation exceeds what the rows owe")
    return {k: Allocation(v[0], v[1], v[2], ZERO) for k, v in out.items()}


# --- arrears and quality --------------------------------------------------------------


def days_past_due(unpaid_due_dates: Iterable[date], on: date) -> int:
    """Days since the oldest due date still unpaid (0 when nothing is overdue)."""
    overdue = [d for d in unpaid_due_dates if d < on]
    return (on - min(overdue)).days if overdue else 0


def kolektibilitas(
    days: int, thresholds: Sequence[int] = DEFAULT_KOLEK_THRESHOLDS
) -> Kolektibilitas:
    """Grade by days past due. ``thresholds`` are the last day of each grade but the
    worst, ascending: three for the four-grade scheme (Lancar, Kurang Lancar, Diragukan),
    four for the five-grade one (Lancar, DPK, Kurang Lancar, Diragukan); beyond the last
    is Macet."""
    t = tuple(thresholds)
    grades = _grades_for(t)
    for grade, limit in zip(grades, t, strict=False):
        if days <= limit:
            return grade
    return Kolektibilitas.MACET


def _grades_for(t: tuple) -> tuple:
    if len(t) not in (3, 4) or t[0] < 0 or any(a >= b for a, b in zip(t, t[1:], strict=False)):
        raise ValueError("thresholds must be three or four ascending non-negative day counts")
    return KOLEK_GRADES[KolekScheme.FOUR if len(t) == 3 else KolekScheme.FIVE]


def grade_worse(a: str, b: str) -> Kolektibilitas:
    """The worse of two grades."""
    return max(Kolektibilitas(a), Kolektibilitas(b), key=KOLEK_ORDER.index)


def restructured_grade(
    *,
    grade_at_restructure: str,
    dpd_grade: str,
    rows: Sequence[tuple[date, date | None]],
    on: date,
    probation: int,
    grades: Sequence[str],
) -> Kolektibilitas:
    """The grade of a restructured loan on ``on``: it keeps the grade it had when it was
    restructured until it has paid ``probation`` instalments on time in a row, then
    improves one grade (of the scheme's ``grades``, best first) per further run of
    ``probation`` on-time instalments; never better than its days past due say.
    ``rows``: the new schedule's instalments as ``(due_date, settled_on)`` in order; a row
    not settled by its due date breaks the run."""
    grades, start = _scheme_start(grades, grade_at_restructure)
    improvements = _probation_runs(rows, on, probation)
    floor = grades[max(grades.index(start) - improvements, 0)]
    return grade_worse(floor, dpd_grade)


def restructured_probation_ended(
    *,
    grade_at_restructure: str,
    rows: Sequence[tuple[date, date | None]],
    on: date,
    probation: int,
    grades: Sequence[str],
) -> bool:
    """Whether a restructured loan's probation has ended on ``on``
    (``restructured_grade``'s rule): the grade it keeps is back to the scheme's best, and
    it has paid ``probation`` instalments on time in a row at least once (a loan
    restructured while already at the best grade too)."""
    grades, start = _scheme_start(grades, grade_at_restructure)
    return _probation_runs(rows, on, probation) >= max(grades.index(start), 1)


def _scheme_start(grades: Sequence[str], grade_at_restructure: str) -> tuple[list, Kolektibilitas]:
    grades = [Kolektibilitas(g) for g in grades]
    start = Kolektibilitas(grade_at_restructure)
    if start not in grades:  # a grade of the other scheme: the next worse one of these
        start = next(g for g in grades if KOLEK_ORDER.index(g) >= KOLEK_ORDER.index(start))
    return grades, start


def _probation_runs(rows: Sequence[tuple[date, date | None]], on: date, probation: int) -> int:
    """The runs of ``probation`` instalments paid on time in a row completed by ``on``
    (each improves a restructured loan's grade one step); a row not settled by its due
    date breaks the run."""
    n = max(int(probation), 1)
    improvements = run = 0
    for due, settled_on in rows:
        if due > on:
            break
        if settled_on is not None and settled_on <= due:
            run += 1
            if run == n:
                improvements += 1
                run = 0
        elif due < on or settled_on is not None:
            run = 0
    return improvements


def ppap_amount(outstanding_principal, grade: str | Kolektibilitas, rates=None) -> Decimal:
    """Required allowance: the grade's rate (percent) of outstanding principal, rounded."""
    rates = rates or DEFAULT_PPAP_RATES
    rate = _money(rates[Kolektibilitas(grade)])
    return rupiah(_money(outstanding_principal) * rate / HUNDRED)


# Dalam Perhatian Khusus is performing (as for banks): NPL = Kurang Lancar and worse
NON_PERFORMING = frozenset(
    {Kolektibilitas.KURANG_LANCAR, Kolektibilitas.DIRAGUKAN, Kolektibilitas.MACET}
)


def npl_ratio(*, non_performing, total) -> Decimal:
    """Non-performing outstanding over total outstanding, percent, 2 decimals."""
    total = _money(total)
    if total <= 0:
        return ZERO
    return (_money(non_performing) * HUNDRED / total).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


class NplBand(StrEnum):
    SEHAT = "sehat"
    CUKUP_SEHAT = "cukup_sehat"
    KURANG_SEHAT = "kurang_sehat"
    TIDAK_SEHAT = "tidak_sehat"


def npl_band(ratio_percent) -> NplBand:
    """<=5% healthy, 5-10% fairly healthy, 10-15% less healthy, >15% unhealthy."""
    r = _money(ratio_percent)
    if r <= 5:
        return NplBand.SEHAT
    if r <= 10:
        return NplBand.CUKUP_SEHAT
    if r <= 15:
        return NplBand.KURANG_SEHAT
    return NplBand.TIDAK_SEHAT


def aging_bucket(days: int) -> str:
    """Arrears aging bucket label for reports."""
    if days <= 0:
        return "0"
    if days <= 30:
        return "1-30"
    if days <= 60:
        return "31-60"
    if days <= 90:
        return "61-90"
    if days <= 180:
        return "91-180"
    if days <= 270:
        return "181-270"
    return ">270"


AGING_BUCKETS = ("0", "1-30", "31-60", "61-90", "91-180", "181-270", ">270")
