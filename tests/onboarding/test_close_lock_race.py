"""A move-in started at the same moment as a month close or a year close: separate
connections, real commits (``scratch_tenant``).

The close refuses while a draft move-in's cut-over is on or before what it closes
(``move_in_close_refusal``), and the move-in start refuses a cut-over in a closed month.
Each checks what the other has committed, so without a common lock both pass their check
on what they read before the other's write and both commit: a month closed with a draft
move-in whose opening balances can no longer come in. Both take the close lock
(``core.ledger.close_guards.close_lock``: a transaction-level advisory lock per
cooperative schema) before they read, so the second waits for the first's commit and
then refuses with its own clear error; nothing of it is written.

Taking ``close_lock()`` out of ``move_in_start`` (or out of the close) makes these tests
fail: clerk 2 finishes while clerk 1's transaction is still open, and both are "ok"."""

import threading
import time
from calendar import monthrange
from datetime import date

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.ledger.close_guards import close_lock
from core.ledger.models import FiscalYear, Period
from core.ledger.services import (
    books_closed_until,
    fiscal_year_close,
    fiscal_year_ensure,
    period_close,
)
from core.onboarding.models import MoveIn
from core.onboarding.services import move_in_start
from core.yearend.services import yearend_close
from tenants.models import Cooperative
from tests.concurrency import join_all, two_clerks
from tests.members import factories as f

CUTOVER_INVALID = "onboarding_cutover_invalid"
UNFINISHED = "onboarding_close_move_in_unfinished"


def _month_cutover() -> date:
    """The last day of the month two months back (open, not in the future)."""
    today = timezone.localdate()
    y, m = today.year, today.month - 2
    if m < 1:
        y, m = y - 1, m + 12
    return date(y, m, monthrange(y, m)[1])


def _set_up(tenant, cutover: date):
    connection.set_tenant(tenant)
    fiscal_year_ensure(year=cutover.year)
    return f.user("bendahara")


def _start(cutover: date, by):
    return lambda: move_in_start(cutover_date=cutover, by=by)


def _close_month(cutover: date, by):
    def fn():
        period_close(period=Period.objects.get(start_date=cutover.replace(day=1)), by=by)

    return fn


def _close_year(year: int, by):
    return lambda: fiscal_year_close(fiscal_year=FiscalYear.objects.get(year=year), by=by)


def _consistent(cutover: date) -> None:
    """Never both: no draft move-in whose cut-over lies in a closed month."""
    closed_until = books_closed_until()
    drafts = list(MoveIn.objects.filter(status=MoveIn.Status.DRAFT).values("cutover_date"))
    assert not (drafts and closed_until and drafts[0]["cutover_date"] <= closed_until), (
        drafts,
        closed_until,
    )


def test_month_close_first_then_the_move_in_start_is_refused(scratch_tenant):
    cutover = _month_cutover()
    by = _set_up(scratch_tenant, cutover)
    results = two_clerks(scratch_tenant, _close_month(cutover, by), _start(cutover, by))
    assert results == {"1": "ok", "2": CUTOVER_INVALID}, results
    connection.set_tenant(scratch_tenant)
    assert Period.objects.get(start_date=cutover.replace(day=1)).status == "closed"
    assert not MoveIn.objects.exists()
    _consistent(cutover)


def test_move_in_start_first_then_the_month_close_is_refused(scratch_tenant):
    cutover = _month_cutover()
    by = _set_up(scratch_tenant, cutover)
    results = two_clerks(scratch_tenant, _start(cutover, by), _close_month(cutover, by))
    assert results == {"1": "ok", "2": UNFINISHED}, results
    connection.set_tenant(scratch_tenant)
    assert Period.objects.get(start_date=cutover.replace(day=1)).status == "open"
    assert MoveIn.objects.get().status == MoveIn.Status.DRAFT
    _consistent(cutover)


def test_year_close_first_then_the_move_in_start_is_refused(scratch_tenant):
    year = timezone.localdate().year - 1
    cutover = date(year, 6, 30)
    by = _set_up(scratch_tenant, cutover)
    results = two_clerks(scratch_tenant, _close_year(year, by), _start(cutover, by))
    assert results == {"1": "ok", "2": CUTOVER_INVALID}, results
    connection.set_tenant(scratch_tenant)
    assert FiscalYear.objects.get(year=year).status == "closed"
    assert not MoveIn.objects.exists()
    _consistent(cutover)


def test_move_in_start_first_then_the_year_close_is_refused(scratch_tenant):
    year = timezone.localdate().year - 1
    cutover = date(year, 6, 30)
    by = _set_up(scratch_tenant, cutover)
    results = two_clerks(scratch_tenant, _start(cutover, by), _close_year(year, by))
    assert results == {"1": "ok", "2": UNFINISHED}, results
    connection.set_tenant(scratch_tenant)
    assert FiscalYear.objects.get(year=year).status == "open"
    assert MoveIn.objects.get().status == MoveIn.Status.DRAFT
    _consistent(cutover)


def test_move_in_start_first_then_the_year_end_close_is_refused_by_the_guard(scratch_tenant):
    """The year end's close (checklist, tax, SHU) asks the guard before its checklist:
    waiting for the start's commit it names the unfinished move-in, not the months."""
    year = timezone.localdate().year - 1
    cutover = date(year, 6, 30)
    by = _set_up(scratch_tenant, cutover)
    results = two_clerks(
        scratch_tenant, _start(cutover, by), lambda: yearend_close(year=year, by=by)
    )
    assert results == {"1": "ok", "2": UNFINISHED}, results
    connection.set_tenant(scratch_tenant)
    assert FiscalYear.objects.get(year=year).status == "open"
    assert MoveIn.objects.get().status == MoveIn.Status.DRAFT


def test_the_close_lock_is_per_cooperative(scratch_tenant):
    """Another cooperative's close lock is another lock: while this one is held, the other
    is taken at once; this one's second taker waits for the holder's commit."""
    other = Cooperative.objects.get(slug="alpha")  # the suite's shared cooperative
    held, release = threading.Event(), threading.Event()
    waited: dict[str, float] = {}

    def holder():
        try:
            connection.set_tenant(scratch_tenant)
            with transaction.atomic():
                close_lock()
                held.set()
                release.wait(timeout=10)
        finally:
            held.set()
            connection.close()

    def taker(tenant, key):
        def run():
            try:
                connection.set_tenant(tenant)
                t0 = time.monotonic()
                with transaction.atomic():
                    close_lock()
                    waited[key] = time.monotonic() - t0
            finally:
                connection.close()

        return threading.Thread(target=run)

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    assert held.wait(timeout=10)
    others = taker(other, "other")
    same = taker(scratch_tenant, "same")
    others.start()
    same.start()
    others.join(timeout=5)
    time.sleep(0.5)
    release.set()
    join_all([*threads, others, same], timeout=30)
    assert waited["other"] < 0.5, waited
    assert waited["same"] >= 0.5, waited


def test_the_close_lock_refuses_to_be_taken_outside_a_transaction(scratch_tenant):
    connection.set_tenant(scratch_tenant)
    with pytest.raises(RuntimeError):
        close_lock()
