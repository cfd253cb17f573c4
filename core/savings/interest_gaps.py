"""Months of a product's jasa simpanan never run before its latest run.

The skipped-month refusal (``savings_interest_month_skipped``) stops a new gap; a gap
already there — left by old data before that rule, or by a move-in — is read here, so
the treasurer sees it: the members never got those months' jasa. A month counts as the
refusal counts it (``interest_months_owed``: an account of the product open at the
month's end whose balance that month is Lumbung's; not the months before the product's
first run — never refused, the board starts the jasa there — nor months with no account,
nor the months the old books paid up to an opening balance).

Running such a month now is refused (``savings_interest_accrue``: a month before the
product's latest live run — the later months were paid on balances without its jasa).
The way out is the one the refusal names: reverse the later runs, latest first, then run
the months in order; a month whose books are closed can no longer be run nor its later
runs reversed, and the warning says so."""

from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from core.common.dates import format_bulan, format_tanggal
from core.ledger.services import books_closed_until

from .models import InterestRun, SavingsProduct
from .services.interest import (
    _next_month,
    interest_months_named,
    interest_months_owed,
    month_bounds,
)


def _label(ym: tuple[int, int]) -> str:
    """``Maret 2026`` / ``March 2026``: the month (year, month) in words."""
    return format_bulan(date(ym[0], ym[1], 1))


@dataclass
class InterestGap:
    """One product's months never run before its latest live run (``latest``);
    ``closed_months``: those of them in closed books (no longer runnable)."""

    product: SavingsProduct
    months: list[tuple[int, int]]
    latest: tuple[int, int]
    first_run: tuple[int, int]
    closed_months: list[tuple[int, int]] = field(default_factory=list)
    closed_until: date | None = None

    @property
    def message(self) -> str:
        """The warning, in words: the product, the months, why they cannot be run now
        and what to do."""
        parts = [
            _(
                "Jasa %(p)s bulan %(months)s belum pernah dihitung, padahal jasa bulan "
                "%(l)s sudah dihitung: anggota belum menerima jasa bulan itu."
            )
            % {
                "p": self.product.name,
                "months": interest_months_named(self.months),
                "l": _label(self.latest),
            }
        ]
        if self.closed_months:
            parts.append(
                _(
                    "Buku sudah ditutup sampai %(c)s: jasa bulan %(months)s tidak dapat "
                    "dihitung lagi di Lumbung."
                )
                % {
                    "c": format_tanggal(self.closed_until),
                    "months": interest_months_named(self.closed_months),
                }
            )
        runnable = [ym for ym in self.months if ym not in self.closed_months]
        if runnable:
            parts.append(
                _(
                    "Bulan itu tidak dapat dihitung sekarang: jasa dihitung berurutan, dan "
                    "bulan-bulan sesudahnya dihitung tanpa jasanya. Batalkan dulu jasa "
                    "yang sudah dihitung sesudah bulan %(f)s (sampai %(l)s), mulai dari yang "
                    "terakhir, lalu hitung berurutan mulai bulan %(f)s."
                )
                % {"f": _label(runnable[0]), "l": _label(self.latest)}
            )
        return " ".join(parts)


def interest_gaps() -> list[InterestGap]:
    """Per interest-bearing product with a live run, in pk order: the months from its
    first live run to its latest that have no live run and that its jasa pays
    (``interest_months_owed``). Products without such a month are left out. Two
    queries, plus one per product with a month not run in that span."""
    runs: dict[int, set[tuple[int, int]]] = {}
    for pid, year, month in InterestRun.objects.filter(reversed_at__isnull=True).values_list(
        "product_id", "year", "month"
    ):
        runs.setdefault(pid, set()).add((year, month))
    if not runs:
        return []
    products = SavingsProduct.objects.filter(
        pk__in=list(runs), interest_enabled=True, interest_rate_annual__gt=0
    ).order_by("pk")
    closed = books_closed_until()
    out: list[InterestGap] = []
    for product in products:
        done = runs[product.pk]
        latest = max(done)
        # from the first run, as the skipped-month refusal counts: a product's first run
        # is never refused, whatever its month (the board starts the jasa there), so the
        # months before it are not a gap
        first = min(done)
        candidates = []
        ym = first
        while ym < latest:
            if ym not in done:
                candidates.append(ym)
            ym = _next_month(*ym)
        months = interest_months_owed(product_id=product.pk, months=candidates)
        if not months:
            continue
        out.append(
            InterestGap(
                product=product,
                months=months,
                latest=latest,
                first_run=min(done),
                closed_months=[
                    ym for ym in months if closed is not None and month_bounds(*ym)[1] <= closed
                ],
                closed_until=closed,
            )
        )
    return out
