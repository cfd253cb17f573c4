"""Closing a month or the year while a move-in is unfinished: the month close and the year
close (the ledger's and the year end's) refuse when a draft move-in's cut-over is on or
before the end of what they close (409, ``onboarding_close_move_in_unfinished``, naming
the move-in's cut-over and what to do), and nothing is written. Once the move-in went
live or was undone, closing works. A month before the cut-over still closes.

The shared tenant; everything inside the test's transaction (rolled back)."""

from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.services import fiscal_year_close, fiscal_year_ensure, period_close
from core.onboarding.services import move_in_go_live, move_in_start, move_in_undo
from core.yearend.models import YearEnd
from core.yearend.services import yearend_close
from tests.loans.conftest import month_close_as_treasurer

from .helpers import members_import

CODE = "onboarding_close_move_in_unfinished"
YEAR = timezone.localdate().year - 1
LAST_YEAR_CUTOVER = date(YEAR, 6, 30)


@pytest.fixture
def move_in(move_in, cutover):
    """The shared draft move-in; in January and February its cut-over (two months back)
    is in last year, which only its trial balance would open: opened first here, as an
    admin would, so that the cut-over month and the next can be asked to close."""
    fiscal_year_ensure(year=cutover.year)
    return move_in


def _snapshot():
    return (
        list(Period.objects.order_by("pk").values_list("status", flat=True)),
        list(FiscalYear.objects.order_by("pk").values_list("status", flat=True)),
        JournalEntry.objects.count(),
        AuditEvent.objects.count(),
        YearEnd.objects.count(),
    )


def _refused(exc_info, cutover: date):
    err = exc_info.value
    assert err.code == CODE, (err.code, err.message)
    assert err.status_code == 409
    assert format_tanggal(cutover) in err.message, err.message
    assert "pindah ke Lumbung" in err.message and "batalkan" in err.message, err.message
    assert "Tidak ada yang ditutup" in err.message


def _month(on: date) -> Period:
    return Period.objects.get(start_date=on.replace(day=1))


def _next_month(on: date) -> Period:
    return Period.objects.filter(start_date__gt=on).order_by("start_date").first()


def test_closing_the_cutover_month_is_refused_while_the_move_in_is_a_draft(move_in, by, cutover):
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        period_close(period=_month(cutover), by=by)
    _refused(e, cutover)
    assert _snapshot() == before


def test_closing_a_later_month_is_refused_too(move_in, by, cutover):
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        period_close(period=_next_month(cutover), by=by)
    _refused(e, cutover)
    assert _snapshot() == before


def test_a_month_before_the_cutover_still_closes(move_in, by, cutover):
    earlier = Period.objects.filter(end_date__lt=cutover, status="open").order_by("-end_date")
    p = period_close(period=earlier.first(), by=by)
    assert p.status == "closed"


def test_closing_the_month_by_api_is_refused_as_json(move_in, by, cutover):
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    before = _snapshot()
    r = c.post(f"/api/v1/ledger/periods/{_month(cutover).pk}/close/")
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == CODE
    assert format_tanggal(cutover) in r.json()["error"]["message"]
    assert _snapshot() == before


@pytest.fixture
def last_year_move_in(by, agencies):
    fiscal_year_ensure(year=YEAR)
    return move_in_start(cutover_date=LAST_YEAR_CUTOVER, by=by)


def test_the_year_end_close_is_refused_while_the_move_in_is_a_draft(last_year_move_in, by):
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        yearend_close(year=YEAR, by=by)
    _refused(e, LAST_YEAR_CUTOVER)
    assert _snapshot() == before


def test_the_ledger_year_close_is_refused_while_the_move_in_is_a_draft(last_year_move_in, by):
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        fiscal_year_close(fiscal_year=FiscalYear.objects.get(year=YEAR), by=by)
    _refused(e, LAST_YEAR_CUTOVER)
    assert _snapshot() == before


def test_after_undo_the_cutover_month_and_the_year_close(last_year_move_in, by, staff):
    move_in_undo(move_in=last_year_move_in, reason="salah tanggal", by=staff["admin"])
    p = period_close(period=_month(LAST_YEAR_CUTOVER), by=by)
    assert p.status == "closed"
    fy = fiscal_year_close(fiscal_year=FiscalYear.objects.get(year=YEAR), by=by)
    assert fy.status == "closed"


def test_after_go_live_the_next_month_closes(moved, by, cutover):
    # in January the next month is December: closed as the treasurer does, after the
    # year-end arrears run (month_close_as_treasurer)
    with pytest.raises(ApplicationError) as e:
        month_close_as_treasurer(period=_next_month(cutover), by=by)
    _refused(e, cutover)
    members_import(by, cutover)
    mi = move_in_go_live(move_in=moved, by=by)  # closes its own months up to the cut-over
    assert mi.status == "live" and mi.closed_periods
    assert _month(cutover).status == "closed"
    p = month_close_as_treasurer(period=_next_month(cutover), by=by)
    assert p.status == "closed"
