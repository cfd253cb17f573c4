"""A manual journal entry request is read, approved and rejected through the API as on
its page (``ledger:manual_request``): ``GET /api/v1/ledger/manual-requests/<id>/``,
``POST …/<id>/approve/`` (201: the posted entry and the request) and ``POST …/<id>/reject/``
(``reason``). The services' refusals as they are: the requester may not approve (403),
a decided request is decided (400 ``manual_request_state``), one dated in the books closed
already can only be rejected (409 ``manual_request_books_closed``), a rejection needs a
reason (400 ``reason_required``); nothing changes on a refusal. Bendahara, ketua and admin
decide; pengawas reads; the errors in the request's language."""

from decimal import Decimal as D

from django.utils import timezone

from core.audit.models import AuditEvent
from core.ledger import reports
from core.ledger.models import JournalEntry, ManualEntryRequest
from core.ledger.services import period_close
from tests.ledger import test_close_pending_requests as base
from tests.ledger.helpers import stuck_request
from tests.ledger.test_close_pending_requests import _month, _month_end, _months_back, _request

books = base.books  # the fixture: fiscal years, approval of manual entries turned on

API = "/api/v1/ledger/manual-requests/"


def _net(code: str, as_of) -> D:
    """Account ``code``'s debit minus credit on the trial balance at ``as_of``."""
    for row in reports.trial_balance(as_of=as_of)["rows"]:
        if row["code"] == code:
            return row["debit"] - row["credit"]
    return D(0)


def _manual_entries() -> int:
    return JournalEntry.objects.filter(source=JournalEntry.Source.MANUAL).count()


def _status(req: ManualEntryRequest) -> str:
    return ManualEntryRequest.objects.get(pk=req.pk).status


def test_get_one_request_answers_the_list_item_fields(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    r = login("ketua").get(f"{API}{req.pk}/")
    assert r.status_code == 200, r.content
    listed = login("ketua").get(API).json()
    assert r.json() == next(row for row in listed if row["id"] == req.pk)
    assert r.json()["status"] == "pending" and r.json()["approvable"] is True


def test_get_an_unknown_request_is_a_json_404(books, login):
    r = login("bendahara").get(f"{API}999999/")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_approve_by_another_user_posts_one_entry_and_moves_the_trial_balance(
    books, bendahara, login
):
    on = _months_back(2)
    req = _request(on, bendahara)
    today = timezone.localdate()
    before = (_net("5306", today), _net("1101", today))
    entries = _manual_entries()
    r = login("ketua").post(f"{API}{req.pk}/approve/")
    assert r.status_code == 201, r.content
    body = r.json()
    entry = JournalEntry.objects.get(source_ref=f"request:{req.pk}")
    assert body["entry"]["id"] == entry.pk
    assert body["entry"]["number"] == entry.display_number
    assert body["entry"]["date"] == on.isoformat()
    assert body["request"]["status"] == "approved" and body["request"]["entry"] == entry.pk
    assert _manual_entries() == entries + 1
    assert _net("5306", today) == before[0] + D("125000")
    assert _net("1101", today) == before[1] - D("125000")
    assert _status(req) == "approved"


def test_approve_by_the_requester_is_refused_403_and_posts_nothing(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    entries, audits = _manual_entries(), AuditEvent.objects.count()
    r = login("bendahara").post(f"{API}{req.pk}/approve/")
    assert r.status_code == 403, r.content
    assert r.json()["error"]["code"] == "permission_denied"
    assert r.json()["error"]["message"] == "Jurnal manual harus disetujui oleh pengguna lain."
    assert _manual_entries() == entries and AuditEvent.objects.count() == audits
    assert _status(req) == "pending"


def test_approve_twice_refuses_the_second_and_posts_one_entry(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    entries = _manual_entries()
    c = login("admin")
    assert c.post(f"{API}{req.pk}/approve/").status_code == 201
    again = c.post(f"{API}{req.pk}/approve/")
    assert again.status_code == 400, again.content
    assert again.json()["error"]["code"] == "manual_request_state"
    assert _manual_entries() == entries + 1


def test_approve_with_the_same_idempotency_key_replays_the_first_answer(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    entries = _manual_entries()
    c = login("ketua")
    first = c.post(f"{API}{req.pk}/approve/", HTTP_IDEMPOTENCY_KEY="approve-once")
    second = c.post(f"{API}{req.pk}/approve/", HTTP_IDEMPOTENCY_KEY="approve-once")
    assert first.status_code == second.status_code == 201, second.content
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert _manual_entries() == entries + 1


def test_reject_without_a_reason_is_refused_400_and_changes_nothing(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    audits = AuditEvent.objects.count()
    for body in ({}, {"reason": "   "}):
        r = login("ketua").post(f"{API}{req.pk}/reject/", body, content_type="application/json")
        assert r.status_code == 400, r.content
        err = r.json()["error"]
        assert err["code"] == "reason_required" and "reason" in err["fields"]
    assert _status(req) == "pending" and AuditEvent.objects.count() == audits


def test_reject_answers_the_request_and_then_approve_is_refused(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    entries = _manual_entries()
    c = login("ketua")
    r = c.post(f"{API}{req.pk}/reject/", {"reason": "Salah akun"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["id"] == req.pk and r.json()["status"] == "rejected"
    refused = c.post(f"{API}{req.pk}/approve/")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "manual_request_state"
    assert _manual_entries() == entries
    saved = ManualEntryRequest.objects.get(pk=req.pk)
    assert (saved.status, saved.decision_reason, saved.entry_id) == ("rejected", "Salah akun", None)


def test_a_stuck_request_is_refused_409_on_approve_and_can_be_rejected(books, bendahara, login):
    closed = _months_back(3)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    entries = _manual_entries()
    c = login("ketua")
    assert c.get(f"{API}{stuck.pk}/").json()["approvable"] is False
    r = c.post(f"{API}{stuck.pk}/approve/")
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert err["code"] == "manual_request_books_closed"
    assert err["fields"] == {"books_closed_until": _month_end(closed).isoformat()}
    assert _manual_entries() == entries and _status(stuck) == "pending"
    rejected = c.post(
        f"{API}{stuck.pk}/reject/",
        {"reason": "Buku sudah ditutup"},
        content_type="application/json",
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"


def test_pengawas_reads_a_request_but_may_not_decide_it(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    c = login("pengawas")
    assert c.get(f"{API}{req.pk}/").status_code == 200
    assert c.post(f"{API}{req.pk}/approve/").status_code == 403
    r = c.post(f"{API}{req.pk}/reject/", {"reason": "x"}, content_type="application/json")
    assert r.status_code == 403
    assert _status(req) == "pending"


def test_petugas_may_not_decide_a_request(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    assert login("petugas").post(f"{API}{req.pk}/approve/").status_code == 403
    assert _status(req) == "pending"


def test_the_refusal_is_in_english_with_accept_language_en(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    r = login("bendahara").post(f"{API}{req.pk}/approve/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 403
    assert r.json()["error"]["message"] == (
        "A manual journal entry must be approved by another user."
    )
    r = login("ketua").post(
        f"{API}{req.pk}/reject/", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.json()["error"]["message"] == "The reason for rejection is required."
