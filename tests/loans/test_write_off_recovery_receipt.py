"""A recovery on a written-off loan has its receipt, as a repayment has: a page and a
PDF (the repayment receipt's layout) with the number, the member, the loan, the amount
and what remains written off, linked from the loan page; a reversed one says
DIBATALKAN with the day and the reason."""

from core.loans.services import loan_recovery_reverse
from tests.pdfs import pdf_text


def test_the_receipt_page_and_pdf(recovery_made, staff, member, client_a):
    loan, rec = recovery_made
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
    text = pdf_text(client_a.get(f"/pinjaman/penerimaan/{rec.pk}.pdf"))
    for t in (rec.receipt_number, loan.number, member.full_name, "Rp 1.500.000", "Rp 8.500.000"):
        assert t in text, t
    assert "PENERIMAAN PINJAMAN DIHAPUSBUKUKAN" in text
    assert "DIBATALKAN" not in text


def test_the_loan_page_links_each_receipt(recovery_made, staff, client_a):
    loan, rec = recovery_made
    client_a.force_login(staff["petugas"])
    html = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    table = html[html.index('id="recoveries"') :].split("</table>")[0]
    assert f'href="/pinjaman/penerimaan/{rec.pk}/"' in table


def test_a_reversed_recovery_receipt_says_cancelled(recovery_made, staff, client_a):
    loan, rec = recovery_made
    loan_recovery_reverse(recovery=rec, by=staff["bendahara"], reason="salah anggota")
    client_a.force_login(staff["petugas"])
    page = client_a.get(f"/pinjaman/penerimaan/{rec.pk}/").content.decode()
    assert "DIBATALKAN" in page and "salah anggota" in page
    assert "Rp 10.000.000" in page  # remaining back up
    text = pdf_text(client_a.get(f"/pinjaman/penerimaan/{rec.pk}.pdf"))
    assert "DIBATALKAN" in text and "salah anggota" in text


def test_a_member_login_does_not_read_the_staff_receipt(recovery_made, client_a):
    from tests.members import factories as f

    _loan, rec = recovery_made
    client_a.force_login(f.user("anggota"))
    r = client_a.get(f"/pinjaman/penerimaan/{rec.pk}/")
    assert r.status_code in (302, 403)
    assert rec.receipt_number not in r.content.decode()
