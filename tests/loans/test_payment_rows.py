"""The loan page's and the member portal's list of payments: each row's parts (denda,
jasa, pokok, to sukarela) add up to its amount and agree with the kartu pinjaman. They
used to leave out an early payoff's penalty (Rp 6.357.334 listed as 7.333 + 100.000 +
6.200.001) and a payment's excess to principal or to sukarela (Rp 2.000.000 listed as
100.000 + 788.488), which the kartu and the repayments report count."""

import re
from decimal import Decimal as D

from core.loans.models import Repayment
from core.loans.reports import report_card
from core.loans.services import loan_payoff, loan_repay
from core.members.services import member_user_link
from tests.members import factories as f

MONEY = re.compile(r"([-\u2212]?)\s?Rp\s?([\d.]+)")


def _row(html: str, receipt: str) -> list[D]:
    """The rupiah figures of the payments-table row naming ``receipt``."""
    tr = next(t for t in html.split("<tr") if receipt in t and "Rp" in t)
    text = re.sub(r"<[^>]+>", " ", tr).replace("&minus;", "-")
    return [D(("-" if sign else "") + n.replace(".", "")) for sign, n in MONEY.findall(text)]


def _card_row(loan, rep):
    rows = report_card(loan=loan, on=rep.paid_on).sections[0].rows
    return next(r for r in rows if r["receipt"] == rep.receipt_number)


def test_payment_rows_add_up_to_the_amount_as_on_the_kartu(
    make_loan, staff, member, client_a, today
):
    loan = make_loan(days_ago=10)
    to_principal = loan_repay(
        loan=loan, amount=D(2_000_000), by=staff["petugas"], on=today, excess_to="principal"
    )
    to_savings = loan_repay(
        loan=loan, amount=D(1_200_000), by=staff["petugas"], on=today, excess_to="sukarela"
    )
    loan.refresh_from_db()
    payoff = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert payoff.early_payoff_fee > 0 and to_principal.excess > 0 and to_savings.excess > 0
    loan.refresh_from_db()
    client_a.force_login(staff["bendahara"])
    staff_page = client_a.get(f"/pinjaman/{loan.pk}/").content.decode()
    portal_user = f.user("anggota")
    member_user_link(member=member, user=portal_user, by="tests")
    client_a.force_login(portal_user)
    portal_page = client_a.get(f"/portal/pinjaman/{loan.pk}/").content.decode()
    for rep in (to_principal, to_savings, payoff):
        rep = Repayment.objects.get(pk=rep.pk)
        card = _card_row(loan, rep)
        expected = [card["penalty"], card["jasa"], card["principal"], card["sukarela"]]
        assert sum(expected) == rep.amount
        for html in (staff_page, portal_page):
            figures = _row(html, rep.receipt_number)
            assert figures == [*expected, rep.amount], (rep.receipt_number, figures)
