"""A move-in started on books already running (the docs' own example,
``POST /api/v1/onboarding/ {"cutover_date": …}``, sent to a cooperative that keeps its
books in Lumbung already) brings nothing in: its trial balance is refused over the
entries posted up to the cut-over. Its undo was refused too, for the cooperative's own
later entries ("sudah ada 59 jurnal lain sejak tanggal pindah"), and the draft then
refused every close of its cut-over's month and after: the books could never be closed
again (found walking the API on the demo). A draft that posted nothing has nothing to
reverse: it is undone whatever the books hold; one that posted still is not."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client

from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, Period
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from core.onboarding.models import MoveIn
from core.onboarding.services import move_in_undo

from .helpers import tb_rows

HOST = "alpha.localhost"


def _books_running(by, cutover):
    # the cut-over (two months back) is in last year in January and February: its year
    # is opened first, as the other close-guard tests do
    fiscal_year_ensure(year=cutover.year)
    for on in (cutover - timedelta(days=3), cutover + timedelta(days=5)):
        journal_post(
            on=on,
            description="Setoran kas",
            by=by,
            lines=[LineSpec("1101", debit=D("100000")), LineSpec("1102", credit=D("100000"))],
        )


def _api(user) -> Client:
    c = Client(HTTP_HOST=HOST)
    c.force_login(user)
    return c


def test_a_move_in_that_brought_nothing_in_is_undone_over_later_entries(staff, cutover):
    _books_running(staff["bendahara"], cutover)
    c = _api(staff["admin"])
    r = c.post("/api/v1/onboarding/", {"cutover_date": cutover.isoformat()}, "application/json")
    assert r.status_code == 201, r.content
    r = c.post("/api/v1/onboarding/trial-balance/", {"rows": tb_rows()}, "application/json")
    assert r.json()["error"]["code"] == "onboarding_wrong_state"
    assert c.get("/api/v1/onboarding/").json()["move_in"]["undo_possible"] is True
    entries = JournalEntry.objects.count()
    r = c.post(
        "/api/v1/onboarding/undo/", {"reason": "salah: buku sudah di Lumbung"}, "application/json"
    )
    assert r.status_code == 200, r.content
    assert MoveIn.objects.get().status == MoveIn.Status.UNDONE
    assert JournalEntry.objects.count() == entries  # nothing to reverse, nothing posted
    month = Period.objects.get(start_date__lte=cutover, end_date__gte=cutover)
    r = c.post(f"/api/v1/ledger/periods/{month.pk}/close/")
    assert r.status_code == 200, r.content


def test_a_move_in_with_its_opening_entry_is_still_not_undone_over_later_entries(
    move_in, staff, cutover
):
    from core.onboarding.services import trial_balance_post

    by = staff["bendahara"]
    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    journal_post(
        on=cutover + timedelta(days=5),
        description="Setoran kas",
        by=by,
        lines=[LineSpec("1101", debit=D("100000")), LineSpec("1102", credit=D("100000"))],
    )
    with pytest.raises(ApplicationError) as e:
        move_in_undo(move_in=move_in, reason="coba", by=staff["admin"])
    assert e.value.code == "onboarding_undo_refused"
    assert (
        _api(staff["admin"]).get("/api/v1/onboarding/").json()["move_in"]["undo_possible"] is False
    )
