"""The close confirmation pages say up front what a close guard refuses: with a draft
move-in whose cut-over is in the month (or year) to close, the month close's
confirmation and the year end's page with its close button (a year closes only there)
name the move-in, say what to do (finish it or undo it) with a link to Pindah ke Lumbung,
and offer no button to confirm. The confirmed POST is still refused by the service
(nothing closed). A month before the cut-over, and the year once the move-in is undone,
are offered as before.

The shared tenant; everything inside the test's transaction (rolled back)."""

import html
from datetime import date

import pytest
from django.test import Client
from django.utils import timezone

from core.common.dates import format_bulan, format_tanggal
from core.ledger.models import FiscalYear, Period
from core.ledger.services import fiscal_year_ensure
from core.onboarding.services import move_in_start, move_in_undo

YEAR = timezone.localdate().year - 1
LAST_YEAR_CUTOVER = date(YEAR, 6, 30)
WHAT_TO_DO = "Selesaikan pindah ke Lumbung itu (go-live) atau batalkan dulu"


@pytest.fixture
def move_in(move_in, cutover):
    """The shared draft move-in; in January and February its cut-over (two months back)
    is in last year, which only its trial balance would open: opened first here, as an
    admin would, so that the cut-over month and the next can be asked to close."""
    fiscal_year_ensure(year=cutover.year)
    return move_in


@pytest.fixture
def client(by) -> Client:
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    return c


@pytest.fixture
def last_year_move_in(by, agencies):
    fiscal_year_ensure(year=YEAR)
    return move_in_start(cutover_date=LAST_YEAR_CUTOVER, by=by)


def _month(on: date) -> Period:
    return Period.objects.get(start_date=on.replace(day=1))


def _page(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return html.unescape(resp.content.decode())


def _refusal_box(page: str) -> str:
    assert 'id="confirm-refusal"' in page, page
    return page.split('id="confirm-refusal"')[1].split("</div>")[0]


def _messages(resp) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in resp.context["messages"]]


def test_month_close_confirmation_names_the_unfinished_move_in_and_offers_no_button(
    move_in, client, cutover
):
    period = _month(cutover)
    page = _page(client.post("/buku-besar/periode/", {"action": "close", "period": period.pk}))
    assert f"Periode {format_bulan(period.start_date)} belum dapat ditutup" in page
    box = _refusal_box(page)
    assert f"tanggal pindah {format_tanggal(cutover)} belum selesai" in box, box
    assert WHAT_TO_DO in box and "Tidak ada yang ditutup" in box, box
    assert 'id="confirm-refusal-link" href="/pindah/"' in box, box
    assert "Buka Pindah ke Lumbung (selesaikan atau batalkan)" in box
    assert 'id="confirm-button"' not in page
    assert 'name="confirmed"' not in page
    assert 'href="/buku-besar/periode/" id="confirm-back"' in page
    period.refresh_from_db()
    assert period.status == "open"


def test_a_confirmed_month_close_is_still_refused_by_the_service(move_in, client, cutover):
    period = _month(cutover)
    resp = client.post(
        "/buku-besar/periode/",
        {"action": "close", "period": period.pk, "confirmed": "1"},
        follow=True,
    )
    assert resp.status_code == 200
    [(level, text)] = _messages(resp)
    assert level == "error" and format_tanggal(cutover) in text and WHAT_TO_DO in text, text
    period.refresh_from_db()
    assert period.status == "open"


def test_a_month_before_the_cutover_is_offered_as_before(move_in, client, cutover):
    earlier = (
        Period.objects.filter(end_date__lt=cutover, status="open").order_by("-end_date").first()
    )
    page = _page(client.post("/buku-besar/periode/", {"action": "close", "period": earlier.pk}))
    assert f"Konfirmasi tutup periode {format_bulan(earlier.start_date)}" in page
    assert 'id="confirm-refusal"' not in page
    assert 'id="confirm-button"' in page


def _year_page(client) -> str:
    return _page(client.get(f"/tutup-buku/{YEAR}/"))


def test_year_end_page_names_the_move_in_and_offers_no_close_button(last_year_move_in, client):
    page = _year_page(client)
    assert 'id="close-refusal"' in page, page
    box = page.split('id="close-refusal"')[1].split("</div>")[0]
    assert format_tanggal(LAST_YEAR_CUTOVER) in box and WHAT_TO_DO in box, box
    assert 'id="close-refusal-link" href="/pindah/"' in box, box
    assert 'name="action" value="close"' not in page
    resp = client.post(f"/tutup-buku/{YEAR}/", {"action": "close"}, follow=True)
    texts = [t for level, t in _messages(resp) if level == "error"]
    assert any(format_tanggal(LAST_YEAR_CUTOVER) in t and WHAT_TO_DO in t for t in texts), texts
    assert FiscalYear.objects.get(year=YEAR).status == "open"


def test_year_end_page_says_nothing_once_the_move_in_is_undone(last_year_move_in, client, staff):
    move_in_undo(move_in=last_year_move_in, reason="salah tanggal", by=staff["admin"])
    page = _year_page(client)
    assert 'id="close-refusal"' not in page
    assert WHAT_TO_DO not in page
