"""Every paper that hands over money says the amount in words (*terbilang*) beside the
figure, as an Indonesian kuitansi does: the repayment receipt (page and PDF), the
recovery receipt of a written-off loan, the disbursement voucher and the agreement."""

from decimal import Decimal as D

from core.loans.services import loan_repay
from tests.pdfs import pdf_text


def test_the_repayment_receipt(login, staff, make_loan):
    loan = make_loan()
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"])
    c = login(staff["petugas"])
    page = " ".join(c.get(f"/pinjaman/kuitansi/{rep.pk}/").content.decode().split())
    assert "Terbilang" in page and "Satu juta seratus ribu rupiah" in page
    text = pdf_text(c.get(f"/pinjaman/kuitansi/{rep.pk}.pdf"))
    assert "Terbilang" in text and "Satu juta seratus ribu rupiah" in text


def test_the_repayment_receipt_in_english(login, staff, make_loan):
    loan = make_loan()
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"])
    c = login(staff["petugas"])
    c.cookies["django_language"] = "en"
    page = " ".join(c.get(f"/pinjaman/kuitansi/{rep.pk}/").content.decode().split())
    assert "In words" in page and "One million, one hundred thousand rupiah" in page


def test_the_recovery_receipt(login, staff, recovery_made):
    _loan, rec = recovery_made
    c = login(staff["pengawas"])
    page = " ".join(c.get(f"/pinjaman/penerimaan/{rec.pk}/").content.decode().split())
    assert "Terbilang" in page and "Satu juta lima ratus ribu rupiah" in page
    text = pdf_text(c.get(f"/pinjaman/penerimaan/{rec.pk}.pdf"))
    assert "Satu juta lima ratus ribu rupiah" in text
    assert "Delapan juta" not in text  # what remains written off is a figure, not paid


def test_the_disbursement_voucher_says_the_net_paid_out(login, staff, make_loan):
    loan = make_loan(principal=D("10000000"), tenor=10)
    c = login(staff["bendahara"])
    text = pdf_text(c.get(f"/pinjaman/{loan.pk}/bukti-pencairan.pdf"))
    assert "Rp 9.650.000" in text
    assert "Terbilang" in text and "Sembilan juta enam ratus lima puluh ribu rupiah" in text


def test_the_agreement_says_the_principal_in_words(login, staff, make_loan):
    loan = make_loan(principal=D("10000000"), tenor=10, until="approved")
    c = login(staff["ketua"])
    text = pdf_text(c.get(f"/pinjaman/{loan.pk}/perjanjian.pdf"))
    assert "sebesar Rp 10.000.000 (sepuluh juta rupiah)" in text
