# ruff: noqa: F811, F401
"""The cash flow of an exit that credits the jasa simpanan of its own month
(test_settlement_exit_month_interest's members and dates: 6 % a year on the average
daily balance, exit on 16 June). The jasa is credited to the member's savings inside
the settlement's own cash entry (Dr beban jasa simpanan / Cr the savings, net / Cr PPh
payable) and paid out with the balance: no cash moves for the credit itself. Its three
lines are a marked non-cash pair, as the finished months' jasa credited at the exit in
entries of their own (no cash line) is no flow: the statement shows the savings paid
out (jasa included) and nothing else — not a payment of jasa expense, a receipt of
savings and of PPh that never moved as cash."""

from decimal import Decimal as D

from core.exits.services import exit_settlement_confirm, exit_settlement_reverse
from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role, balances_check
from core.savings.services import savings_product_create
from tests.exits.test_settlement_exit_month_interest import (
    _balances,
    _books,
    _d,
    _run,
    _saver,
    bendahara,
    sukarela,
)
from tests.ledger.cash_flow_checks import flows, nets_out, ties
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines, _rows


def test_exit_months_jasa_is_no_flow_only_the_payout_is(sukarela, teller, bendahara):
    """May run 50,000; June's part 25,125 credited in the exit's entry: paid out
    10,075,125, shown as that one payment of Simpanan Sukarela."""
    m, _acc = _saver(sukarela, teller, D("10000000"))
    _run(sukarela, 5, bendahara)
    s = exit_settlement_confirm(
        member=m, reason="resigned", on=_d(6, 16), by=bendahara, expected_net=D("10075125")
    )
    cf, rows = flows(_d(6, 16), _d(6, 16))
    # before: out jasa expense 25,125, in sukarela 25,125, out sukarela 10,075,125
    assert rows == {("out", sukarela.account.code): D("10075125")}, rows
    entry = s.journal_entry
    expense = account_for_role("savings_interest_expense")
    jasa = entry.lines.get(account=expense)
    assert (jasa.debit, jasa.non_cash) == (D("25125"), True)
    credit = entry.lines.get(account=sukarela.account, credit__gt=0)
    assert (credit.credit, credit.non_cash) == (D("25125"), True)
    payout = entry.lines.get(account=sukarela.account, debit__gt=0)
    assert (payout.debit, payout.non_cash) == (D("10075125"), False)
    ties(cf, D("10075125"))
    _assert_days_match_lines(_d(6, 16), _d(6, 16))
    assert balances_check() == []
    _balances()


def test_exit_months_jasa_with_pph_is_no_flow(sukarela, teller, bendahara, today):
    """test_pph_when_the_members_accounts_together_cross_the_threshold's member:
    Sukarela 40,000,000 (jasa 100,000) and Sukarela Plus 60,000,000 (jasa 150,000, PPh
    25,000) from 1 June, out on 16 June: paid 40,100,000 + 60,125,000. The PPh withheld
    is owed to the tax office, not paid: no flow on the day (it is one when it is paid).
    Reversed later: the exit nets out of the statement."""
    plus = savings_product_create(
        by="tests",
        code="SSP",
        kind="sukarela",
        name="Sukarela Plus",
        interest_enabled=True,
        interest_rate_annual=D("6"),
        interest_basis="average",
        interest_auto=False,
    )
    m, _a = _saver(sukarela, teller, D("40000000"), on=_d(6, 1))
    _saver(plus, teller, D("60000000"), on=_d(6, 1), member=m)
    s = exit_settlement_confirm(
        member=m, reason="resigned", on=_d(6, 16), by=bendahara, expected_net=D("100225000")
    )
    expected: dict = {}
    for product, paid in ((sukarela, D("40100000")), (plus, D("60125000"))):
        key = ("out", product.account.code)
        expected[key] = expected.get(key, D(0)) + paid
    cf, rows = flows(_d(6, 16), _d(6, 16))
    assert rows == expected, rows
    entry = s.journal_entry
    tax = entry.lines.get(account=account_for_role("tax_payable"))
    assert (tax.credit, tax.non_cash) == (D("25000"), True)
    ties(cf, D("100225000"))
    marked = JournalLine.objects.filter(entry=entry, non_cash=True)
    assert sum((ln.debit - ln.credit for ln in marked), D(0)) == 0
    _assert_days_match_lines(_d(6, 16), _d(6, 16))
    _balances()
    exit_settlement_reverse(settlement=s, by=bendahara, reason="salah anggota", on=today)
    nets_out(_d(6, 16), today)
    _balances()
