"""A move-in whose cut-over falls in a year closed (year end) after the move-in started:
each step that would bring balances in at the cut-over (the opening trial balance, the
loans, the member import's opening balances, an adjustment) is refused with the
move-in's own Indonesian error naming the closed year and what to do, and nothing is
written; the API answers it in the one JSON shape, never a 500. A move-in that posted
nothing yet can still be undone and started again after the closed year.

The year is closed past the close guard (``core.ledger.close_guards``), which now refuses
to close a draft move-in's cut-over (tests/onboarding/test_close_guard.py): these are the
books of a cooperative that closed it before the guard existed, which the move-in's own
checks must still refuse.

The shared tenant; the year is closed inside the test's transaction (rolled back)."""

import io
from datetime import date
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from core.common.errors import ApplicationError
from core.ledger import close_guards
from core.ledger.models import Account, FiscalYear, JournalEntry, JournalLine, Period
from core.ledger.services import fiscal_year_ensure, period_close
from core.loans.arrears import loans_arrears_update
from core.loans.models import Instalment, Loan
from core.members.models import Member
from core.onboarding.loans_import import loans_import, loans_preview
from core.onboarding.models import MoveIn, MoveInLoan
from core.onboarding.services import (
    move_in_adjust,
    move_in_start,
    move_in_undo,
    trial_balance_post,
    trial_balance_preview,
)
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.services import savings_interest_accrue
from core.yearend.services import yearend_close

from .helpers import loan_row, members_import, tb_rows

YEAR = timezone.localdate().year - 1
CUTOVER = date(YEAR, 6, 30)


def _close_year(by):
    with mock.patch.object(close_guards, "_guards", []):  # closed before the guard existed
        _close_year_unguarded(by)


def _close_year_unguarded(by):
    loans_arrears_update(on=date(YEAR, 12, 31), by=by)
    for product in SavingsProduct.objects.filter(interest_enabled=True, interest_rate_annual__gt=0):
        savings_interest_accrue(product=product, year=YEAR, month=12, by=by)
    for p in Period.objects.filter(fiscal_year__year=YEAR, status="open").order_by("month"):
        period_close(period=p, by=by)
    yearend_close(year=YEAR, by=by)


def _snapshot():
    return (
        JournalEntry.objects.count(),
        JournalLine.objects.count(),
        Account.objects.count(),
        Loan.objects.count(),
        Instalment.objects.count(),
        MoveInLoan.objects.count(),
        Member.objects.count(),
        SavingsAccount.objects.count(),
        SavingsTransaction.objects.count(),
    )


def _refused_naming_the_closed_year(exc_info):
    err = exc_info.value
    assert err.code == "onboarding_cutover_closed", (err.code, err.message)
    assert str(YEAR) in err.message and "ditutup" in err.message, err.message
    assert err.status_code == 409


@pytest.fixture
def started(by, agencies):
    """A move-in with its cut-over 30 June of last year, started while that year was open."""
    fiscal_year_ensure(year=YEAR)
    return move_in_start(cutover_date=CUTOVER, by=by)


@pytest.fixture
def posted_then_closed(started, by, members, product):
    """The opening trial balance posted, then the year closed before the rest came in."""
    trial_balance_post(move_in=started, rows=tb_rows(), by=by)
    _close_year(by)
    started.refresh_from_db()
    return started


def test_trial_balance_refused_when_the_cutover_year_was_closed_after_the_start(started, by):
    _close_year(by)
    assert FiscalYear.objects.get(year=YEAR).status == "closed"
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        trial_balance_preview(move_in=started, rows=tb_rows(), by=by)
    _refused_naming_the_closed_year(e)
    with pytest.raises(ApplicationError) as e:
        trial_balance_post(move_in=started, rows=tb_rows(), by=by)
    _refused_naming_the_closed_year(e)
    assert "Batalkan" in e.value.message  # what to do: undo and start again, or reopen
    assert _snapshot() == before
    started.refresh_from_db()
    assert started.trial_balance_step == "pending" and started.opening_entry_id is None


def test_a_move_in_that_posted_nothing_is_undone_and_started_after_the_closed_year(
    started, by, staff, today
):
    _close_year(by)
    move_in_undo(move_in=started, reason="tahun sudah ditutup", by=staff["admin"])
    with pytest.raises(ApplicationError) as e:  # the closed year is refused at the start
        move_in_start(cutover_date=CUTOVER, by=by)
    assert e.value.code == "onboarding_cutover_invalid"
    # a cut-over in the first open year: 31 January, or today while January has not ended
    mi = move_in_start(cutover_date=min(date(YEAR + 1, 1, 31), today), by=by)
    assert mi.status == "draft"


def test_loans_refused_when_the_year_was_closed_after_the_trial_balance(
    posted_then_closed, by, members
):
    before = _snapshot()
    rows = [loan_row(members[0], CUTOVER)]
    with pytest.raises(ApplicationError) as e:
        loans_preview(move_in=posted_then_closed, rows=rows, by=by)
    _refused_naming_the_closed_year(e)
    with pytest.raises(ApplicationError) as e:
        loans_import(move_in=posted_then_closed, rows=rows, by=by)
    _refused_naming_the_closed_year(e)
    assert "buka kembali" in e.value.message
    assert _snapshot() == before
    posted_then_closed.refresh_from_db()
    assert posted_then_closed.loans_step == "pending"


def test_loans_by_api_refused_as_json_when_the_year_was_closed(posted_then_closed, by, members):
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    before = _snapshot()
    r = c.post(
        "/api/v1/onboarding/loans/",
        {"rows": [loan_row(members[0], CUTOVER)]},
        "application/json",
    )
    assert r.status_code == 409, r.content
    assert r.json()["error"]["code"] == "onboarding_cutover_closed"
    assert str(YEAR) in r.json()["error"]["message"]
    assert _snapshot() == before


def test_member_opening_balances_refused_naming_the_closed_year(posted_then_closed, by):
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        members_import(by, CUTOVER)
    assert e.value.code == "import_period_closed", e.value.code
    assert f"tahun {YEAR}" in e.value.message and "tidak ada yang diimpor" in e.value.message
    assert "pindah ke Lumbung" in e.value.message  # what to do when it is the cut-over
    # the upload is kept (a file checked), nothing imported
    assert _snapshot() == before


def test_adjustment_refused_when_the_year_was_closed(posted_then_closed, by):
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:
        move_in_adjust(
            move_in=posted_then_closed, account="1103", explanation="selisih buku lama", by=by
        )
    _refused_naming_the_closed_year(e)
    assert _snapshot() == before
    assert MoveIn.objects.get(pk=posted_then_closed.pk).adjustments.count() == 0


def test_trial_balance_file_on_the_screen_refused_as_a_form_error(started, by):
    _close_year(by)
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    before = _snapshot()
    f = io.BytesIO(b"akun;debit;kredit\n1101;100;\n3103;;100\n")
    f.name = "neraca.csv"
    r = c.post("/pindah/", {"action": "trial_balance", "file": f})
    assert r.status_code == 200
    page = r.content.decode()
    assert "sudah ditutup" in page and f"tahun buku {YEAR}" in page
    assert _snapshot() == before


def test_undo_after_the_close_refused_whole_nothing_half_removed(posted_then_closed, staff):
    before = _snapshot()
    with pytest.raises(ApplicationError) as e:  # its opening entry sits in the closed year
        move_in_undo(move_in=posted_then_closed, reason="tahun sudah ditutup", by=staff["admin"])
    assert "ditutup" in e.value.message
    assert _snapshot() == before
    assert MoveIn.objects.get(pk=posted_then_closed.pk).status == "draft"
