"""Jurnal umum's list of manual entry requests waiting for approval marks each request
dated in the books closed already (old data: made before such a request was refused when
made) as only to be rejected, with the reason (the books closed up to their date), before
anyone opens it; the API's list of waiting requests answers ``approvable`` per request.
Both ask the request page's own check (``manual_request_books_closed``)."""

from html import unescape

from core.common.dates import format_tanggal
from core.ledger.services import manual_entry_reject, period_close
from tests.ledger import test_close_pending_requests as base
from tests.ledger.helpers import stuck_request
from tests.ledger.test_close_pending_requests import (
    _month,
    _month_end,
    _months_back,
    _request,
)

books = base.books  # the fixture: fiscal years, approval of manual entries turned on


def _item(html: str, pk: int) -> str:
    """The list item of request ``pk`` in the page's "Menunggu persetujuan" card."""
    link = f'href="/buku-besar/jurnal/permintaan/{pk}/"'
    end = html.index(link)
    start = html.rindex("<li", 0, end)
    return unescape(html[start : html.index("</li>", end)])


def test_the_journal_list_marks_a_request_in_the_closed_books_as_only_to_be_rejected(
    books, bendahara, login
):
    closed, first = _months_back(3), _months_back(2)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    open_one = _request(first, bendahara)
    html = login("admin").get("/buku-besar/jurnal/").content.decode()
    said = f"hanya dapat ditolak: buku sudah ditutup sampai {format_tanggal(_month_end(closed))}"
    assert said in _item(html, stuck.pk), _item(html, stuck.pk)
    assert "hanya dapat ditolak" not in _item(html, open_one.pk)


def test_the_journal_list_says_it_in_english(books, bendahara, login):
    closed = _months_back(3)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    c = login("admin")
    c.cookies["django_language"] = "en"
    item = _item(c.get("/buku-besar/jurnal/").content.decode(), stuck.pk)
    assert "can only be rejected: the books are closed up to" in item, item


def test_the_api_lists_waiting_requests_with_whether_each_can_be_approved(books, bendahara, login):
    closed, first = _months_back(3), _months_back(2)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    open_one = _request(first, bendahara)
    r = login("bendahara").get("/api/v1/ledger/manual-requests/")
    assert r.status_code == 200, r.content
    rows = {row["id"]: row for row in r.json()}
    assert set(rows) == {stuck.pk, open_one.pk}
    assert rows[stuck.pk]["approvable"] is False
    assert rows[stuck.pk]["books_closed_until"] == _month_end(closed).isoformat()
    assert f"#{stuck.pk} tanggal" in rows[stuck.pk]["approve_refusal"]
    assert rows[open_one.pk]["approvable"] is True
    assert rows[open_one.pk]["books_closed_until"] is None
    assert rows[open_one.pk]["approve_refusal"] is None


def test_the_api_list_leaves_out_decided_requests(books, bendahara, login, make_user):
    req = _request(_months_back(2), bendahara)
    manual_entry_reject(request=req, reason="Salah akun", by=make_user("ketua"))
    r = login("bendahara").get("/api/v1/ledger/manual-requests/")
    assert r.status_code == 200 and r.json() == []
