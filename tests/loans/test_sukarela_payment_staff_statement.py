"""The staff's kartu simpanan (``/simpanan/kartu/<member>/``, page and PDF) names a loan
paid from simpanan sukarela by the loan and its receipt in the reader's language, as the
member portal does — not the memo stored in the language of the clerk who posted it."""

from decimal import Decimal as D

import pytest
from django.conf import settings
from django.utils import timezone

from core.loans.services import loan_repay
from core.savings.models import SavingsTransaction
from core.savings.seeding import product_by_kind, savings_products_seed
from core.savings.services import savings_account_open, teller_deposit


@pytest.fixture
def paid(make_loan, member, staff, today):
    savings_products_seed()
    acc = savings_account_open(member=member, product=product_by_kind("sukarela"), on=today)
    teller_deposit(account=acc, amount=D(2_000_000), channel="cash", on=today, by=staff["petugas"])
    loan = make_loan(days_ago=31)
    rep = loan_repay(
        loan=loan, amount=D(1_100_000), by=staff["petugas"], on=today, source="sukarela"
    )
    return loan, rep


@pytest.mark.parametrize(
    ("lang", "words", "not_words"),
    [
        ("id", "Angsuran pinjaman {n} (kuitansi {r})", "Loan instalment"),
        ("en", "Loan instalment {n} (receipt {r})", "Angsuran pinjaman"),
    ],
)
def test_staff_kartu_simpanan_names_the_loan_payment_in_the_readers_language(
    paid, member, staff, login, lang, words, not_words
):
    loan, rep = paid
    memo = SavingsTransaction.objects.get(journal_entry=rep.entry).memo
    assert "Angsuran pinjaman" in memo  # stored in the clerk's language (Indonesian here)
    c = login(staff["bendahara"])
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    today = timezone.localdate()
    page = c.get(
        f"/simpanan/kartu/{member.pk}/?date_from={today.replace(month=1, day=1)}&date_to={today}"
    ).content.decode()
    assert words.format(n=loan.number, r=rep.receipt_number) in page, page[-2000:]
    assert not_words not in page
