"""A recovery on a written-off loan has its receipt, as a repayment has: a page and a
PDF (the repayment receipt's layout) with the number, the member, the loan, the amount
and what remains written off, linked from the loan page; a reversed one says
DIBATALKAN with the day and the reason."""

import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from core.loans.arrears import loans_arrears_update
from core.loans.services import loan_recovery_receive, loan_recovery_reverse, loan_write_off


def _pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    return " ".join(text.split())


@pytest.fixture
def recovered(make_loan, staff, today):
    loan = make_loan(days_ago=320)
    loans_arrears_update(on=today)
    loan_write_off(loan=loan, by=staff["ketua"], on=today, reason="Macet", decision_ref="SK-9")
    loan.refresh_from_db()
    rec = loan_recovery_receive(
        loan=loan, amount=D(1_500_000), by=staff["petugas"], on=today, channel="bank"
    )
    return loan, rec


def test_the_receipt_page_and_pdf(recovered, staff, member, client_a):
    loan, rec = recovered
    client_a.force_login(staff["pengawas"])
    page = client_a.get(f"/pinjaman/penerimaan/{rec.pk}/").content.decode()
    for text in (
        rec.receipt_number,
        loan.number,
        member.full_name,
        "Transfer bank",
        "Rp 1.500.000",
        "Rp 8.500.000",  # what remains written off
        "SK-9",
    ):
        assert text in page, text
    assert f"/pinjaman/penerimaan/{rec.pk}.pdf" in page
    assert "DIBATALKAN" not in page
    text = _pdf_text(client_a.get(f"/pinjaman/penerimaan/{rec.pk}.pdf"))
    for t in (rec.receipt_number, loan.number, member.full_name, "Rp 1.500.000", "Rp 8.500.000"):
        assert t in text, t
    assert "PENERIMAAN PINJAMAN DIHAPUSBUKUKAN" in text
    assert "DIBATALKAN" not in text


def test_the_loan_page_links_each_receipt(recovered, staff, client_a):
    loan, rec = recovered
    client_a.force_login(staff["petugas"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    table = html[html.index('id="recoveries"') :].split("</table>")[0]
    assert f'href="/pinjaman/penerimaan/{rec.pk}/"' in table


def test_a_reversed_recovery_receipt_says_cancelled(recovered, staff, client_a):
    loan, rec = recovered
    loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="salah anggota")
    client_a.force_login(staff["petugas"])
    page = client_a.get(f"/pinjaman/penerimaan/{rec.pk}/").content.decode()
    assert "DIBATALKAN" in page and "salah anggota" in page
    assert "Rp 10.000.000" in page  # remaining back up
    text = _pdf_text(client_a.get(f"/pinjaman/penerimaan/{rec.pk}.pdf"))
    assert "DIBATALKAN" in text and "salah anggota" in text


def test_a_member_login_does_not_read_the_staff_receipt(recovered, client_a):
    from tests.members import factories as f

    _loan, rec = recovered
    client_a.force_login(f.user("anggota"))
    r = client_a.get(f"/pinjaman/penerimaan/{rec.pk}/")
    assert r.status_code in (302, 403)
    assert rec.receipt_number not in r.content.decode()
