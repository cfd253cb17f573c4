# ruff: noqa: F811, F401
"""The cash flow of an early withdrawal that credits the jasa simpanan of its own month
(test_early_withdrawal_interest's product, members and dates: Hari Raya at 6 % a year on
the average daily balance, broken on 16 June of last year). The jasa is credited to the
account inside the withdrawal's own cash entry (Dr beban jasa simpanan / Cr the
savings, net / Cr PPh payable) and paid out with the balance: no cash moves for the
credit itself. Its lines are a marked non-cash pair (as at an exit settlement): the
statement shows the balance paid out, jasa included, and nothing else — no payment of
jasa expense, receipt of savings or receipt of PPh. The PPh withheld is a flow on the
day it is paid to the tax office. Cancelling the withdrawal nets out."""

from datetime import date
from decimal import Decimal as D

from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role, balances_check
from core.ledger.services import LineSpec, journal_post
from core.savings.services import savings_early_withdraw, teller_reverse
from tests.ledger.cash_flow_checks import (
    flows,
    marked_balance,
    month_jasa_marked,
    nets_out,
    pph_withheld_then_paid,
    tax_paid,
    ties,
)
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines, _rows
from tests.savings.test_early_withdrawal_interest import (
    _balanced,
    _run,
    _saver,
    bendahara,
    hari_raya,
    on,
)


def test_early_withdrawals_jasa_is_no_flow_only_the_payout_is(
    hari_raya, teller, bendahara, year, on
):
    """May run 50,000; June's part 10,050,000 × 15/30 × 0.5 % = 25,125 credited in the
    withdrawal's entry (no penalty): paid out 10,075,125 in cash, shown as that one
    payment of Simpanan Berjangka (the product's account). Cancelled on 20 June: the
    statement of 16–20 June is empty and ties to no change in cash."""
    _m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    txn = savings_early_withdraw(
        account=acc,
        on=on,
        channel="cash",
        reason="biaya rumah sakit",
        by=bendahara,
        expected_net=D("10075125"),
    )
    cf, rows = flows(on, on)
    # before: out jasa expense 25,125, in hari raya 25,125, out hari raya 10,075,125
    assert rows == {("out", hari_raya.account.code): D("10075125")}, rows
    entry = txn.journal_entry
    month_jasa_marked(entry, account=hari_raya.account, jasa=D("25125"), paid=D("10075125"))
    ties(cf, D("10075125"))
    _assert_days_match_lines(on, on)
    teller_reverse(txn=txn, on=date(year, 6, 20), reason="salah rekening", by=bendahara)
    nets_out(on, date(year, 6, 20))
    _balanced()


def test_early_withdrawals_jasa_with_pph_is_no_flow_until_the_tax_is_paid(
    hari_raya, teller, bendahara, year, on
):
    """Hari Raya of 100,000,000 from 1 June (a 10,000,000-a-month product) broken on the
    16th by bank: jasa 250,000, PPh 10 % 25,000 withheld: paid out 100,225,000, the one
    flow of the day. The PPh is owed to the tax office, not paid: a flow on 10 July,
    when it is paid from the bank (Pembayaran: Utang Pajak 25,000)."""
    hari_raya.amount = D("10000000")
    hari_raya.save()
    _m, acc = _saver(hari_raya, teller, D("100000000"), on=date(year, 6, 1))
    txn = savings_early_withdraw(account=acc, on=on, channel="bank", reason="x", by=bendahara)
    assert txn.amount == D("100225000")
    # before: also out 5101 250,000, in hari raya 225,000, in PPh payable 25,000
    pph_withheld_then_paid(
        txn.journal_entry,
        on=on,
        account=hari_raya.account,
        paid=D("100225000"),
        jasa=D("250000"),
        tax=D("25000"),
        by=bendahara,
    )
    _balanced()
