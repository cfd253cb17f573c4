"""The periodic refresh: for each cooperative, inside its own schema, read its consent
and (when it shares) its indicators through core selectors; then, in the public schema,
store them. A cooperative that does not share has no figures kept here."""

from __future__ import annotations

import logging
from datetime import date

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from core.loans.schedules import add_months
from core.sharing.selectors import (
    cooperative_indicators,
    dinas_consent_get,
    month_indicators_from_ledger,
    year_figures,
)
from tenants.models import Cooperative

from .models import Indicator, SharingState, YearFigures

log = logging.getLogger(__name__)

# A suspended cooperative is refreshed too: its books are its own (read-only for users),
# and a consent it withdrew while suspended must reach the public side.
RUNNING_STATUSES = ("trial", "active", "past_due", "suspended")


def _tenant_figures(*, schema: str, today: date) -> dict | None:
    """In the tenant's schema (read-only): None when it does not share."""
    with schema_context(schema), transaction.atomic():
        if not dinas_consent_get().share_indicators:
            return None
        return {
            "month": cooperative_indicators(on=today),
            "years": {y: year_figures(year=y, today=today) for y in (today.year - 1, today.year)},
        }


def indicators_refresh_one(*, cooperative_id: int, today: date | None = None) -> SharingState:
    """Refresh one cooperative's consent and figures. A failure is kept on the
    cooperative's sharing row (its old figures stay, with their time)."""
    today = today or timezone.localdate()
    connection.set_schema_to_public()
    coop = Cooperative.objects.get(pk=cooperative_id)
    now = timezone.now()
    if coop.is_practice:  # a practice copy's figures are never the Dinas' business
        raise ValueError(f"{coop.slug} is a practice copy")
    try:
        figures = _tenant_figures(schema=coop.schema_name, today=today)
    except Exception as exc:
        log.exception("Dinas indicators of %s failed", coop.schema_name)
        connection.set_schema_to_public()
        state, _ = SharingState.objects.update_or_create(
            cooperative=coop,
            defaults={"refreshed_at": now, "error": f"{type(exc).__name__}: {exc}"[:2000]},
        )
        return state
    connection.set_schema_to_public()
    with transaction.atomic():
        state, _ = SharingState.objects.update_or_create(
            cooperative=coop,
            defaults={"shared": figures is not None, "refreshed_at": now, "error": ""},
        )
        if figures is None:  # consent withdrawn (or never given): keep nothing
            Indicator.objects.filter(cooperative=coop).delete()
            YearFigures.objects.filter(cooperative=coop).delete()
            return state
        month = today.replace(day=1)
        Indicator.objects.filter(cooperative=coop, latest=True).exclude(month=month).update(
            latest=False
        )
        Indicator.objects.update_or_create(
            cooperative=coop,
            month=month,
            # the NPL amount is the books' own from now on (not derived: migration 0004)
            defaults={
                **figures["month"],
                "figures_at": now,
                "latest": True,
                "npl_estimated": False,
            },
        )
        for year, values in figures["years"].items():
            YearFigures.objects.update_or_create(
                cooperative=coop, year=year, defaults={**values, "figures_at": now}
            )
    return state


def cooperatives_to_refresh() -> list[int]:
    connection.set_schema_to_public()
    return list(
        Cooperative.objects.filter(status__in=RUNNING_STATUSES, is_practice=False)
        .exclude(schema_name="public")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _months_to_fill(*, cooperative: Cooperative, today: date, months: int) -> list[date]:
    """The first days of the ``months`` months before this one that have no row yet
    (a refreshed month is never overwritten)."""
    this_month = today.replace(day=1)
    have = set(Indicator.objects.filter(cooperative=cooperative).values_list("month", flat=True))
    return [m for m in (add_months(this_month, -i) for i in range(1, months + 1)) if m not in have]


def indicators_backfill_one(
    *, cooperative_id: int, months: int = 12, today: date | None = None
) -> int:
    """Back-fill a consenting cooperative's trend: each of the last ``months`` months
    without a row gets one rebuilt from its ledger (``source="ledger"``). Reads the
    tenant's schema, writes the public one; returns how many months were written.
    A cooperative that does not share gets nothing (and a practice copy is refused)."""
    today = today or timezone.localdate()
    connection.set_schema_to_public()
    coop = Cooperative.objects.get(pk=cooperative_id)
    if coop.is_practice:
        raise ValueError(f"{coop.slug} is a practice copy")
    wanted = _months_to_fill(cooperative=coop, today=today, months=months)
    if not wanted:
        return 0
    with schema_context(coop.schema_name), transaction.atomic():
        if not dinas_consent_get().share_indicators:
            return 0
        rows = {m: month_indicators_from_ledger(month=m) for m in wanted}
    connection.set_schema_to_public()
    now = timezone.now()
    with transaction.atomic():
        for month, values in rows.items():
            Indicator.objects.get_or_create(
                cooperative=coop,
                month=month,
                defaults={**values, "figures_at": now, "latest": False, "source": "ledger"},
            )
    return len(rows)
