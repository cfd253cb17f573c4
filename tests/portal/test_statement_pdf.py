"""The kartu simpanan PDF (portal and staff alike) is printed in the reader's language:
in the English UI its labels, its period in words ("1 January <year before last> to 31 December <last year>")
and its page counter ("page 1 / 2") are English; in Indonesian they are as before. An
account's totals row is printed once, under its last movement, never repeated at the
foot of a page (nor alone on a page of its own)."""

import io

from django.conf import settings
from pypdf import PdfReader

from .conftest import CLOSED, Y, client_for
from .test_savings_figures import PERIOD

TOTALS = {"id": "Jumlah / saldo akhir", "en": "Total / closing balance"}


def _pdf_pages(told, lang) -> list[str]:
    coop, _staff, rina, _ = told
    portal = client_for(coop, rina.user)
    portal.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    resp = portal.get("/portal/transaksi/", PERIOD | {"format": "pdf"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    return [p.extract_text() for p in PdfReader(io.BytesIO(resp.content)).pages]


def test_the_english_reader_gets_the_card_in_english(savings_story_read):
    pages = _pdf_pages(savings_story_read, "en")
    text = "\n".join(pages)
    assert "MEMBER SAVINGS CARD" in text and "KARTU SIMPANAN" not in text
    assert f"Period 1 January {CLOSED} to 31 December {Y}" in text, text[:400]
    assert "s.d." not in text and "Periode" not in text
    assert f"page 1 / {len(pages)}" in pages[0] and "hal." not in text
    assert "Printed" in pages[-1] and "Dicetak" not in text
    assert "Out Balance" in text  # money out, not "Left" (a member's status)


def test_the_indonesian_card_is_unchanged(savings_story_read):
    pages = _pdf_pages(savings_story_read, "id")
    text = "\n".join(pages)
    assert "KARTU SIMPANAN ANGGOTA" in text
    assert f"Periode 1 Januari {CLOSED} s.d. 31 Desember {Y}" in text
    assert f"hal. 1 / {len(pages)}" in pages[0] and "Dicetak" in pages[-1]


def test_each_account_s_totals_row_is_printed_once_at_its_end(savings_story_read):
    coop, _staff, rina, _ = savings_story_read
    statement = client_for(coop, rina.user).get("/portal/transaksi/", PERIOD).context["statement"]
    for lang in ("id", "en"):
        pages = _pdf_pages(savings_story_read, lang)
        assert len(pages) > 1  # the story's card runs over a page break
        text = "\n".join(pages)
        assert text.count(TOTALS[lang]) == len(statement), (lang, text.count(TOTALS[lang]))
        # the last account's totals are on the last page, after its last movement
        assert TOTALS[lang] in pages[-1]
