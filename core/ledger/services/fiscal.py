"""Fiscal years and their months, created when first needed; the open month a date
posts into."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.common.dates import format_bulan, format_tanggal
from core.common.errors import ApplicationError

from ..errors import LedgerErrors as E
from ..models import (
    FiscalYear,
    Period,
)

# --------------------------------------------------------------------------- periods

MIN_YEAR = 1900  # no fiscal year before this, whatever the chart's history
FUTURE_LIMIT_DAYS = 366  # dates in the API and forms: at most a year ahead


def books_start() -> date:
    """The first day of the cooperative's books: the start of its first fiscal year (the
    seeding opens the year the cooperative starts; one earlier year may be opened for
    opening balances). Without any fiscal year: 1 January of this year."""
    first = FiscalYear.objects.order_by("year").values_list("start_date", flat=True).first()
    return first or date(timezone.localdate().year, 1, 1)


def books_closed_until() -> date | None:
    """The end of the latest closed month: nothing may be posted on or before it (the
    year close's own entry excepted). None when no month is closed."""
    return (
        Period.objects.filter(status=Period.Status.CLOSED)
        .order_by("-end_date")
        .values_list("end_date", flat=True)
        .first()
    )


def date_in_range(value: date | None, *, field: str = "date") -> date | None:
    """Bound a date given through the API or a form: not before the cooperative's books
    start, not more than a year ahead. Raises ``date_out_of_range`` (400) naming the
    field; None passes through."""
    if value is None:
        return None
    low = books_start()
    high = timezone.localdate() + timedelta(days=FUTURE_LIMIT_DAYS)
    if value < low or value > high:
        raise ApplicationError(
            E.DATE_OUT_OF_RANGE,
            _("Tanggal %(d)s di luar rentang yang diperbolehkan (%(lo)s s.d. %(hi)s).")
            % {"d": format_tanggal(value), "lo": format_tanggal(low), "hi": format_tanggal(high)},
            fields={
                field: [
                    _("Tanggal di luar rentang %(lo)s s.d. %(hi)s.")
                    % {"lo": format_tanggal(low), "hi": format_tanggal(high)}
                ]
            },
        )
    return value


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
    first = FiscalYear.objects.order_by("year").values_list("year", flat=True).first()
    if year < MIN_YEAR or (first is not None and year < first - 1):
        # The books start with the first fiscal year; one year before it may be opened
        # (opening balances), never a year long gone (``0001-01-01`` made year 1).
        raise ApplicationError(
            E.BEFORE_BOOKS_START,
            _("Tahun buku %(y)s tidak dapat dibuka: pembukuan koperasi dimulai %(s)s.")
            % {"y": year, "s": first or MIN_YEAR},
        )
    closed_until = books_closed_until()
    if closed_until is not None and date(year, 12, 31) <= closed_until:
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Tahun buku %(y)s tidak dapat dibuka: buku sudah ditutup sampai %(d)s.")
            % {"y": year, "d": format_tanggal(closed_until)},
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


def _open_period_for(on: date, *, source: str = "manual", year_close: bool = False) -> Period:
    """The open month ``on`` posts into. Refused: a future date; a date before the books
    start (the first fiscal year); a date on or before the end of the latest closed month
    (except the year close's own entries: the ``closing`` entry, and those posted with
    ``year_close`` — the year end's income tax and move to SHU belum dibagi, and their
    reversal when the year is reopened — which must be dated the last day of a fiscal
    year that is not closed), so a closed month's figures can never change by
    backdating; a closed month (for every entry: December is open while its year is
    being closed or was just reopened)."""
    if on > timezone.localdate():
        raise ApplicationError(
            E.FUTURE_DATE,
            _("Tanggal %(d)s di masa depan; periode itu masih terkunci.")
            % {"d": format_tanggal(on)},
            fields={"date": [_("Tanggal tidak boleh di masa depan.")]},
        )
    start = books_start()
    if source == "opening":
        # opening balances (e.g. a member import dated 31 December before the first
        # year) may open the one year before the books, as ``fiscal_year_ensure`` allows
        start = date(start.year - 1, 1, 1)
    if on < start:
        raise ApplicationError(
            E.BEFORE_BOOKS_START,
            _("Tanggal %(d)s sebelum awal pembukuan koperasi (%(s)s).")
            % {"d": format_tanggal(on), "s": format_tanggal(start)},
            fields={"date": [_("Sebelum awal pembukuan.")]},
        )
    if (
        year_close
        and not FiscalYear.objects.filter(end_date=on, status=FiscalYear.Status.OPEN).exists()
    ):
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _(
                "Jurnal tutup buku harus bertanggal hari terakhir tahun buku yang belum "
                "ditutup; %(d)s bukan."
            )
            % {"d": format_tanggal(on)},
            fields={"date": [_("Bukan akhir tahun buku yang sedang ditutup.")]},
        )
    closed_until = books_closed_until()
    exempt = source == "closing" or year_close
    if not exempt and closed_until is not None and on <= closed_until:
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _(
                "Buku sudah ditutup sampai %(c)s; tidak bisa memposting tanggal %(d)s. "
                "Posting hanya boleh sesudah periode tertutup terakhir."
            )
            % {"c": format_tanggal(closed_until), "d": format_tanggal(on)},
            fields={"date": [_("Periode sudah ditutup.")]},
        )
    period = Period.objects.filter(start_date__lte=on, end_date__gte=on).first()
    if period is None:
        fiscal_year_ensure(year=on.year)
        period = Period.objects.get(start_date__lte=on, end_date__gte=on)
    if period.status != Period.Status.OPEN:
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Periode %(p)s sudah ditutup; tidak bisa memposting tanggal %(d)s.")
            % {"p": format_bulan(period.start_date), "d": format_tanggal(on)},
            fields={"date": [_("Periode sudah ditutup.")]},
        )
    return period
