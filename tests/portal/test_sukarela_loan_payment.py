"""A loan instalment paid at the counter from the member's simpanan sukarela, read in the
member portal: the loan page names the payment's way "Dari simpanan sukarela" (never
cash), and the sukarela account's history names the transfer out with the loan number
and the receipt, in Indonesian and in English (the member's language cookie)."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from core.loans.services import loan_repay

from .conftest import D, client_for, deposit, loan_disbursed, loan_product, text


@pytest.fixture
def paid_from_sukarela(tenant_a, staff, rina):
    today = timezone.localdate()
    on = today - dt.timedelta(days=31)
    if on.year != today.year:  # the books of the test cooperative start this year
        on = today.replace(month=1, day=1)
    loan = loan_disbursed(
        rina, loan_product(), staff, "10000000", 10, on, on + dt.timedelta(days=30)
    )
    deposit(rina, "sukarela", "3000000", on, staff["petugas"])
    rep = loan_repay(
        loan=loan, amount=D(1_100_000), by=staff["petugas"], on=today, source="sukarela"
    )
    return tenant_a, loan, rep


def _page(told, url, lang):
    tenant, loan, _rep = told
    c = client_for(tenant, loan.member.user)
    c.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
    r = c.get(url)
    assert r.status_code == 200
    return text(r.content.decode())


@pytest.mark.parametrize(
    ("lang", "way", "cash"),
    [
        ("id", "Dari simpanan sukarela", "Tunai di kantor"),
        ("en", "From simpanan sukarela", "Cash at the office"),
    ],
)
def test_the_loan_page_names_a_sukarela_payment(paid_from_sukarela, lang, way, cash):
    _t, loan, rep = paid_from_sukarela
    page = _page(paid_from_sukarela, f"/portal/pinjaman/{loan.pk}/", lang)
    row = page[page.index(rep.receipt_number) - 80 :][:400]
    assert way in row, row
    assert cash not in row, row


@pytest.mark.parametrize(
    ("lang", "words"),
    [("id", "Angsuran pinjaman {n} (kuitansi {r})"), ("en", "Loan instalment {n} (receipt {r})")],
)
def test_the_sukarela_history_names_the_transfer_with_loan_and_receipt(
    paid_from_sukarela, lang, words
):
    _t, loan, rep = paid_from_sukarela
    today = timezone.localdate()
    url = f"/portal/transaksi/?date_from={today.replace(month=1, day=1)}&date_to={today}"
    page = _page(paid_from_sukarela, url, lang)
    assert words.format(n=loan.number, r=rep.receipt_number) in page, page[-1500:]
    assert "1.100.000" in page or "1,100,000" in page
