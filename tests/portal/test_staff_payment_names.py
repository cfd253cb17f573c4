"""The staff pages name a payment that issued no receipt of the ANG- series the way the
member portal does — a payroll deduction by its month, agency and batch reference, a
top-up's settlement by the new loan, a loan settled at the exit by the exit — never a
stand-in number ``KW-<year>-<row id>`` an auditor checking the series would flag as a
receipt outside it; and the staff kartu simpanan names a payroll batch's movement by the
month's name and the agency, as the member's does, not the batch's memo ("02/<year>")."""

import io
import re
from datetime import date

import pytest
from django.template.defaultfilters import date as date_filter
from pypdf import PdfReader

from core.deductions.models import DeductionImport

from .conftest import (
    Y,
    books_open_back_to,
    client_for,
    deposit,
    loan_disbursed,
    loan_product,
    payroll_month,
    text,
)

PERIOD = {"date_from": f"{Y}-01-01", "date_to": f"{Y}-12-31"}
STAND_IN = re.compile(r"KW-\d{4}-\d{7}")
MONTHS = {2: "Februari", 3: "Maret", 4: "April"}


def _batches():
    return {
        imp.run.month: imp
        for imp in DeductionImport.objects.filter(status="posted").select_related(
            "run", "agency", "entry"
        )
    }


def _label(imp) -> str:
    month = MONTHS[imp.run.month]
    return f"Potong gaji {month} {imp.run.year} – {imp.agency.name} · ref. {imp.entry}"


def _payment_rows(html: str) -> list[str]:
    section = html.split('id="loan-payments"', 1)[1].split("</table>", 1)[0]
    return [text(r) for r in section.split("<tr")[2:]]


def _pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(p.extract_text() for p in pages).split())


def test_staff_loan_page_names_a_payroll_payment_by_its_batch_not_a_stand_in_number(
    loan_story_read,
):
    coop, staff, _, loan_story = loan_story_read
    a = loan_story["a"]
    page = client_for(coop, staff["pengawas"]).get(f"/pinjaman/{a.pk}/")
    html = page.content.decode()
    rows = _payment_rows(html)
    batches = _batches()
    payroll = [p for p in page.context["repayments"] if p.channel == "payroll"]
    assert len(payroll) == 2
    for p in payroll:
        imp = batches[p.paid_on.month]
        (row,) = [r for r in rows if _label(imp) in r]
        assert p.receipt_number not in row
        # the batch is the payment's document: its page, which every staff role reads
        assert f'href="/potong-gaji/impor/{imp.pk}/"' in html
    assert not STAND_IN.search(text(html))
    # a counter payment keeps its receipt of the series, with its page
    counter = next(p for p in page.context["repayments"] if p.channel == "counter")
    assert counter.receipt_number.startswith("ANG-")
    assert any(counter.receipt_number in r for r in rows)
    assert f'href="/pinjaman/kuitansi/{counter.pk}/"' in html


def test_staff_loan_page_names_a_topup_settlement_by_the_new_loan(loan_story_read):
    coop, staff, _, loan_story = loan_story_read
    a, b = loan_story["a"], loan_story["b"]
    page = client_for(coop, staff["petugas"]).get(f"/pinjaman/{a.pk}/")
    html = page.content.decode()
    (rep,) = [p for p in page.context["repayments"] if p.channel == "topup"]
    (row,) = [r for r in _payment_rows(html) if "Dilunasi oleh pinjaman baru" in r]
    assert f"Dilunasi oleh pinjaman baru {b.number}" in row
    assert f'href="/pinjaman/{b.pk}/"' in html
    assert rep.receipt_number not in row and not STAND_IN.search(row)


def test_the_payment_page_of_a_payroll_payment_is_no_receipt_of_the_series(loan_story_read):
    coop, staff, _, loan_story = loan_story_read
    a = loan_story["a"]
    rep = a.repayments.filter(channel="payroll").order_by("paid_on").first()
    imp = _batches()[rep.paid_on.month]
    c = client_for(coop, staff["pengawas"])
    page = c.get(f"/pinjaman/kuitansi/{rep.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    shown = text(html)
    assert _label(imp) in shown
    assert not STAND_IN.search(shown) and "Kuitansi KW" not in shown
    assert f'href="/potong-gaji/impor/{imp.pk}/"' in html
    assert f"/pinjaman/kuitansi/{rep.pk}.pdf" not in html
    # no PDF made to look like a receipt of the series: the page says what it was
    pdf = c.get(f"/pinjaman/kuitansi/{rep.pk}.pdf", follow=True)
    assert pdf["Content-Type"].startswith("text/html")
    assert "Pembayaran ini tidak diberi kuitansi" in text(pdf.content.decode())
    assert _label(imp) in text(pdf.content.decode())


def test_the_receipt_of_a_counter_payment_keeps_its_number_and_pdf(loan_story_read):
    coop, staff, _, loan_story = loan_story_read
    a = loan_story["a"]
    rep = a.repayments.get(channel="counter")
    c = client_for(coop, staff["pengawas"])
    page = c.get(f"/pinjaman/kuitansi/{rep.pk}/")
    assert f"Kuitansi {rep.receipt_number}" in text(page.content.decode())
    assert rep.receipt_number.startswith("ANG-")
    pdf = c.get(f"/pinjaman/kuitansi/{rep.pk}.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert rep.receipt_number in _pdf_text(pdf.content)


@pytest.fixture
def left(staff, rina):
    """Rina with a loan of 5.000.000 from January, February's payroll cut, who left on
    30 April: the loan offset against her savings in the exit settlement."""
    from core.deductions.services import deduction_settings_update
    from core.exits.services import exit_settlement_confirm, exit_settlement_preview

    by = staff["bendahara"]
    books_open_back_to(Y)
    deduction_settings_update(by=by, cutoff_day=20, priority="jasa,principal,wajib,others")
    deposit(rina, "pokok", "100000", date(Y, 1, 5), by)
    deposit(rina, "sukarela", "20000000", date(Y, 1, 5), by)
    loan = loan_disbursed(
        rina, loan_product(), staff, "5000000", 10, date(Y, 1, 15), date(Y, 2, 20)
    )
    payroll_month(rina, 2, "600000", date(Y, 2, 25), by)
    on = date(Y, 4, 30)
    preview = exit_settlement_preview(member=rina, on=on)
    exit_settlement_confirm(
        member=rina, reason="resigned", on=on, by=by, expected_net=preview.net_payable
    )
    return {"loan": loan, "on": on}


def test_staff_loan_page_and_payment_page_name_a_loan_settled_at_the_exit(tenant_a, staff, left):
    loan, on = left["loan"], left["on"]
    c = client_for(tenant_a, staff["pengawas"])
    page = c.get(f"/pinjaman/{loan.pk}/")
    (rep,) = [p for p in page.context["repayments"] if p.channel == "settlement"]
    (row,) = [r for r in _payment_rows(page.content.decode()) if "penyelesaian keluar" in r]
    assert f"Diperhitungkan pada penyelesaian keluar {date_filter(on)}" in row
    assert rep.receipt_number not in row and not STAND_IN.search(row)
    shown = text(c.get(f"/pinjaman/kuitansi/{rep.pk}/").content.decode())
    assert f"Diperhitungkan pada penyelesaian keluar {date_filter(on)}" in shown
    assert not STAND_IN.search(shown)


def test_staff_kartu_simpanan_names_a_payroll_batch_by_month_and_agency(loan_story_read):
    coop, staff, rina, _ = loan_story_read
    c = client_for(coop, staff["pengawas"])
    page = c.get(f"/simpanan/kartu/{rina.pk}/", PERIOD)
    payroll = [t for s in page.context["statement"] for t in s.rows if t.kind == "payroll"]
    assert payroll  # the 50.000 cut over February's instalment went to sukarela
    pdf = _pdf_text(c.get(f"/simpanan/kartu/{rina.pk}/", PERIOD | {"format": "pdf"}).content)
    batches = _batches()
    for shown in (text(page.content.decode()), pdf):
        for t in payroll:
            assert _label(batches[t.journal_entry.date.month]) in shown, shown
        assert f"02/{Y}" not in shown and f"03/{Y}" not in shown
        assert f"Kelebihan potong gaji Februari {Y} Rp 50.000" in shown


def test_staff_and_member_read_the_same_words_for_each_payment(loan_story_read):
    """One wording: the staff loan page's description of each payroll and top-up payment
    is the portal's."""
    coop, staff, rina, loan_story = loan_story_read
    a = loan_story["a"]
    staff_rows = _payment_rows(
        client_for(coop, staff["pengawas"]).get(f"/pinjaman/{a.pk}/").content.decode()
    )
    portal = client_for(coop, rina.user).get(f"/portal/pinjaman/{a.pk}/")
    section = portal.content.decode().split('id="portal-loan-payments"', 1)[1]
    for cls in ("payroll-batch", "topup-settlement"):
        mine = [text(s.split("</span>", 1)[0]) for s in section.split(f'class="{cls}">')[1:]]
        assert mine
        for words in mine:
            assert any(words in r for r in staff_rows), (words, staff_rows)


def test_the_loan_card_and_repayments_report_name_payments_that_issued_no_receipt(loan_story_read):
    """The kartu pinjaman and the repayments report list every payment by its receipt
    of the series; one that issued none is named by what it was, as on the loan page."""
    coop, staff, _, loan_story = loan_story_read
    a, b = loan_story["a"], loan_story["b"]
    c = client_for(coop, staff["pengawas"])
    card = text(c.get(f"/pinjaman/{a.pk}/kartu/").content.decode())
    report = text(
        c.get(
            "/pinjaman/laporan/repayments/", {"from": f"{Y}-01-01", "to": f"{Y}-12-31"}
        ).content.decode()
    )
    batches = _batches()
    for shown in (card, report):
        assert not STAND_IN.search(shown), shown
        for imp in batches.values():
            assert _label(imp) in shown
        assert f"Dilunasi oleh pinjaman baru {b.number}" in shown
    counter = a.repayments.get(channel="counter")
    assert counter.receipt_number in card and counter.receipt_number in report
