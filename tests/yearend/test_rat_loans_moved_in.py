"""The RAT pack's loan portfolio agrees with the year's books for a cooperative that moved
to Lumbung during the year: loans brought in at the cut-over were paid out in the old
books (the year's books show no payout, only the receivable in the opening trial
balance), so they are not *dicairkan* but a line of their own, *dibawa masuk saat
migrasi*, with the receivable the opening entry brought in."""

from datetime import date
from decimal import Decimal

from core.ledger.selectors import account_for_role
from core.loans.models import LoanProduct
from core.onboarding.loans_import import loans_import
from core.onboarding.services import move_in_go_live, move_in_start, trial_balance_post
from tests.members import factories as f
from tests.onboarding.helpers import arrears_row, loan_row

from .conftest import YEAR, loan_disbursed
from .test_moved_in_year import _close_year
from .test_rat_loans_across_year import _portfolio

D = Decimal
CUTOVER = date(YEAR, 9, 30)


def test_loans_brought_in_at_a_cutover_are_not_counted_as_disbursed_in_the_year(staff):
    by = staff["bendahara"]
    product = LoanProduct.objects.create(
        code="PINJ",
        name="Pinjaman Uang",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("100000000"),
        min_tenor=1,
        max_tenor=60,
        late_penalty_rate=D("0"),
        max_instalment_share=D("90"),
        min_membership_months=0,
    )
    m1, m2, m3 = (f.member(full_name=n) for n in ("Satu", "Dua", "Tiga"))
    mi = move_in_start(cutover_date=CUTOVER, by=by)
    trial_balance_post(
        move_in=mi,
        by=by,
        rows=[
            {"row": 2, "account": account_for_role("cash").code, "debit": "50.000.000"},
            # the two loans' outstanding (5.000.000 + 7.000.000) and the arrears jasa
            {"row": 3, "account": account_for_role("loan_receivable").code, "debit": "12.000.000"},
            {"row": 4, "account": "1105", "debit": "240.000"},
            # the arrears loan's PPAP, so that the move-in reconciles and goes live
            {"row": 5, "account": account_for_role("ppap_allowance").code, "credit": "60.000"},
            {"row": 6, "account": account_for_role("reserve").code, "credit": "62.180.000"},
        ],
    )
    # paid out in the old books on 15 February, within the year
    loans_import(move_in=mi, rows=[loan_row(m1, CUTOVER), arrears_row(m2, CUTOVER)], by=by)
    move_in_go_live(move_in=mi, by=by)  # a draft move-in's cut-over year cannot be closed
    # one loan paid out in Lumbung after the cut-over
    loan_disbursed(product, m3, staff, on=date(YEAR, 11, 3), principal="3000000")
    ye = _close_year(by)
    assert ye.year == YEAR

    rows = _portfolio(YEAR)

    assert rows["Pinjaman dicairkan (jumlah)"] == 1
    assert rows["Pinjaman dicairkan (pokok)"] == D("3000000")
    assert rows["Pinjaman dibawa masuk saat migrasi (jumlah)"] == 2
    assert rows["Pinjaman dibawa masuk saat migrasi (sisa pokok)"] == D("12000000")
    assert rows["Piutang pinjaman akhir tahun (buku besar)"] == D("15000000")
