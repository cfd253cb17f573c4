"""Manual entries may carry sen (bank interest of Rp 10,50). A report table rounded cell
by cell to whole rupiah shows lines that do not add up to its total (Rp 11 + Rp 11
under Rp 21): a table with sen in any figure shows every figure with two decimals, on
the page, in the PDF and in the XLSX's number format; a table without keeps whole
rupiah."""

import io
import re
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from core.ledger.models import Account
from core.ledger.services import LineSpec, journal_post

D = Decimal


def _interest(bendahara, today, amount: str):
    for code in ("4302", "4301"):
        journal_post(
            on=today,
            description="Jasa giro bank",
            by=bendahara,
            lines=[LineSpec("1102", debit=D(amount)), LineSpec(code, credit=D(amount))],
        )


def _amounts(html: str) -> list[str]:
    return re.findall(r'<td class="num">(-?Rp [^<]*)</td>', html)


def test_income_statement_with_sen_shows_two_decimals_so_lines_add_up(login, bendahara, today):
    _interest(bendahara, today, "10.50")
    c = login("bendahara")
    html = c.get("/buku-besar/laporan/phu/").content.decode()
    shown = _amounts(html)
    assert shown.count("Rp 10,50") >= 2 and "Rp 21,00" in shown, shown
    assert "Rp 11" not in shown and all("," in a for a in shown), shown
    pdf = c.get("/buku-besar/laporan/phu/?format=pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Rp 10,50" in text and "Rp 21,00" in text and "Rp 11\n" not in text
    ws = load_workbook(io.BytesIO(c.get("/buku-besar/laporan/phu/?format=xlsx").content)).active
    money = [cell for row in ws.iter_rows() for cell in row if cell.value == 10.5]
    assert money and all("0.00" in cell.number_format for cell in money)


def test_income_statement_in_whole_rupiah_keeps_whole_rupiah(login, bendahara, today):
    _interest(bendahara, today, "10")
    c = login("bendahara")
    shown = _amounts(c.get("/buku-besar/laporan/phu/").content.decode())
    assert "Rp 10" in shown and "Rp 20" in shown and not any("," in a for a in shown), shown
    ws = load_workbook(io.BytesIO(c.get("/buku-besar/laporan/phu/?format=xlsx").content)).active
    money = [cell for row in ws.iter_rows() for cell in row if cell.value == 10]
    assert money and all("0.00" not in cell.number_format for cell in money)


def test_buku_besar_with_sen_shows_two_decimals_on_the_page_and_in_its_files(
    login, bendahara, today
):
    _interest(bendahara, today, "10.50")
    acc = Account.objects.get(code="1102")
    c = login("bendahara")
    shown = _amounts(c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/").content.decode())
    assert "Rp 10,50" in shown and "Rp 21,00" in shown and "Rp 11" not in shown, shown
    r = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(r.content)).pages)
    assert "Rp 10,50" in text and "Rp 21,00" in text
    r = c.get(f"/buku-besar/akun/{acc.pk}/buku-besar/?format=xlsx")
    ws = load_workbook(io.BytesIO(r.content)).active
    money = [cell for row in ws.iter_rows() for cell in row if cell.value in (10.5, 21)]
    assert money and all("0.00" in cell.number_format for cell in money)
