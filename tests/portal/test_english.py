"""The member portal read in English says its headings and totals in English: the
statement's money out is "Out" (not "Left", a member's status), a deduction month's
totals row is "Total" (not "Amount"), and no Indonesian heading is left in the pages'
cells or their phone labels."""

import re

from django.conf import settings

from .conftest import CLOSED, Y, client_for, text

INDONESIAN = ("Jumlah", "Keluar", "Masuk", "Tanggal", "Saldo", "Keterangan")


def _page(told, url) -> str:
    coop, _staff, rina, _ = told
    c = client_for(coop, rina.user)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    resp = c.get(url)
    assert resp.status_code == 200
    return resp.content.decode()


def _labels(html: str) -> set[str]:
    """The cells' headings and phone labels (``data-label``)."""
    return set(re.findall(r'data-label="([^"]*)"', html)) | {
        text(h) for h in re.findall(r"<th[^>]*>(.*?)</th>", html, re.S)
    }


def test_the_statement_says_money_in_and_out(savings_story_read):
    html = _page(
        savings_story_read, f"/portal/transaksi/?date_from={CLOSED}-01-01&date_to={Y}-12-31"
    )
    shown = text(html)
    assert re.search(r"\bOut Rp", shown) and not re.search(r"\bLeft Rp", shown), shown[-400:]
    assert not set(INDONESIAN) & _labels(html)


def test_a_deduction_month_s_totals_row_says_total(loan_story_read):
    html = _page(loan_story_read, "/portal/potong-gaji/")
    foot = " ".join(text(f) for f in re.findall(r"<tfoot>(.*?)</tfoot>", html, re.S))
    assert foot.startswith("Total Rp"), foot
    assert "Amount" not in foot
    assert not set(INDONESIAN) & _labels(html)


def test_the_loan_pages_have_no_indonesian_headings(loan_story_read):
    from core.loans.models import Loan

    _coop, _staff, rina, _ = loan_story_read
    pks = list(Loan.objects.filter(member=rina).values_list("pk", flat=True))
    assert pks
    for pk in pks:
        assert not set(INDONESIAN) & _labels(_page(loan_story_read, f"/portal/pinjaman/{pk}/"))


def test_the_shu_page_has_no_indonesian_headings(savings_story_read):
    assert not set(INDONESIAN) & _labels(_page(savings_story_read, "/portal/shu/"))
