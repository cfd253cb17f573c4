"""Fiscal years and their months, created when first needed; the open month a date
posts into."""

from __future__ import annotations

from calendar import monthrange
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.errors import ApplicationError

from ..errors import LedgerErrors as E
from ..models import (
    FiscalYear,
    Period,
)

# --------------------------------------------------------------------------- periods


def _month_end(year: int, month: int) -> date:
    return date(year, month, monthrange(year, month)[1])


@transaction.atomic
def fiscal_year_ensure(*, year: int) -> FiscalYear:
    """The fiscal year (calendar year) with its twelve monthly periods; created open if
    missing. Years after today's year are not created (future periods stay locked)."""
    fy = FiscalYear.objects.filter(year=year).first()
    if fy:
        return fy
    if year > timezone.localdate().year:
        raise ApplicationError(
            E.FUTURE_DATE,
            _("Tahun buku %(y)s belum dapat dibuka (masa depan).") % {"y": year},
        )
    if FiscalYear.objects.filter(year__gt=year, status=FiscalYear.Status.CLOSED).exists():
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Tahun buku %(y)s tidak dapat dibuka: tahun sesudahnya sudah ditutup.") % {"y": year},
        )
    fy, created = FiscalYear.objects.get_or_create(
        year=year, defaults={"start_date": date(year, 1, 1), "end_date": date(year, 12, 31)}
    )
    if created:
        Period.objects.bulk_create(
            [
                Period(
                    fiscal_year=fy,
                    month=m,
                    start_date=date(year, m, 1),
                    end_date=_month_end(year, m),
                )
                for m in range(1, 13)
            ]
        )
    return fy


def _open_period_for(on: date) -> Period:
    if on > timezone.localdate():
        raise ApplicationError(
            E.FUTURE_DATE,
            _("Tanggal %(d)s di masa depan; periode itu masih terkunci.") % {"d": on.isoformat()},
            fields={"date": [_("Tanggal tidak boleh di masa depan.")]},
        )
    period = Period.objects.filter(start_date__lte=on, end_date__gte=on).first()
    if period is None:
        fiscal_year_ensure(year=on.year)
        period = Period.objects.get(start_date__lte=on, end_date__gte=on)
    if period.status != Period.Status.OPEN:
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Periode %(p)s sudah ditutup; tidak bisa memposting tanggal %(d)s.")
            % {"p": f"{period.start_date:%m/%Y}", "d": on.isoformat()},
            fields={"date": [_("Periode sudah ditutup.")]},
        )
    return period
