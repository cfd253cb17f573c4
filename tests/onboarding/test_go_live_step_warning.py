"""The move-in wizard's go-live step says before the click that the go-live would be
refused for manual entry requests waiting for approval (dated up to the cut-over): the
refusal's own message (``move_in_pending_requests``, which the go-live asks), a link to
Jurnal umum, and no go-live button, as the month close's confirmation page does. Once
the requests are decided the button is back."""

import html

import pytest
from django.test import Client

from core.ledger.services import manual_entry_reject
from core.onboarding.services import move_in_pending_requests
from tests.onboarding import test_go_live_pending_requests as base

ready, waiting = base.ready, base.waiting  # the fixtures: reconciled; a request waiting
GO_LIVE = 'name="action" value="go_live"'


def _page(by, lang: str = "id") -> str:
    c = Client(HTTP_HOST="alpha.localhost")
    c.force_login(by)
    c.cookies["django_language"] = lang
    r = c.get("/pindah/")
    assert r.status_code == 200
    return r.content.decode()


def _warning(page: str) -> str:
    start = page.index('id="go-live-refusal"')
    return html.unescape(page[start : page.index("</div>", start)])


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("id", "Pindah ke Lumbung belum dapat diselesaikan"),
        ("en", "The move to Lumbung cannot be finished yet"),
    ],
)
def test_the_go_live_step_warns_before_the_click_and_offers_no_button(
    ready, waiting, by, lang, said
):
    refusal = move_in_pending_requests(move_in=ready)
    assert refusal is not None and refusal.code == "onboarding_manual_entry_pending"
    page = _page(by, lang)
    warning = _warning(page)
    assert said in warning, warning
    assert f"#{waiting.pk} " in warning
    assert 'href="/buku-besar/jurnal/"' in warning
    assert GO_LIVE not in page


def test_the_warning_is_the_refusal_the_go_live_gives(ready, waiting, by):
    assert str(move_in_pending_requests(move_in=ready).message) in _warning(_page(by))


def test_once_decided_the_button_is_back_and_no_warning(ready, waiting, by, staff):
    manual_entry_reject(request=waiting, reason="Dicatat di sistem lama", by=staff["admin"])
    assert move_in_pending_requests(move_in=ready) is None
    page = _page(by)
    assert 'id="go-live-refusal"' not in page
    assert GO_LIVE in page


def test_without_requests_waiting_the_button_is_offered(ready, by):
    page = _page(by)
    assert 'id="go-live-refusal"' not in page
    assert GO_LIVE in page
