"""The year-end page in English (the language cookie): the checklist, the SHU settings
with their choices, the closed year's figures and the SHU preview read in English; a
percent sign in a label shows once."""

from datetime import date

from django.test import Client

from core.yearend.services import shu_post, yearend_close
from tenants.services import tenant_host

from .conftest import YEAR


def _english(tenant, user) -> Client:
    c = Client(HTTP_HOST=tenant_host(tenant.slug))
    c.force_login(user)
    c.cookies["django_language"] = "en"
    return c


def test_year_page_reads_in_english_open_closed_and_posted(tenant_a, ready, staff):
    c = _english(tenant_a, staff["bendahara"])
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    for english in (
        f"<h1>Year end & SHU {YEAR}</h1>",
        "This financial year is not closed yet.",
        "Year-end checklist",
        "12 months closed.",
        "Close the financial year? The tax is posted, the SHU after tax moves to "
        "undistributed SHU, and the year is locked.",
        "Voluntary savings count as capital",
        "Capital basis",
        ">Year-end balance<",
        ">Pro rata up to the exit date<",
        ">Final tax on gross turnover (PP 55/2022)<",
        "Tax rate (%)<",
    ):
        assert english in page, english
    assert "(%%)" not in page
    for indonesian in ("belum ditutup", "Dasar modal", "Saldo akhir tahun", "pro rata sampai"):
        assert indonesian not in page, indonesian

    yearend_close(year=YEAR, by=staff["bendahara"])
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    for english in ("Closed, awaiting the RAT", "SHU before tax", "SHU after tax", "RAT date"):
        assert english in page, english
    assert "SHU sebelum pajak" not in page and "menunggu RAT" not in page
    preview = c.get(f"/tutup-buku/{YEAR}/pratinjau/").content.decode()
    assert "Loan interest paid" in preview and "Jasa pinjaman dibayar" not in preview

    shu_post(year=YEAR, rat_date=date(YEAR + 1, 3, 1), rat_decision="03/RAT", by=staff["bendahara"])
    page = c.get(f"/tutup-buku/{YEAR}/").content.decode()
    assert "SHU distributed (posted)" in page and "RAT decision" in page
    assert "Keputusan RAT" not in page and "SHU dibagi" not in page
