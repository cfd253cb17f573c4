"""The go-live of a move-in closes every open month up to the cut-over (``period_close``),
so a manual journal entry request (maker-checker) dated up to the cut-over and still
waiting for approval would be left unpostable: the go-live is refused (409
``onboarding_manual_entry_pending``), in the user's language, naming the requests and
saying to approve or reject them in Jurnal umum and then finish the move-in. Nothing
changes: no month closed, the move-in still a draft. Once the request is decided the
go-live goes ahead. The service, the wizard's button and the API."""

import html
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import Client

from core.audit.models import AuditEvent
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError
from core.ledger.models import ManualEntryRequest, Period
from core.ledger.services import (
    LineSpec,
    books_closed_until,
    ledger_settings_update,
    manual_entry_reject,
    manual_entry_submit,
    period_close,
)
from core.onboarding.models import MoveIn
from core.onboarding.services import move_in_go_live
from tests.ledger.helpers import stuck_request

from .helpers import members_import, request_waiting

CODE = "onboarding_manual_entry_pending"


@pytest.fixture
def ready(moved, by, cutover):
    """The move-in reconciled (the members and savings imported): it would go live."""
    members_import(by, cutover)
    return moved


@pytest.fixture
def waiting(ready, staff, cutover) -> ManualEntryRequest:
    """A manual entry dated the day before the cut-over, waiting for approval."""
    return request_waiting(staff, cutover)


def _named(req: ManualEntryRequest) -> str:
    return f"#{req.pk} tanggal {format_tanggal(req.date)}"


def _unchanged(mi: MoveIn, audits: int) -> None:
    mi.refresh_from_db()
    assert (mi.status, mi.went_live_at, mi.closed_periods) == ("draft", None, [])
    assert not Period.objects.filter(status="closed").exists()
    assert AuditEvent.objects.count() == audits


def test_go_live_refused_while_a_request_dated_up_to_the_cutover_waits(ready, waiting, by, cutover):
    audits = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as exc:
        move_in_go_live(move_in=ready, by=by)
    err = exc.value
    assert (err.code, err.status_code) == (CODE, 409)
    assert err.message == (
        "Pindah ke Lumbung belum dapat diselesaikan: menyelesaikannya menutup semua periode "
        f"sampai {format_tanggal(cutover)}, sedangkan permintaan jurnal manual bertanggal "
        f"sampai tanggal itu masih menunggu persetujuan ({_named(waiting)}). "
        "Sesudah periode ditutup, permintaan itu tidak dapat diposting lagi. Setujui atau "
        "tolak dulu di Jurnal umum, lalu selesaikan pindah ke Lumbung."
    )
    assert err.fields == {"requests": [_named(waiting)]}
    _unchanged(ready, audits)


def test_go_live_goes_ahead_once_the_request_is_rejected(ready, waiting, by, staff, cutover):
    with pytest.raises(ApplicationError):
        move_in_go_live(move_in=ready, by=by)
    manual_entry_reject(request=waiting, reason="Dicatat di sistem lama", by=staff["admin"])
    mi = move_in_go_live(move_in=ready, by=by)
    assert mi.status == "live"
    assert not Period.objects.filter(end_date__lte=cutover, status="open").exists()


def test_a_request_dated_after_the_cutover_does_not_hold_the_go_live(ready, staff, by, cutover):
    ledger_settings_update(by=staff["admin"], manual_entry_approval=True)
    manual_entry_submit(
        on=cutover + timedelta(days=1),
        description="Biaya sesudah pindah",
        lines=[LineSpec("5306", debit=D("50000")), LineSpec("1101", credit=D("50000"))],
        by=staff["bendahara"],
    )
    assert move_in_go_live(move_in=ready, by=by).status == "live"


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("id", "Pindah ke Lumbung belum dapat diselesaikan"),
        ("en", "The move to Lumbung cannot be finished yet"),
    ],
)
def test_the_wizard_button_shows_the_refusal_in_the_users_language(ready, waiting, by, lang, said):
    audits = AuditEvent.objects.count()
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    c.cookies["django_language"] = lang
    r = c.post("/pindah/", {"action": "go_live"})
    assert r.status_code == 200, r.status_code
    page = html.unescape(r.content.decode())
    assert said in page, page
    assert f"#{waiting.pk} " in page
    assert ("Jurnal umum" if lang == "id" else "General journal") in page
    _unchanged(ready, audits)


def test_the_api_answers_409_with_the_requests(ready, waiting, by):
    audits = AuditEvent.objects.count()
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    r = c.post("/api/v1/onboarding/go-live/")
    assert r.status_code == 409, r.content
    err = r.json()["error"]
    assert set(err) == {"code", "message", "fields"}
    assert err["code"] == CODE
    assert _named(waiting) in err["message"] and "Jurnal umum" in err["message"]
    assert err["fields"] == {"requests": [_named(waiting)]}
    _unchanged(ready, audits)


def test_a_request_stuck_in_a_month_closed_before_is_named_as_only_to_be_rejected(
    ready, staff, by, cutover
):
    """Old data: a request dated in a month closed already (made before that was refused
    when made) can never be approved: the refusal says to reject it."""
    earlier = (cutover.replace(day=1) - timedelta(days=1)).replace(day=1)
    period_close(period=Period.objects.get(start_date=earlier), by=by)
    closed_until = books_closed_until()
    stuck = stuck_request(on=earlier, by=staff["bendahara"])
    with pytest.raises(ApplicationError) as exc:
        move_in_go_live(move_in=ready, by=by)
    assert exc.value.code == CODE
    assert exc.value.message == (
        f"Pindah ke Lumbung belum dapat diselesaikan: permintaan jurnal manual {_named(stuck)} "
        "masih menunggu persetujuan, tetapi bertanggal dalam buku yang sudah ditutup (sampai "
        f"{format_tanggal(closed_until)}), jadi tidak dapat disetujui lagi. Tolak dulu di "
        "Jurnal umum, lalu selesaikan pindah ke Lumbung."
    )
    assert exc.value.fields["reject_only"] == [_named(stuck)]
    ready.refresh_from_db()
    assert ready.status == "draft"
    assert not Period.objects.filter(status="closed").exclude(start_date=earlier).exists()
    manual_entry_reject(request=stuck, reason="Bulannya sudah ditutup", by=staff["admin"])
    assert move_in_go_live(move_in=ready, by=by).status == "live"
