"""A month (or a year) is not closed while a manual journal entry request (maker-checker,
``ManualEntryRequest``) dated in it is waiting for approval: once its month is closed
(or any later month: nothing is posted on or before the latest closed month) the request
can never be approved, only rejected, and its maker was never told. The close is refused
(409 ``period_manual_entry_pending``) naming the requests by number and date and saying
to approve or reject them first in Jurnal umum; nothing is changed. Every path that
closes months: the month close (periods page, its confirmation, the API) and the
ledger's year close (the year end's close and re-close, and a move-in's go-live, refuse
first, with their own checklist and message, through the same selector). A request dated
in a month already closed is refused when it is made (it would be born stuck); one made
before that was refused (old data) is named apart, as only to be rejected, and its
approval is refused saying so."""

from calendar import monthrange
from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.dates import format_bulan, format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import FiscalYear, JournalEntry, LedgerSettings, ManualEntryRequest, Period
from core.ledger.selectors import manual_requests_pending
from core.ledger.services import (
    LineSpec,
    fiscal_year_close,
    fiscal_year_ensure,
    manual_entry_approve,
    manual_entry_reject,
    manual_entry_submit,
    period_close,
)
from tests.ledger.helpers import stuck_request

CODE = "period_manual_entry_pending"


def _months_back(n: int) -> date:
    """The first day of the month ``n`` months before this one (ended, not in the future)."""
    today = timezone.localdate()
    k = today.year * 12 + today.month - 1 - n
    return date(k // 12, k % 12 + 1, 1)


def _month_end(first: date) -> date:
    return first.replace(day=monthrange(first.year, first.month)[1])


@pytest.fixture
def books(in_tenant_a):
    """Fiscal years from last year to this one, approval of manual entries turned on."""
    year = timezone.localdate().year
    for y in (year - 1, year):
        fiscal_year_ensure(year=y)
    LedgerSettings.objects.update_or_create(id=1, defaults={"manual_entry_approval": True})


@pytest.fixture
def checker(make_user):
    return make_user("bendahara", "checker@ledger.test")


def _request(on: date, by) -> ManualEntryRequest:
    req = manual_entry_submit(
        on=on,
        description="Koreksi biaya listrik",
        lines=[LineSpec("5306", debit=D("125000")), LineSpec("1101", credit=D("125000"))],
        by=by,
    )
    assert isinstance(req, ManualEntryRequest)
    return req


def _named(*reqs: ManualEntryRequest) -> str:
    return ", ".join(f"#{r.pk} tanggal {format_tanggal(r.date)}" for r in reqs)


def _month(first: date) -> Period:
    return Period.objects.get(start_date=first)


def _refused_month_close(first: date, by) -> ApplicationError:
    audits = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        period_close(period=_month(first), by=by)
    assert _month(first).status == "open" and _month(first).closed_at is None
    assert AuditEvent.objects.count() == audits
    return exc.value


# ------------------------------------------------------------------------ the month close


def test_closing_a_month_with_a_pending_request_in_it_is_refused_and_changes_nothing(
    books, bendahara
):
    first = _months_back(2)
    end = _month_end(first)
    req = _request(end, bendahara)
    err = _refused_month_close(first, bendahara)
    assert (err.code, err.status_code) == (CODE, 409)
    assert err.message == (
        f"Periode {format_bulan(first)} tidak dapat ditutup: permintaan jurnal manual "
        f"bertanggal sampai {format_tanggal(end)} masih menunggu persetujuan "
        f"({_named(req)}). Sesudah periode ditutup, permintaan itu tidak dapat diposting "
        "lagi. Setujui atau tolak dulu di Jurnal umum, lalu tutup periode."
    )
    assert err.fields == {"requests": [_named(req)]}
    assert ManualEntryRequest.objects.get(pk=req.pk).status == "pending"


def test_a_pending_request_in_an_earlier_open_month_refuses_the_later_close_too(books, bendahara):
    """Closing a month puts every earlier day behind the books' closed date: a request
    waiting in an earlier month that is still open would be stuck as well."""
    earlier, later = _months_back(3), _months_back(2)
    older = _request(earlier, bendahara)
    newer = _request(later, bendahara)
    err = _refused_month_close(later, bendahara)
    assert err.code == CODE
    assert err.fields == {"requests": [_named(older), _named(newer)]}
    assert _month(earlier).status == "open"


def test_a_request_dated_after_the_month_does_not_hold_its_close(books, bendahara):
    first = _months_back(3)
    _request(_months_back(2), bendahara)
    assert period_close(period=_month(first), by=bendahara).status == "closed"


def test_once_the_requests_are_decided_the_month_closes(books, bendahara, checker):
    first = _months_back(2)
    approved = _request(first, bendahara)
    rejected = _request(_month_end(first), bendahara)
    _refused_month_close(first, bendahara)
    entry = manual_entry_approve(request=approved, by=checker)
    manual_entry_reject(request=rejected, reason="Salah akun", by=checker)
    assert manual_requests_pending(up_to=_month_end(first)) == []
    assert period_close(period=_month(first), by=bendahara).status == "closed"
    assert entry.date == first


# ---------------------------------------------------------------- the screens and the API


def test_api_answers_the_refusal_as_409_with_the_requests(books, bendahara, login):
    first = _months_back(2)
    req = _request(first, bendahara)
    resp = login("bendahara").post(f"/api/v1/ledger/periods/{_month(first).pk}/close/")
    assert resp.status_code == 409, resp.content
    err = resp.json()["error"]
    assert err["code"] == CODE
    assert _named(req) in err["message"] and "Jurnal umum" in err["message"]
    assert err["fields"] == {"requests": [_named(req)]}
    assert _month(first).status == "open"


def test_the_close_confirmation_names_the_requests_and_offers_no_button(books, bendahara, login):
    first = _months_back(2)
    req = _request(first, bendahara)
    html = (
        login("bendahara")
        .post("/buku-besar/periode/", {"action": "close", "period": _month(first).pk})
        .content.decode()
    )
    assert f"Periode {format_bulan(first)} belum dapat ditutup" in html
    assert _named(req) in html
    assert 'href="/buku-besar/jurnal/"' in html
    assert "Ya, tutup periode" not in html


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("id", "masih menunggu persetujuan"),
        ("en", "still awaiting approval"),
    ],
)
def test_the_confirmed_close_shows_the_refusal_as_an_error(books, bendahara, login, lang, said):
    first = _months_back(2)
    req = _request(first, bendahara)
    c = login("bendahara")
    c.cookies["django_language"] = lang
    r = c.post(
        "/buku-besar/periode/",
        {"action": "close", "period": _month(first).pk, "confirmed": "1"},
        follow=True,
    )
    html = r.content.decode()
    assert said in html and f"#{req.pk}" in html
    assert _month(first).status == "open"


# -------------------------------------------------------------------- the ledger's year close


def test_the_ledger_year_close_with_a_pending_request_in_the_year_is_refused(books, bendahara):
    year = timezone.localdate().year - 1
    req = _request(date(year, 6, 30), bendahara)
    fy = FiscalYear.objects.get(year=year)
    audits = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        fiscal_year_close(fiscal_year=fy, by=bendahara)
    err = exc.value
    assert (err.code, err.status_code) == (CODE, 409)
    assert err.message == (
        f"Tahun buku {year} tidak dapat ditutup: permintaan jurnal manual bertanggal sampai "
        f"{format_tanggal(date(year, 12, 31))} masih menunggu persetujuan ({_named(req)}). "
        "Sesudah tahun buku ditutup, permintaan itu tidak dapat diposting lagi. Setujui atau "
        "tolak dulu di Jurnal umum, lalu tutup tahun buku."
    )
    assert err.fields == {"requests": [_named(req)]}
    fy.refresh_from_db()
    assert fy.status == "open"
    assert not Period.objects.filter(fiscal_year=fy, status="closed").exists()
    assert AuditEvent.objects.count() == audits


# ------------------------------------------------------------------ a request made too late


def test_a_request_dated_in_a_closed_month_is_refused_when_made(books, bendahara):
    first = _months_back(2)
    period_close(period=_month(first), by=bendahara)
    with pytest.raises(ApplicationError) as exc:
        _request(_month_end(first), bendahara)
    assert exc.value.code == "period_closed"
    assert format_tanggal(_month_end(first)) in exc.value.message
    assert not ManualEntryRequest.objects.exists()


def test_a_request_dated_before_a_later_closed_month_is_refused_when_made(books, bendahara):
    earlier, later = _months_back(3), _months_back(2)
    period_close(period=_month(later), by=bendahara)
    with pytest.raises(ApplicationError) as exc:
        _request(earlier, bendahara)
    assert exc.value.code == "period_closed"
    assert not ManualEntryRequest.objects.exists()


# ------------------------------------------- a request waiting in books already closed
# Old data: requests made before one dated in a closed month was refused when made. Such a
# request can never be approved (nothing is posted on or before the latest closed month),
# only rejected: the refusals name it apart and say to reject it, not "approve or reject".

REJECT_ONLY = "manual_request_books_closed"


def test_a_request_stuck_in_a_closed_month_is_named_as_only_to_be_rejected(books, bendahara):
    closed, first = _months_back(3), _months_back(2)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=_month_end(closed), by=bendahara)
    err = _refused_month_close(first, bendahara)
    assert (err.code, err.status_code) == (CODE, 409)
    assert err.message == (
        f"Periode {format_bulan(first)} tidak dapat ditutup: permintaan jurnal manual "
        f"{_named(stuck)} masih menunggu persetujuan, tetapi bertanggal dalam buku yang sudah "
        f"ditutup (sampai {format_tanggal(_month_end(closed))}), jadi tidak dapat disetujui "
        "lagi. Tolak dulu di Jurnal umum, lalu tutup periode."
    )
    assert "Setujui" not in err.message
    assert err.fields == {"requests": [_named(stuck)], "reject_only": [_named(stuck)]}


def test_requests_to_approve_or_reject_and_those_only_to_reject_are_named_apart(books, bendahara):
    closed, first = _months_back(3), _months_back(2)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    waiting = _request(first, bendahara)
    err = _refused_month_close(first, bendahara)
    assert err.message == (
        f"Periode {format_bulan(first)} tidak dapat ditutup: permintaan jurnal manual "
        f"bertanggal sampai {format_tanggal(_month_end(first))} masih menunggu persetujuan "
        f"({_named(waiting)}). Sesudah periode ditutup, permintaan itu tidak dapat diposting "
        "lagi. Setujui atau tolak dulu di Jurnal umum, lalu tutup periode. "
        f"Permintaan {_named(stuck)} bertanggal dalam buku yang sudah ditutup (sampai "
        f"{format_tanggal(_month_end(closed))}), jadi tidak dapat disetujui lagi, hanya "
        "ditolak."
    )
    assert err.fields == {
        "requests": [_named(stuck), _named(waiting)],
        "reject_only": [_named(stuck)],
    }


def test_approving_a_request_stuck_in_a_closed_month_is_refused_saying_to_reject_it(
    books, bendahara, checker
):
    closed, first = _months_back(3), _months_back(2)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=_month_end(closed), by=bendahara)
    audits, entries = AuditEvent.objects.count(), JournalEntry.objects.count()
    with pytest.raises(ApplicationError) as exc:
        manual_entry_approve(request=stuck, by=checker)
    err = exc.value
    assert (err.code, err.status_code) == (REJECT_ONLY, 409)
    assert err.message == (
        f"Permintaan {_named(stuck)} tidak dapat disetujui: buku sudah ditutup sampai "
        f"{format_tanggal(_month_end(closed))}, jadi jurnalnya tidak dapat diposting lagi. "
        "Tolak permintaan ini; bila jurnalnya masih diperlukan, buat jurnal manual baru "
        "bertanggal sesudah tanggal itu."
    )
    stuck.refresh_from_db()
    assert (stuck.status, stuck.entry_id, stuck.decided_by_id) == ("pending", None, None)
    assert (AuditEvent.objects.count(), JournalEntry.objects.count()) == (audits, entries)
    # rejected, it no longer holds the next month's close
    manual_entry_reject(request=stuck, reason="Bulannya sudah ditutup", by=checker)
    assert period_close(period=_month(first), by=bendahara).status == "closed"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("id", "tidak dapat disetujui: buku sudah ditutup sampai"),
        ("en", "cannot be approved: the books are closed up to"),
    ],
)
def test_the_approve_button_on_a_stuck_request_says_to_reject_it(
    books, bendahara, login, lang, said
):
    closed = _months_back(3)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    c = login("admin")
    c.cookies["django_language"] = lang
    r = c.post(f"/buku-besar/jurnal/permintaan/{stuck.pk}/", {"action": "approve"}, follow=True)
    assert r.status_code == 200
    html = r.content.decode()
    assert said in html, html
    assert ("Tolak permintaan ini" if lang == "id" else "Reject this request") in html
    assert ManualEntryRequest.objects.get(pk=stuck.pk).status == "pending"
    assert not JournalEntry.objects.filter(source_ref=f"request:{stuck.pk}").exists()


def test_the_year_close_names_a_request_stuck_in_a_closed_month_as_only_to_be_rejected(
    books, bendahara
):
    year = timezone.localdate().year - 1
    june = date(year, 6, 1)
    period_close(period=_month(june), by=bendahara)
    stuck = stuck_request(on=date(year, 6, 10), by=bendahara)
    fy = FiscalYear.objects.get(year=year)
    with pytest.raises(ApplicationError) as exc:
        fiscal_year_close(fiscal_year=fy, by=bendahara)
    err = exc.value
    assert (err.code, err.status_code) == (CODE, 409)
    assert err.message == (
        f"Tahun buku {year} tidak dapat ditutup: permintaan jurnal manual {_named(stuck)} "
        "masih menunggu persetujuan, tetapi bertanggal dalam buku yang sudah ditutup (sampai "
        f"{format_tanggal(date(year, 6, 30))}), jadi tidak dapat disetujui lagi. Tolak dulu "
        "di Jurnal umum, lalu tutup tahun buku."
    )
    assert err.fields == {"requests": [_named(stuck)], "reject_only": [_named(stuck)]}
    fy.refresh_from_db()
    assert fy.status == "open"


def test_the_close_confirmation_says_to_reject_a_stuck_request(books, bendahara, login):
    closed, first = _months_back(3), _months_back(2)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    c = login("bendahara")
    c.cookies["django_language"] = "en"
    html = c.post("/buku-besar/periode/", {"action": "close", "period": _month(first).pk})
    html = html.content.decode()
    assert f"#{stuck.pk} dated" in html
    assert "can no longer be approved. Reject them in the General journal first" in html, html
    assert "Approve or reject" not in html


def test_the_request_page_of_a_stuck_request_offers_only_the_rejection(books, bendahara, login):
    closed = _months_back(3)
    period_close(period=_month(closed), by=bendahara)
    stuck = stuck_request(on=closed, by=bendahara)
    html = login("admin").get(f"/buku-besar/jurnal/permintaan/{stuck.pk}/").content.decode()
    assert f"Permintaan {_named(stuck)} tidak dapat disetujui" in html, html
    assert 'value="approve"' not in html
    assert 'value="reject"' in html


def test_the_request_page_of_a_request_in_an_open_month_offers_both(books, bendahara, login):
    req = _request(_months_back(2), bendahara)
    html = login("admin").get(f"/buku-besar/jurnal/permintaan/{req.pk}/").content.decode()
    assert 'value="approve"' in html and 'value="reject"' in html
    assert "tidak dapat disetujui" not in html
