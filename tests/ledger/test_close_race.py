"""A journal entry posted at the same moment as its month (or its year) is closed:
separate connections, real commits (``scratch_tenant``; ``tests.concurrency.two_clerks``:
clerk 1 holds its transaction open, uncommitted, after its work while clerk 2 runs).

What a race must never end with: an entry in a closed month that the close did not see
(``_the_close_saw_every_entry``). The close made that month's figures (its stored cash
flow, ``cash_flow_months_check``; the year close its closing entry, which leaves every
income and expense account at nil for the year) and the treasurer printed its reports:
an entry committed after it changes them under it. "Closed periods accept no postings"
(shared/domain/kpri.md).

The entry's trigger (``ledger_entry_before_insert``, ledger 0023) locks the entry's
month row FOR SHARE as it checks that the month is open: a close waits for the posting's
commit and sees its entry; a posting after a close's lock waits for the close's commit,
re-reads the row closed and is refused with the ledger's usual ``period_closed``
(``core.ledger.services.posting._post`` reads the trigger's refusal), never a server
error. With the plain SELECT of 0018 the month tests fail: both clerks are "ok" and the
entry sits in the closed month; a posting refused by the trigger itself was a server
error (its ``IntegrityError``). The year close also waits on the fiscal year's row, which
every posting locks as its number counter (``_post``): no entry slipped past it even
with 0018, but the posting that waited for it was answered with that server error."""

from calendar import monthrange
from datetime import date
from decimal import Decimal as D
from unittest import mock

from django.db import connection
from django.test import Client
from django.utils import timezone

from core.common.dates import format_tanggal
from core.ledger.models import (
    Account,
    FiscalYear,
    JournalEntry,
    LedgerSettings,
    ManualEntryRequest,
    Period,
)
from core.ledger.reports import cash_flow_months_check
from core.ledger.selectors import totals_as_of
from core.ledger.services import (
    LineSpec,
    fiscal_year_close,
    fiscal_year_ensure,
    journal_post,
    manual_entry_submit,
    period_close,
    period_reopen,
    periods,
    posting,
)
from tenants.services import tenant_host
from tests.concurrency import PausePoint, paused_race, two_clerks
from tests.members import factories as f

PERIOD_CLOSED = "period_closed"
LAST_YEAR = timezone.localdate().year - 1


def _month_two_back(more: int = 0) -> date:
    """The first day of the month two (and ``more``) months back: open, not in the
    future."""
    today = timezone.localdate()
    n = today.year * 12 + today.month - 1 - 2 - more
    return date(n // 12, n % 12 + 1, 1)


def _month_end(first: date) -> date:
    return first.replace(day=monthrange(first.year, first.month)[1])


class Books:
    """A cooperative with its fiscal years up to ``month``'s (committed: the test's own
    connection autocommits), a treasurer, and what the clerks do."""

    def __init__(self, tenant, month: date):
        connection.set_tenant(tenant)
        self.tenant, self.month, self.end = tenant, month, _month_end(month)
        for year in range(timezone.localdate().year, month.year - 1, -1):
            fiscal_year_ensure(year=year)
        self.by = f.user("bendahara")
        self.income = (
            Account.objects.filter(
                type=Account.Type.INCOME, is_group=False, is_active=True, is_control=False
            )
            .order_by("code")
            .first()
        )
        self.seen: dict[str, int] = {}

    def entries_in_month(self) -> int:
        return JournalEntry.objects.filter(date__gte=self.month, date__lte=self.end).count()

    def post(self, credit: str = "3106"):
        """A manual cash receipt dated in the month (credit equity, or ``credit`` given)."""

        def fn():
            journal_post(
                on=self.end,
                description="Setoran tunai",
                lines=[LineSpec("1101", debit=D("250000")), LineSpec(credit, credit=D("250000"))],
                by=self.by,
            )

        return fn

    def request(self):
        """A manual entry request (approval turned on) dated in the month."""

        def fn():
            manual_entry_submit(
                on=self.end,
                description="Koreksi kas",
                lines=[LineSpec("1101", debit=D("250000")), LineSpec("3106", credit=D("250000"))],
                by=self.by,
            )

        return fn

    def close_month(self):
        def fn():
            period_close(period=Period.objects.get(start_date=self.month), by=self.by)
            # committed: what the close saw is what is in the month now
            self.seen["close"] = self.entries_in_month()

        return fn

    def close_year(self):
        def fn():
            fiscal_year_close(fiscal_year=FiscalYear.objects.get(year=self.month.year), by=self.by)
            self.seen["close"] = self.entries_in_month()

        return fn

    def race(self, first, second) -> dict[str, object]:
        results = two_clerks(self.tenant, first, second)
        connection.set_tenant(self.tenant)
        return results


def _the_close_saw_every_entry(books: Books) -> None:
    """The month is closed and holds exactly the entries it held when its close
    committed; the figures the close stored still agree with the lines."""
    assert Period.objects.get(start_date=books.month).status == Period.Status.CLOSED
    assert books.entries_in_month() == books.seen["close"], books.seen
    off = [(r.item, r.difference) for r in cash_flow_months_check() if r.difference]
    assert not off, off


def _income_and_expense_nil(year: int) -> None:
    """After the year close every income and expense account is back at nil for the
    year: the closing entry rolled in every entry of the year."""
    totals = totals_as_of(date(year, 12, 31))
    left = {
        acc.code: totals[acc.pk]
        for acc in Account.objects.filter(type__in=[Account.Type.INCOME, Account.Type.EXPENSE])
        if acc.pk in totals and totals[acc.pk][0] != totals[acc.pk][1]
    }
    assert not left, left


# ------------------------------------------------------------------------- the month close


def test_posting_first_then_the_month_close_waits_and_sees_its_entry(scratch_tenant):
    books = Books(scratch_tenant, _month_two_back())
    results = books.race(books.post(), books.close_month())
    assert results == {"1": "ok", "2": "ok"}, results
    assert books.seen["close"] == 1
    _the_close_saw_every_entry(books)


def test_month_close_first_then_the_posting_is_refused(scratch_tenant):
    books = Books(scratch_tenant, _month_two_back())
    results = books.race(books.close_month(), books.post())
    assert results == {"1": "ok", "2": PERIOD_CLOSED}, results
    assert books.entries_in_month() == 0
    _the_close_saw_every_entry(books)


def test_the_race_ends_the_same_way_every_time(scratch_tenant):
    """Both orders, three times each, in six months closed oldest first: never an entry
    the close did not see, never a deadlock or a server error."""
    for i, month in enumerate(_month_two_back(more) for more in (5, 4, 3, 2, 1, 0)):
        books = Books(scratch_tenant, month)
        if i % 2:
            results = books.race(books.close_month(), books.post())
            assert results == {"1": "ok", "2": PERIOD_CLOSED}, (month, results)
        else:
            results = books.race(books.post(), books.close_month())
            assert results == {"1": "ok", "2": "ok"}, (month, results)
        _the_close_saw_every_entry(books)


def _posting_paused_after_its_check(books: Books, post, close) -> dict[str, object]:
    """Clerk 1 posts and stops right after the service's own check that the month is
    open (``_open_period_for``: nothing locked yet); clerk 2 closes the month and
    commits; clerk 1 goes on to its insert, which the trigger refuses."""
    real = posting._open_period_for
    pause = PausePoint()

    def paused(*args, **kwargs):
        period = real(*args, **kwargs)
        pause.stop()
        return period

    with mock.patch.object(posting, "_open_period_for", paused):
        return paused_race(
            books.tenant, post, close, pause, second_wait=10, record=lambda value: value
        )


def test_a_posting_whose_month_closed_after_its_check_is_refused_clearly(scratch_tenant):
    """The service read the month open, the close committed before the insert: the
    trigger refuses the insert, and the clerk reads ``period_closed``, not a 500."""
    books = Books(scratch_tenant, _month_two_back())
    results = _posting_paused_after_its_check(books, books.post(), books.close_month())
    assert results == {"1": PERIOD_CLOSED, "2": None}, results
    assert books.entries_in_month() == 0
    _the_close_saw_every_entry(books)


def test_a_posting_before_a_month_closed_after_its_check_is_refused_clearly(scratch_tenant):
    """Its own month is open, but a later month was closed after the service's check:
    the trigger refuses the backdated insert (nothing on or before the latest closed
    month), and the clerk reads ``period_closed``, not a 500."""
    books = Books(scratch_tenant, _month_two_back(1))
    later = Books(scratch_tenant, _month_two_back())
    results = _posting_paused_after_its_check(books, books.post(), later.close_month())
    assert results == {"1": PERIOD_CLOSED, "2": None}, results
    assert Period.objects.get(start_date=books.month).status == Period.Status.OPEN
    assert books.entries_in_month() == 0


def _close_recording(later: Books, earlier: Books):
    """The later month's close, recording what it saw in the earlier (open) month once
    committed to close: the entries there must be those the books closed with."""

    def fn():
        period_close(period=Period.objects.get(start_date=later.month), by=later.by)
        later.seen["earlier"] = earlier.entries_in_month()

    return fn


def test_posting_in_an_earlier_open_month_first_then_a_later_close_waits_and_sees_it(
    scratch_tenant,
):
    """Closing a month puts every earlier month still open behind the books' closed
    date. A posting in such a month, not yet committed when the close comes, is waited
    for (the close locks every open month up to its own, oldest first, as the trigger
    locks the entry's month FOR SHARE) and is in the books the close closed. Without
    it both were "ok" and the close saw none: the entry came in behind a closed month."""
    earlier = Books(scratch_tenant, _month_two_back(1))
    later = Books(scratch_tenant, _month_two_back())
    results = later.race(earlier.post(), _close_recording(later, earlier))
    assert results == {"1": "ok", "2": "ok"}, results
    assert later.seen["earlier"] == earlier.entries_in_month() == 1


def test_a_later_close_first_then_a_posting_in_an_earlier_open_month_is_refused(
    scratch_tenant,
):
    """The later month's close holds the earlier open months: a posting dated in one of
    them waits for it, then finds the books closed past its date (``period_closed``),
    nothing written. Without it the posting went in while the close was uncommitted."""
    earlier = Books(scratch_tenant, _month_two_back(1))
    later = Books(scratch_tenant, _month_two_back())
    results = later.race(_close_recording(later, earlier), earlier.post())
    assert results == {"1": "ok", "2": PERIOD_CLOSED}, results
    assert later.seen["earlier"] == earlier.entries_in_month() == 0
    assert Period.objects.get(start_date=earlier.month).status == Period.Status.OPEN


def test_the_api_answers_a_posting_refused_by_the_trigger_as_usual(scratch_tenant):
    books = Books(scratch_tenant, _month_two_back())
    client = Client(HTTP_HOST=tenant_host(scratch_tenant.slug))
    client.force_login(books.by)
    answer = {}

    def api_post():
        resp = client.post(
            "/api/v1/ledger/entries/",
            {
                "date": books.end.isoformat(),
                "description": "Setoran tunai",
                "lines": [
                    {"account": "1101", "debit": "250000"},
                    {"account": "3106", "credit": "250000"},
                ],
            },
            content_type="application/json",
        )
        answer["status"], answer["body"] = resp.status_code, resp.json()

    results = _posting_paused_after_its_check(books, api_post, books.close_month())
    assert results == {"1": None, "2": None}, results
    assert answer["status"] == 400, answer
    assert answer["body"]["error"]["code"] == PERIOD_CLOSED, answer
    assert format_tanggal(books.end) in answer["body"]["error"]["message"], answer
    assert books.entries_in_month() == 0


# -------------------------------------------------------------------------- the year close


def test_posting_first_then_the_year_close_waits_and_rolls_it_in(scratch_tenant):
    books = Books(scratch_tenant, date(LAST_YEAR, 6, 1))
    results = books.race(books.post(credit=books.income.code), books.close_year())
    assert results == {"1": "ok", "2": "ok"}, results
    assert books.seen["close"] == 1
    _the_close_saw_every_entry(books)
    _income_and_expense_nil(LAST_YEAR)


def test_year_close_first_then_the_posting_is_refused(scratch_tenant):
    books = Books(scratch_tenant, date(LAST_YEAR, 6, 1))
    results = books.race(books.close_year(), books.post(credit=books.income.code))
    assert results == {"1": "ok", "2": PERIOD_CLOSED}, results
    assert books.entries_in_month() == 0
    _the_close_saw_every_entry(books)
    _income_and_expense_nil(LAST_YEAR)


# ---------------------------------------------------------------------------- the reopen


def test_a_reopen_and_a_posting_in_its_month_at_once_do_not_deadlock(scratch_tenant):
    """A posting locks the fiscal year's row (its number counter), then its month's row
    in the trigger; the reopen locks the year's row before the month's, as the year
    close does (one lock order). An admin asks to reopen a month still open at the
    moment a clerk posts into it: the reopen stops just before it locks the fiscal year
    (having locked the month's row first, it held the row the posting then waited for,
    while the posting held the year); it goes on once the posting is written or waits.
    The posting is written and the reopen refused (the month is open), never a deadlock
    PostgreSQL breaks by failing one of them."""
    books = Books(scratch_tenant, _month_two_back())
    admin = f.user("admin")
    period = Period.objects.get(start_date=books.month)
    real = periods.FiscalYear
    pause = PausePoint()

    class PausingFiscalYear:
        """``FiscalYear`` for the reopen: its first query (the year's lock) waits until
        clerk 2 has got as far as it can."""

        def __getattr__(self, name):
            if name == "objects":
                pause.stop()
            return getattr(real, name)

    reopen = lambda: period_reopen(period=period, reason="salah", by=admin)  # noqa: E731
    with mock.patch.object(periods, "FiscalYear", PausingFiscalYear()):
        # clerk 2 done, or waiting for a lock clerk 1 holds
        results = paused_race(books.tenant, reopen, books.post(), pause, second_wait=1.5)
    assert results == {"1": "period_state", "2": "ok"}, results
    assert books.entries_in_month() == 1


# ----------------------------------------------------- a manual entry request at the close


def _requests_in_month(books: Books) -> list[str]:
    return list(
        ManualEntryRequest.objects.filter(date__gte=books.month, date__lte=books.end)
        .order_by("pk")
        .values_list("status", flat=True)
    )


def test_a_request_made_first_then_the_month_close_waits_and_is_refused(scratch_tenant):
    """The request holds its month FOR SHARE until it commits: the close waits, sees it
    and refuses (it could never be approved in a closed month); the month stays open."""
    books = Books(scratch_tenant, _month_two_back())
    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": True})
    results = books.race(books.request(), books.close_month())
    assert results == {"1": "ok", "2": "period_manual_entry_pending"}, results
    assert Period.objects.get(start_date=books.month).status == Period.Status.OPEN
    assert _requests_in_month(books) == ["pending"]


def test_a_month_close_first_then_the_request_is_refused(scratch_tenant):
    """The close holds the month FOR UPDATE: the request waits, reads the month closed
    and is refused ``period_closed``; no request is left stuck in the closed month."""
    books = Books(scratch_tenant, _month_two_back())
    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": True})
    results = books.race(books.close_month(), books.request())
    assert results == {"1": "ok", "2": PERIOD_CLOSED}, results
    assert Period.objects.get(start_date=books.month).status == Period.Status.CLOSED
    assert _requests_in_month(books) == []
