"""A receipt reprinted after its payment was cancelled says so (page and PDF, loans and
savings): DIBATALKAN with the day and the reason, so it cannot pass as a valid receipt."""

from decimal import Decimal as D

from django.utils import timezone

from core.loans.services import loan_repay, loan_repayment_reverse
from core.savings.seeding import product_by_kind, savings_products_seed
from core.savings.services import savings_account_open, teller_deposit, teller_reverse
from tests.pdfs import pdf_text


def test_a_reversed_loan_repayment_receipt_says_cancelled(login, staff, make_loan):
    loan = make_loan()
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"])
    c = login(staff["petugas"])
    assert "DIBATALKAN" not in c.get(f"/pinjaman/kuitansi/{rep.pk}/").content.decode()
    assert "DIBATALKAN" not in pdf_text(c.get(f"/pinjaman/kuitansi/{rep.pk}.pdf"))
    loan_repayment_reverse(repayment=rep, by=staff["bendahara"], reason="uang palsu")
    page = c.get(f"/pinjaman/kuitansi/{rep.pk}/").content.decode()
    assert "DIBATALKAN" in page and "uang palsu" in page
    text = pdf_text(c.get(f"/pinjaman/kuitansi/{rep.pk}.pdf"))
    assert "DIBATALKAN" in text and "uang palsu" in text


def test_a_reversed_savings_receipt_says_cancelled(login, staff, member):
    savings_products_seed()
    today = timezone.localdate()
    acc = savings_account_open(member=member, product=product_by_kind("sukarela"), on=today)
    txn = teller_deposit(
        account=acc, amount=D(250_000), channel="cash", on=today, by=staff["petugas"]
    )
    c = login(staff["petugas"])
    assert "DIBATALKAN" not in pdf_text(c.get(f"/simpanan/kuitansi/{txn.pk}.pdf"))
    teller_reverse(txn=txn, on=today, reason="salah rekening", by=staff["bendahara"])
    text = pdf_text(c.get(f"/simpanan/kuitansi/{txn.pk}.pdf"))
    assert "DIBATALKAN" in text and "salah rekening" in text
