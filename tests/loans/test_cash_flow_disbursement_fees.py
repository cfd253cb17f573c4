"""The cash flow (direct method) of a disbursement whose fees are cut from the principal.

Found in an auditor's pass over the demo: six loans of Rp 60,000,000 showed
"Pembayaran: Piutang Pinjaman Anggota Rp 60.000.000" and, as cash received, the
administrasi (335,000), provisi (465,000), insurance (375,000), risk fund (180,000) and
wajib pinjam (210,000) fees — which were never received in cash: they were cut from the
principal, and the members were paid Rp 58,435,000. The fees and the part of the
principal that pays them are now a marked non-cash pair (``JournalLine.non_cash``):
the statement shows the cash paid out, and no receipt of fees.

The loan (``product_with_every_fee``): 10,000,000 over 10 months; admin 1 % = 100,000,
provisi 0.5 % = 50,000, insurance 50,000, risk fund 0.5 % = 50,000, wajib pinjam 1 % =
100,000: 350,000 cut, 9,650,000 paid out."""

from decimal import Decimal as D

from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import balances_check
from core.loans.services import loan_disbursement_reverse
from tests.loans.conftest import assert_reconciled
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines, _code, _rows
from tests.loans.test_money_review import _role_total


def test_disbursement_shows_the_cash_paid_out_and_no_fee_received(make_loan, today):
    loan = make_loan(principal=D(10_000_000), tenor=10)
    loan.refresh_from_db()
    assert loan.net_disbursed == D(9_650_000)
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    # before: {out receivable 10,000,000; in admin 100,000, provisi 50,000, insurance
    # 50,000, risk fund 50,000, wajib 100,000}
    assert _rows(cf) == {("out", _code("loan_receivable")): D(9_650_000)}
    assert cf["net_change"] == -D(9_650_000) == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]
    # the books are as before: the whole principal receivable, each fee where it goes
    entry = loan.disbursement_entry
    assert _role_total(entry, "loan_receivable") == -D(10_000_000)
    assert _role_total(entry, "admin_fee_income") == D(100_000)
    assert _role_total(entry, "savings_wajib") == D(100_000)
    marked = JournalLine.objects.filter(entry=entry, non_cash=True)
    assert sum((ln.debit - ln.credit for ln in marked), D(0)) == 0
    assert sum((ln.debit for ln in marked), D(0)) == D(350_000)
    assert balances_check() == []
    _assert_days_match_lines(today, today)
    assert_reconciled()


def test_disbursement_reversed_the_same_day_nets_out(make_loan, staff, today):
    loan = make_loan(principal=D(10_000_000), tenor=10)
    loan_disbursement_reverse(loan=loan, by=staff["bendahara"], reason="salah anggota", on=today)
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    assert all(v == 0 for v in _rows(cf).values())
    assert cf["net_change"] == 0 and cf["reconciles"]
    _assert_days_match_lines(today, today)
    assert_reconciled()
