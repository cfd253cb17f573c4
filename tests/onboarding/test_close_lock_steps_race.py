"""The move-in's other steps at the same moment as a close, and its start and go-live at
the same moment as each other: separate connections, real commits (``scratch_tenant``,
``tests.concurrency.two_clerks``: clerk 1 holds its transaction open, uncommitted, while
clerk 2 runs; ``_paused_inside``: clerk 1 stopped half-way, holding the locks it took).

What each race must never end with:

- a journal entry dated on or before the end of a closed month that was written after
  that month was closed (``_no_backdating``): the undo of a live move-in reverses its
  opening at the cut-over, and a month after it closed meanwhile would be changed under
  its close;
- a live move-in whose sub-ledgers disagree with its opening (``_live_reconciled``):
  the member import's savings coming in while the go-live reads the reconciliation;
- jasa (4a) or capital month-ends (4b) of a year written after that year was closed
  (``_nothing_brought_in_after_the_close``): they are refused once the year is closed
  (the year end's SHU reads them), so they must not slip in while it closes;
- two move-ins at once, a start in months a go-live just closed, a go-live twice;
- a deadlock (PostgreSQL breaks it with an error: clerk 2's outcome would be its repr).

Those that take the close lock (``core.ledger.close_guards.close_lock``) to hold it:
the undo, the member import, the jasa list and the capital month-ends (taking it out of
one makes its tests here fail: clerk 2 finishes on what it read before clerk 1's commit
and both are "ok", or a deadlock). The start and the go-live took it already
(test_close_lock_race.py); the tests here of their races with each other fail without
it (a unique-index error, a deadlock). The draft's steps (the trial balance, the loans,
an adjustment) need none: a close refuses while the draft they need is committed,
whatever they do meanwhile (``core.onboarding.services._draft``)."""

from calendar import monthrange
from datetime import date, timedelta
from decimal import Decimal as D
from unittest import mock

from django.db import connection
from django.utils import timezone

from core.audit.models import AuditEvent
from core.ledger.models import FiscalYear, JournalEntry, Period
from core.ledger.services import (
    books_closed_until,
    fiscal_year_close,
    fiscal_year_ensure,
    period_close,
)
from core.loans.models import JasaPaidBroughtIn, Loan, LoanProduct
from core.onboarding import services
from core.onboarding.audit import OnboardingAudit
from core.onboarding.capital import capital_balances_post
from core.onboarding.contributions import shu_contributions_post
from core.onboarding.loans_import import loans_import
from core.onboarding.models import MoveIn, MoveInAdjustment, UploadPreview
from core.onboarding.preview import upload_preview_confirm, upload_preview_keep_rows
from core.onboarding.selectors import move_in_reconciliation
from core.onboarding.services import (
    move_in_adjust,
    move_in_go_live,
    move_in_start,
    move_in_undo,
    trial_balance_post,
    trial_balance_preview_post,
)
from core.savings.models import CapitalBalanceBroughtIn, SavingsTransaction
from tests.concurrency import PausePoint, paused_race, two_clerks
from tests.members import factories as f

from .helpers import loan_row

CUTOVER_INVALID = "onboarding_cutover_invalid"
MOVE_IN_EXISTS = "onboarding_move_in_exists"
WRONG_STATE = "onboarding_wrong_state"
UNDO_REFUSED = "onboarding_undo_refused"
UNFINISHED = "onboarding_close_move_in_unfinished"
PREVIEW_USED = "onboarding_preview_used"

LAST_YEAR = timezone.localdate().year - 1
YEAR_CUTOVER = date(LAST_YEAR, 6, 30)  # its year has ended: it can be closed


def _month_end(y: int, m: int) -> date:
    return date(y, m, monthrange(y, m)[1])


def _month_cutover() -> date:
    """The last day of the month two months back (open, not in the future)."""
    today = timezone.localdate()
    y, m = today.year, today.month - 2
    if m < 1:
        y, m = y - 1, m + 12
    return _month_end(y, m)


def _next_month_end(on: date) -> date:
    nxt = on + timedelta(days=1)
    return _month_end(nxt.year, nxt.month)


def _tb(extra: list[tuple[str, str, str]] = ()) -> list[dict]:
    """A balanced opening trial balance: cash against equity, no control account unless
    ``extra`` adds one (``(code, debit, credit)``) with its offset in the equity."""
    extra_d = sum((D(d or 0) for _c, d, _k in extra), D(0))
    rows = [("1101", "1000000", ""), ("3103", "", str(D(1000000) + extra_d)), *extra]
    return [
        {"row": i, "account": c, "debit": d, "credit": k} for i, (c, d, k) in enumerate(rows, 2)
    ]


class Books:
    """A move-in in ``tenant``, committed (the test's own connection autocommits)."""

    def __init__(self, tenant, cutover: date, *, tb=None, post: bool = True):
        connection.set_tenant(tenant)
        self.tenant, self.cutover = tenant, cutover
        for year in {cutover.year, _next_month_end(cutover).year}:
            if year <= timezone.localdate().year:
                fiscal_year_ensure(year=year)
        self.by, self.admin = f.user("bendahara"), f.user("admin")
        self.mi = move_in_start(cutover_date=cutover, by=self.by)
        if post:
            trial_balance_post(move_in=self.mi, rows=tb or _tb(), by=self.by)
            self.mi.refresh_from_db()

    def live(self) -> "Books":
        move_in_go_live(move_in=self.mi, by=self.by)
        self.mi.refresh_from_db()
        return self

    # what the clerks do
    def start(self, on: date):
        return lambda: move_in_start(cutover_date=on, by=self.by)

    def go_live(self):
        return lambda: move_in_go_live(move_in=self.mi, by=self.by)

    def undo(self):
        return lambda: move_in_undo(move_in=self.mi, reason="salah tanggal", by=self.admin)

    def close_month(self, end: date):
        def fn():
            period_close(period=Period.objects.get(end_date=end), by=self.by)

        return fn

    def close_year(self, year: int):
        return lambda: fiscal_year_close(fiscal_year=FiscalYear.objects.get(year=year), by=self.by)

    def race(self, first, second) -> dict[str, object]:
        results = two_clerks(self.tenant, first, second)
        connection.set_tenant(self.tenant)
        return results

    def status(self) -> str:
        return MoveIn.objects.get(pk=self.mi.pk).status


def _no_backdating() -> None:
    """No entry dated on or before a closed month's end was written after it closed (the
    year close's own entry is dated into its December on purpose)."""
    for p in Period.objects.filter(status=Period.Status.CLOSED):
        late = list(
            JournalEntry.objects.filter(date__lte=p.end_date, created_at__gt=p.closed_at)
            .exclude(source=JournalEntry.Source.CLOSING)
            .values_list("date", "source_ref")
        )
        assert not late, (p.start_date, p.closed_at, late)


def _nothing_brought_in_after_the_close(year: int) -> None:
    fy = FiscalYear.objects.get(year=year)
    if fy.status != FiscalYear.Status.CLOSED:
        return
    for model in (JasaPaidBroughtIn, CapitalBalanceBroughtIn):
        late = model.objects.filter(created_at__gt=fy.closed_at)
        assert not late.exists(), (model.__name__, fy.closed_at, list(late.values("created_at")))


# ------------------------------------------------------------ start and go-live, each twice


def test_two_starts_at_once_make_one_move_in(scratch_tenant):
    cutover = _month_cutover()
    connection.set_tenant(scratch_tenant)
    fiscal_year_ensure(year=cutover.year)
    by = f.user("bendahara")
    start = lambda: move_in_start(cutover_date=cutover, by=by)  # noqa: E731
    results = two_clerks(scratch_tenant, start, start)
    assert results == {"1": "ok", "2": MOVE_IN_EXISTS}, results
    connection.set_tenant(scratch_tenant)
    assert MoveIn.objects.count() == 1


def test_go_live_first_then_a_start_in_the_months_it_closed_is_refused(scratch_tenant):
    """The start waits for the go-live's commit and reads the months it closed: the
    cut-over's month is closed now (not merely "a move-in exists")."""
    books = Books(scratch_tenant, _month_cutover())
    results = books.race(books.go_live(), books.start(books.cutover))
    assert results == {"1": "ok", "2": CUTOVER_INVALID}, results
    assert list(MoveIn.objects.values_list("status", flat=True)) == ["live"]
    assert books_closed_until() == books.cutover
    _no_backdating()


def test_go_live_first_then_a_start_after_its_cutover_is_refused(scratch_tenant):
    books = Books(scratch_tenant, _month_cutover())
    later = _next_month_end(books.cutover)
    results = books.race(books.go_live(), books.start(later))
    assert results == {"1": "ok", "2": MOVE_IN_EXISTS}, results
    assert list(MoveIn.objects.values_list("status", flat=True)) == ["live"]


def test_start_refused_at_once_then_the_go_live_goes_ahead(scratch_tenant):
    books = Books(scratch_tenant, _month_cutover())
    results = books.race(books.start(books.cutover), books.go_live())
    assert results == {"1": MOVE_IN_EXISTS, "2": "ok"}, results
    assert list(MoveIn.objects.values_list("status", flat=True)) == ["live"]


def test_two_go_lives_at_once_close_the_months_once(scratch_tenant):
    books = Books(scratch_tenant, _month_cutover())
    results = books.race(books.go_live(), books.go_live())
    assert results == {"1": "ok", "2": WRONG_STATE}, results
    mi = MoveIn.objects.get()
    months = list(
        Period.objects.filter(end_date__lte=books.cutover)
        .order_by("start_date")
        .values_list("pk", flat=True)
    )
    assert mi.status == "live" and mi.closed_periods == months
    assert AuditEvent.objects.filter(action=OnboardingAudit.GO_LIVE).count() == 1
    _no_backdating()


def _paused_inside(tenant, first, second, *, where: str) -> dict[str, object]:
    """Clerk 1 runs ``first()`` and stops inside it, in the middle of its transaction,
    when it calls ``core.onboarding.services.<where>`` (holding every lock it took
    before); clerk 2 then runs ``second()``; clerk 1 goes on half a second later. Each
    clerk's outcome as ``two_clerks`` gives it: "ok", the refusal's code, or the repr of
    any other exception (a deadlock PostgreSQL broke is one)."""
    real = getattr(services, where)
    pause = PausePoint()

    def paused(*args, **kwargs):
        pause.stop()
        return real(*args, **kwargs)

    with mock.patch.object(services, where, paused):
        # clerk 2 waits for clerk 1's lock, if it takes one
        return paused_race(tenant, first, second, pause, second_wait=0.5)


def test_a_go_live_arriving_while_a_start_holds_the_lock_waits_no_deadlock(scratch_tenant):
    """The start holds the close lock (stopped before it looks for a move-in) when the
    go-live comes: the go-live waits for the close lock before it locks the move-in's
    row, so the start then reads the draft and refuses, and the go-live goes ahead.
    Were the go-live to lock the row first and the close lock only in its month close,
    each would wait for the other (a deadlock PostgreSQL breaks with an error)."""
    books = Books(scratch_tenant, _month_cutover())
    later = _next_month_end(books.cutover)
    results = _paused_inside(
        scratch_tenant, books.start(later), books.go_live(), where="books_closed_until"
    )
    assert results == {"1": MOVE_IN_EXISTS, "2": "ok"}, results
    assert list(MoveIn.objects.values_list("status", flat=True)) == ["live"]
    _no_backdating()


def test_a_start_arriving_while_a_go_live_holds_the_move_in_waits_no_deadlock(scratch_tenant):
    """The go-live holds the close lock and the move-in's row (stopped before the
    reconciliation) when a start comes: the start waits for the close lock, then reads
    the months the go-live closed."""
    books = Books(scratch_tenant, _month_cutover())
    results = _paused_inside(
        scratch_tenant,
        books.go_live(),
        books.start(books.cutover),
        where="move_in_reconciliation",
    )
    assert results == {"1": "ok", "2": CUTOVER_INVALID}, results
    assert list(MoveIn.objects.values_list("status", flat=True)) == ["live"]
    _no_backdating()


def test_a_preview_confirm_arriving_while_the_undo_holds_the_move_in_no_deadlock(
    scratch_tenant,
):
    """The undo holds the close lock and the move-in's row (stopped before it looks for
    postings) when the trial balance's preview is confirmed: the confirm waits before
    it locks the kept preview, then finds it gone with the move-in. Were the undo to
    reach the previews only at their removal, the confirm would hold the preview and
    wait for the move-in's row while the undo waits for the preview."""
    books = Books(scratch_tenant, _month_cutover(), post=False)
    kept = upload_preview_keep_rows(
        move_in=books.mi, kind="trial_balance", rows=_tb(), options={}, by=books.by
    )
    confirm = lambda: trial_balance_preview_post(reference=kept, by=books.by)  # noqa: E731
    results = _paused_inside(scratch_tenant, books.undo(), confirm, where="real_postings_after")
    assert results == {"1": "ok", "2": PREVIEW_USED}, results
    assert books.status() == "undone"
    assert not JournalEntry.objects.filter(source=JournalEntry.Source.OPENING).exists()
    assert not UploadPreview.objects.exists()


def test_a_jasa_list_confirm_arriving_while_the_undo_holds_the_move_in_no_deadlock(
    scratch_tenant,
):
    """4a's confirm takes the kept preview, then the close lock: the undo took the
    preview before its close lock, so the confirm waits at the preview and finds it gone
    (no lock taken in the other order on either side)."""
    books = Books(scratch_tenant, _month_cutover())
    member = _member()
    rows = [{"row": 2, "member_number": member.number, "jasa": "150.000"}]
    kept = upload_preview_keep_rows(
        move_in=books.mi, kind="shu_contributions", rows=rows, options={}, by=books.by
    )

    def confirm():
        upload_preview_confirm(
            reference=kept,
            kind="shu_contributions",
            by=books.by,
            save=lambda mi, r, _o: shu_contributions_post(move_in=mi, rows=r, by=books.by),
        )

    results = _paused_inside(scratch_tenant, books.undo(), confirm, where="real_postings_after")
    assert results == {"1": "ok", "2": PREVIEW_USED}, results
    assert books.status() == "undone"
    assert not JasaPaidBroughtIn.objects.exists() and not UploadPreview.objects.exists()


def test_undo_of_a_draft_first_then_a_start_waits_and_starts(scratch_tenant):
    books = Books(scratch_tenant, _month_cutover())
    results = books.race(books.undo(), books.start(books.cutover))
    assert results == {"1": "ok", "2": "ok"}, results
    assert sorted(MoveIn.objects.values_list("status", flat=True)) == ["draft", "undone"]


# ------------------------------------------------------------ undo against a month close


def test_month_close_first_then_the_undo_of_a_live_move_in_is_refused(scratch_tenant):
    """The month after the cut-over closes while the live move-in is being undone: the
    undo waits for the close's commit and refuses (its reversals would be dated in the
    books just closed); the move-in stays live, its opening in force."""
    books = Books(scratch_tenant, _month_cutover()).live()
    after = _next_month_end(books.cutover)
    results = books.race(books.close_month(after), books.undo())
    assert results == {"1": "ok", "2": UNDO_REFUSED}, results
    assert books.status() == "live"
    assert not JournalEntry.objects.filter(reverses_id=books.mi.opening_entry_id).exists()
    assert Period.objects.get(end_date=after).status == "closed"
    _no_backdating()


def test_undo_of_a_live_move_in_first_then_the_month_close(scratch_tenant):
    books = Books(scratch_tenant, _month_cutover()).live()
    after = _next_month_end(books.cutover)
    results = books.race(books.undo(), books.close_month(after))
    assert results == {"1": "ok", "2": "ok"}, results
    assert books.status() == "undone"
    assert JournalEntry.objects.filter(reverses_id=books.mi.opening_entry_id).exists()
    assert Period.objects.get(end_date=after).status == "closed"
    _no_backdating()


def test_year_close_first_then_the_undo_of_a_live_move_in_is_refused(scratch_tenant):
    books = Books(scratch_tenant, YEAR_CUTOVER).live()
    results = books.race(books.close_year(LAST_YEAR), books.undo())
    assert results == {"1": "ok", "2": UNDO_REFUSED}, results
    assert books.status() == "live"
    assert FiscalYear.objects.get(year=LAST_YEAR).status == "closed"
    _no_backdating()


# ------------------------------------------------------------ the member import against the go-live


def _member_import(books: Books):
    """Two members with savings balances (``tests.members.test_import.rows``), uploaded
    and checked (committed); the clerk runs it with the cut-over as opening date."""
    from core.savings.member_import import member_import_run, member_import_upload
    from tests.members.test_import import rows, to_csv

    f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")
    batch = member_import_upload(content=to_csv(rows(2)), file_name="a.csv", by=books.by)
    assert batch.status == "valid", batch.errors
    return lambda: member_import_run(batch=batch, opening_date=books.cutover, by=books.by)


def _live_reconciled() -> None:
    """A live move-in's sub-ledgers agree with its opening (go-live's own condition)."""
    for mi in MoveIn.objects.filter(status=MoveIn.Status.LIVE):
        rec = move_in_reconciliation(move_in=mi)
        assert rec["agrees"], [r for r in rec["rows"] if r["difference"] != "0"]


def test_go_live_first_then_the_member_import_at_the_cutover_is_refused(scratch_tenant):
    """Step 3's opening balances come in at the cut-over while the go-live closes its
    months: the import waits for the go-live's commit and refuses the closed month,
    instead of posting into it after the go-live read the reconciliation."""
    books = Books(scratch_tenant, _month_cutover())
    run = _member_import(books)
    results = books.race(books.go_live(), run)
    assert results == {"1": "ok", "2": "import_period_closed"}, results
    assert books.status() == "live"
    assert not SavingsTransaction.objects.exists()
    _live_reconciled()
    _no_backdating()


def test_member_import_at_the_cutover_first_then_the_go_live_is_refused(scratch_tenant):
    """The other way round the go-live waits for the import's commit and reads its
    savings against the opening (which has none here): not reconciled."""
    books = Books(scratch_tenant, _month_cutover())
    run = _member_import(books)
    results = books.race(run, books.go_live())
    assert results == {"1": "ok", "2": "onboarding_not_reconciled"}, results
    assert books.status() == "draft"
    assert SavingsTransaction.objects.exists()
    _live_reconciled()
    _no_backdating()


# ------------------------------------------------------------ 4a and 4b against a year close


def _member():
    return f.member(full_name="Anggota Jasa", join_date=date(2020, 1, 2))


def _jasa(books: Books, member):
    rows = [{"row": 2, "member_number": member.number, "jasa": "150.000"}]
    return lambda: shu_contributions_post(move_in=books.mi, rows=rows, by=books.by)


def _capital(books: Books, member):
    rows = [
        {
            "row": 2,
            "member_number": member.number,
            "month": f"{LAST_YEAR}-03",
            "pokok": "100.000",
            "wajib": "500.000",
        }
    ]
    return lambda: capital_balances_post(move_in=books.mi, rows=rows, by=books.by)


def test_year_close_first_then_the_jasa_list_is_refused(scratch_tenant):
    """4a is open while the move-in is live and its year open: the year closes while
    the list is being saved; the save waits for the close's commit and refuses (the
    year end's SHU reads the list of a closed year as it stands)."""
    books = Books(scratch_tenant, YEAR_CUTOVER).live()
    member = _member()
    results = books.race(books.close_year(LAST_YEAR), _jasa(books, member))
    assert results == {"1": "ok", "2": WRONG_STATE}, results
    assert not JasaPaidBroughtIn.objects.exists()
    _nothing_brought_in_after_the_close(LAST_YEAR)


def test_year_close_first_then_the_capital_month_ends_are_refused(scratch_tenant):
    books = Books(scratch_tenant, YEAR_CUTOVER).live()
    member = _member()
    results = books.race(books.close_year(LAST_YEAR), _capital(books, member))
    assert results == {"1": "ok", "2": WRONG_STATE}, results
    assert not CapitalBalanceBroughtIn.objects.exists()
    _nothing_brought_in_after_the_close(LAST_YEAR)


def test_jasa_list_first_then_the_year_close(scratch_tenant):
    books = Books(scratch_tenant, YEAR_CUTOVER).live()
    member = _member()
    results = books.race(_jasa(books, member), books.close_year(LAST_YEAR))
    assert results == {"1": "ok", "2": "ok"}, results
    assert JasaPaidBroughtIn.objects.get().amount == 150000
    assert FiscalYear.objects.get(year=LAST_YEAR).status == "closed"
    _nothing_brought_in_after_the_close(LAST_YEAR)


def test_capital_month_ends_first_then_the_year_close(scratch_tenant):
    books = Books(scratch_tenant, YEAR_CUTOVER).live()
    member = _member()
    results = books.race(_capital(books, member), books.close_year(LAST_YEAR))
    assert results == {"1": "ok", "2": "ok"}, results
    assert CapitalBalanceBroughtIn.objects.count() == 1
    _nothing_brought_in_after_the_close(LAST_YEAR)


# ------------------------------------------------------------ the draft's steps: no lock needed


def _loan_product():
    return LoanProduct.objects.create(
        code="PINJ",
        name="Pinjaman Uang",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("100000000"),
        min_tenor=1,
        max_tenor=60,
        late_penalty_rate=D("0"),
    )


def test_a_draft_step_posting_while_its_month_closes_keeps_the_close_refused(scratch_tenant):
    """The trial balance, the loans and an adjustment each run while a close of the
    cut-over's month waits or reads: the close is refused by the draft it sees
    committed (the step never changes the draft's status), whichever commits first."""
    books = Books(scratch_tenant, _month_cutover(), post=False)
    month = books.close_month(books.cutover)
    results = books.race(
        lambda: trial_balance_post(
            move_in=books.mi, rows=_tb([("1103", "6000000", "")]), by=books.by
        ),
        month,
    )
    assert results == {"1": "ok", "2": UNFINISHED}, results
    books.mi.refresh_from_db()
    _loan_product()
    member = _member()
    row = loan_row(member, books.cutover)
    results = books.race(lambda: loans_import(move_in=books.mi, rows=[row], by=books.by), month)
    assert results == {"1": "ok", "2": UNFINISHED}, results
    adjust = lambda: move_in_adjust(  # noqa: E731
        move_in=books.mi, account="1103", explanation="selisih buku lama", by=books.by
    )
    results = books.race(adjust, month)
    assert results == {"1": "ok", "2": UNFINISHED}, results
    assert Loan.objects.count() == 1 and MoveInAdjustment.objects.count() == 1
    assert Period.objects.get(end_date=books.cutover).status == "open"
    assert books.status() == "draft"
    _no_backdating()


def test_a_month_before_the_cutover_closes_while_the_trial_balance_posts(scratch_tenant):
    """A month ending before the cut-over may close meanwhile: the opening entry is
    dated the cut-over, after it."""
    books = Books(scratch_tenant, _month_cutover(), post=False)
    before = books.cutover.replace(day=1) - timedelta(days=1)
    fiscal_year_ensure(year=before.year)
    results = books.race(
        books.close_month(before),
        lambda: trial_balance_post(move_in=books.mi, rows=_tb(), by=books.by),
    )
    assert results == {"1": "ok", "2": "ok"}, results
    assert Period.objects.get(end_date=before).status == "closed"
    assert MoveIn.objects.get().opening_entry_id
    _no_backdating()
