"""Reads of the Dinas view: public-schema tables only (indicators written by the
refresh). Every query is narrowed to the pembina's area and to consenting cooperatives."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.utils import timezone

from core.loans.schedules import npl_ratio
from tenants.models import Cooperative

from .models import Indicator, Pembina, YearFigures

ZERO = Decimal(0)

SORTS = {
    "name": "cooperative__name",
    "regency": "cooperative__regency",
    "members": "members_active",
    "assets": "total_assets",
    "capital": "own_capital",
    "savings": "savings",
    "loans": "loans_outstanding",
    "npl": "npl_ratio",
    "shu": "shu_last_year",
    "rat": "last_rat_date",
    "activity": "last_activity",
}
# The cooperatives the table, its totals and its regency filter show: those still keeping
# their books in Lumbung (a suspended one is read-only, its figures still its own); an
# archived one has left (nobody logs in, its figures frozen at the last refresh), a failed
# or unfinished one never started.
SHOWN_STATUSES = (
    Cooperative.Status.TRIAL,
    Cooperative.Status.ACTIVE,
    Cooperative.Status.PAST_DUE,
    Cooperative.Status.SUSPENDED,
)
SUM_FIELDS = (
    "members_active",
    "members_joined",
    "members_left",
    "total_assets",
    "own_capital",
    "savings",
    "loans_outstanding",
    "npl_outstanding",
    "shu_last_year",
)


def area_filter(pembina: Pembina, prefix: str = "") -> Q:
    q = Q(**{f"{prefix}province__iexact": pembina.province})
    if pembina.regency:
        q &= Q(**{f"{prefix}regency__iexact": pembina.regency})
    return q


def area_cooperatives(pembina: Pembina) -> QuerySet[Cooperative]:
    """Cooperatives in the pembina's area that share their indicators and still keep
    their books in Lumbung (SHOWN_STATUSES): the table, its regencies and the ministry
    export all show these."""
    return (
        Cooperative.objects.exclude(schema_name="public")
        .filter(is_practice=False, status__in=SHOWN_STATUSES)
        .filter(area_filter(pembina))
        .filter(dinas_sharing__shared=True)
    )


def rat_deadline(year: int) -> date:
    """The last day to hold the RAT of fiscal year ``year - 1``: within
    ``settings.RAT_DEADLINE_MONTHS`` months of its year end (3: 31 March of ``year``;
    shared/domain/kpri.md)."""
    months = settings.RAT_DEADLINE_MONTHS
    if months >= 12:
        return date(year, 12, 31)
    return date(year, months + 1, 1) - timedelta(days=1)


def rat_due_year(today: date) -> int:
    """The latest fiscal year whose RAT is due by ``today``: last year's once its
    deadline (rat_deadline) has passed, the year before until then."""
    return today.year - 1 if today > rat_deadline(today.year) else today.year - 2


def rat_overdue_q(today: date) -> Q:
    """Indicator rows of cooperatives whose due RAT (rat_due_year) is not recorded: no
    RAT at all, or the latest fiscal year with a RAT recorded is older. A RAT of an
    older year held late does not count for the year due. A row stored before the RAT's
    fiscal year was kept (``last_rat_year`` empty, a date present) is judged by the date
    until its next refresh: none dated on or after rat_deadline_start."""
    return (
        Q(last_rat_year__lt=rat_due_year(today))
        | Q(last_rat_year__isnull=True, last_rat_date__isnull=True)
        | Q(last_rat_year__isnull=True, last_rat_date__lt=rat_deadline_start(today))
    )


def rat_deadline_start(today: date) -> date:
    """The earliest RAT date that is not overdue today: once last year's RAT is past its
    deadline (rat_deadline), a RAT dated this year is due; until then one dated last year
    (the RAT of the year before) is enough."""
    if today > rat_deadline(today.year):
        return date(today.year, 1, 1)
    return date(today.year - 1, 1, 1)


# What the table and its XLSX show of a cooperative: the registry row's other columns
# (contacts, status reason, practice bookkeeping…) are not read, which at a few thousand
# cooperatives makes the page's query several times cheaper.
TABLE_COOPERATIVE_FIELDS = ("cooperative__name", "cooperative__regency", "cooperative__kind")


def latest_indicators(pembina: Pembina) -> QuerySet[Indicator]:
    """Each consenting area cooperative's latest indicator row (SHOWN_STATUSES only)."""
    return (
        Indicator.objects.filter(
            latest=True,
            cooperative__dinas_sharing__shared=True,
            cooperative__is_practice=False,
            cooperative__status__in=SHOWN_STATUSES,
        )
        .filter(area_filter(pembina, "cooperative__"))
        .exclude(cooperative__schema_name="public")
        .select_related("cooperative")
        .only(*(f.name for f in Indicator._meta.concrete_fields), *TABLE_COOPERATIVE_FIELDS)
    )


def indicator_table(
    *,
    pembina: Pembina,
    regency: str = "",
    kind: str = "",
    band: str = "",
    rat_overdue: bool = False,
    sort: str = "name",
    today: date | None = None,
) -> QuerySet[Indicator]:
    today = today or timezone.localdate()
    qs = latest_indicators(pembina)
    if regency:
        qs = qs.filter(cooperative__regency__iexact=regency)
    if kind:
        qs = qs.filter(cooperative__kind=kind)
    if band:
        qs = qs.filter(health_band=band)
    if rat_overdue:
        qs = qs.filter(rat_overdue_q(today))
    key = sort.lstrip("-")
    field = SORTS.get(key, "cooperative__name")
    order = (
        F(field).desc(nulls_last=True) if sort.startswith("-") else F(field).asc(nulls_last=True)
    )
    return qs.order_by(order, "cooperative_id")


def _total_expressions() -> dict:
    return {
        "count": Count("id"),
        # rows whose NPL amount is still derived from their 2-decimal ratio (migration
        # 0004) until their next refresh: the area ratio is approximate while any is
        "npl_estimated": Count("id", filter=Q(npl_estimated=True)),
        **{f: Sum(f) for f in SUM_FIELDS},
    }


def area_npl_ratio(*, npl_outstanding: Decimal, loans_outstanding: Decimal) -> Decimal:
    """The area's NPL: its non-performing loans over its loans outstanding, both summed
    in rupiah over the cooperatives, in percent rounded half up to 2 decimals for display
    only (the loans app's rule for one cooperative, ``core.loans.schedules.npl_ratio``)."""
    return npl_ratio(non_performing=npl_outstanding, total=loans_outstanding)


def _totals(agg: dict) -> dict:
    out = {f: agg[f] if agg[f] is not None else 0 for f in SUM_FIELDS}
    out["count"] = agg["count"]
    out["npl_estimated"] = agg["npl_estimated"]
    out["npl_ratio"] = area_npl_ratio(
        npl_outstanding=out["npl_outstanding"], loans_outstanding=out["loans_outstanding"]
    )
    return out


def indicator_totals(qs: QuerySet[Indicator]) -> dict:
    """Sums over the (filtered) area in one query; the NPL ratio from the summed amounts
    (area_npl_ratio)."""
    return _totals(qs.order_by().aggregate(**_total_expressions()))


def indicator_page(
    qs: QuerySet[Indicator], *, number: int, per_page: int
) -> tuple[list[Indicator], dict]:
    """Page ``number`` (from 1) of the table and the totals of the whole (filtered) table,
    in one query: the totals are window aggregates over every row (``OVER ()``, computed
    before the LIMIT), so the area is joined and scanned once per page instead of three
    times (rows, totals, the paginator's count). Past the last page — or on an empty
    table — the rows are empty and the totals come from :func:`indicator_totals`."""
    start = (max(number, 1) - 1) * per_page
    windows = {f"area_{k}": Window(expr) for k, expr in _total_expressions().items()}
    rows = list(qs.annotate(**windows)[start : start + per_page])
    if not rows:
        return [], indicator_totals(qs)
    first = rows[0]
    return rows, _totals({k: getattr(first, f"area_{k}") for k in _total_expressions()})


def area_regencies(pembina: Pembina) -> list[str]:
    return list(
        area_cooperatives(pembina)
        .exclude(regency="")
        .order_by("regency")
        .values_list("regency", flat=True)
        .distinct()
    )


def cooperative_trend(*, cooperative: Cooperative, months: int = 12) -> list[Indicator]:
    """The last ``months`` monthly rows, oldest first."""
    rows = list(Indicator.objects.filter(cooperative=cooperative).order_by("-month")[:months])
    return rows[::-1]


def area_year_figures(*, pembina: Pembina, year: int) -> QuerySet[YearFigures]:
    return (
        YearFigures.objects.filter(year=year, cooperative__in=area_cooperatives(pembina))
        .select_related("cooperative")
        .order_by("cooperative__regency", "cooperative__name", "cooperative_id")
    )


def pembina_list(*, q: str = "", active: str = "") -> QuerySet[Pembina]:
    """Pembina for the operators' console, newest first; ``active``: "1" / "0" / ""."""
    qs = Pembina.objects.select_related("user").order_by("-created_at", "-pk")
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(user__username__icontains=q)
            | Q(user__full_name__icontains=q)
            | Q(province__icontains=q)
            | Q(regency__icontains=q)
        )
    if active in ("1", "0"):
        qs = qs.filter(user__is_active=active == "1")
    return qs
