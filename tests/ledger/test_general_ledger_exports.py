"""The buku besar of one account as the auditor takes it away: the XLSX and PDF hold
every line of the range (not the first page of 1,000), and the pages after the first
start from the balance carried from the page before."""

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from core.ledger.models import Account
from core.ledger.services import LineSpec, journal_post

D = Decimal
TOTAL_LABEL = "Jumlah mutasi / saldo akhir"


def _receipts(bendahara, on, n: int, each: str = "1000"):
    """One entry crediting 4301 with ``n`` lines of ``each`` (the cash side in one line)."""
    journal_post(
        on=on,
        description="Penerimaan lain-lain (banyak baris)",
        by=bendahara,
        source="other",
        lines=[
            LineSpec("1101", debit=D(each) * n),
            *(LineSpec("4301", credit=D(each), memo=f"baris {i}") for i in range(n)),
        ],
    )
    return Account.objects.get(code="4301")


def _sheet_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_buku_besar_xlsx_holds_every_line_of_the_range(login, bendahara, today):
    """1,200 lines in the range: the XLSX (no page parameter) lists all of them, and its
    credit column adds up to the total row it prints."""
    acc = _receipts(bendahara, today, 1200)
    r = login("pengawas").get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=xlsx")
    assert r.status_code == 200
    rows = _sheet_rows(r.content)
    total = next(x for x in rows if x[2] == TOTAL_LABEL)
    body = [x for x in rows if x[2] and str(x[2]).startswith("Penerimaan lain-lain")]
    assert len(body) == 1200
    assert sum(D(str(x[4])) for x in body) == total[4] == 1200000
    assert body[-1][5] == 1200000  # the running balance of the last line is the closing one


def test_buku_besar_pdf_holds_every_line_of_the_range(login, bendahara, today):
    acc = _receipts(bendahara, today, 1050)
    r = login("pengawas").get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=pdf")
    assert r.status_code == 200 and r.content[:5] == b"%PDF-"
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert len(re.findall(r"baris \d+", text)) == 1050
    assert "baris 1049" in text


def test_buku_besar_pdf_too_long_is_refused_with_a_message(login, bendahara, today, settings):
    """A PDF of more lines than a printout can hold is refused with a message pointing
    at the XLSX or a shorter period, not cut short."""
    settings.LEDGER_PDF_MAX_LINES = 20
    acc = _receipts(bendahara, today, 21)
    c = login("pengawas")
    r = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=pdf", follow=True)
    assert r.status_code == 200 and r["Content-Type"].startswith("text/html")
    body = r.content.decode()
    assert "21 baris" in body and "XLSX" in body
    settings.LEDGER_PDF_MAX_LINES = 21
    r = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=pdf")
    assert r["Content-Type"] == "application/pdf"


@pytest.mark.parametrize("page", [2, 3])
def test_buku_besar_pages_after_the_first_start_from_the_carried_balance(
    login, bendahara, today, page
):
    """250 lines of Rp 1.000 on an income account, 100 a page: page 2 starts from
    Rp 100.000 carried from page 1, page 3 from Rp 200.000, labelled as carried."""
    acc = _receipts(bendahara, today, 250)
    body = login("pengawas").get(f"/buku-besar/akun/{acc.pk}/buku-besar/?page={page}").content
    first = re.search(r'<tr class="r-subtotal">(.*?)</tr>', body.decode()).group(1)
    carried = f"Rp {(page - 1) * 100}.000"
    assert "Saldo pindahan" in first and carried in first, first
    assert "Saldo awal" not in first


def test_buku_besar_first_page_starts_from_the_opening_balance(login, bendahara, today):
    acc = _receipts(bendahara, today, 150)
    body = login("pengawas").get(f"/buku-besar/akun/{acc.pk}/buku-besar/").content.decode()
    first = re.search(r'<tr class="r-subtotal">(.*?)</tr>', body).group(1)
    assert "Saldo awal" in first and "Rp 0" in first


def test_buku_besar_xlsx_of_accounts_named_with_a_slash_or_a_colon_downloads(
    login, bendahara, today
):
    """The default chart has '4302 Pendapatan Bunga / Jasa Giro Bank'; a cooperative may
    name a bank account 'Bank BPD: Giro [utama]'. The sheet, named after the title,
    cannot hold / : [ ]; the title in the sheet keeps them."""
    from core.ledger.services import account_create

    bpd = account_create(
        code="1109",
        name="Bank BPD: Giro [utama]",
        type="asset",
        parent=Account.objects.get(code="11"),
        is_cash=True,
        by=bendahara,
    )
    journal_post(
        on=today,
        description="Jasa giro",
        by=bendahara,
        lines=[LineSpec(bpd, debit=D("12345")), LineSpec("4302", credit=D("12345"))],
    )
    c = login("bendahara")
    for acc, sheet_name in (
        (Account.objects.get(code="4302"), "Buku Besar 4302 Pendapatan Bung"),
        (bpd, "Buku Besar 1109 Bank BPD Giro u"),
    ):
        r = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=xlsx")
        assert r.status_code == 200, acc.name
        sheet = load_workbook(io.BytesIO(r.content)).active
        assert sheet.title == sheet_name
        assert sheet["A2"].value == f"Buku Besar {acc.code} {acc.name}"


def test_buku_besar_xlsx_dates_are_date_cells_and_the_page_shows_them_as_text(
    login, bendahara, today
):
    """The date column of the XLSX holds dates a spreadsheet sorts and filters (as the
    journal's XLSX does), not text like '5 Des 2026'; the page keeps the written date."""
    from django.utils.formats import date_format

    journal_post(
        on=today,
        description="Setoran",
        by=bendahara,
        lines=[LineSpec("1101", debit=D("1000")), LineSpec("3106", credit=D("1000"))],
    )
    acc = Account.objects.get(code="1101")
    c = login("bendahara")
    r = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    row = next(r for r in ws.iter_rows() if r[2].value == "Setoran")
    assert row[0].value.date() == today and row[0].is_date
    assert row[0].number_format == "dd-mm-yyyy"
    page = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/").content.decode()
    assert f"<td>{date_format(today)}</td>" in page
