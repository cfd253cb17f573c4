# ruff: noqa: F811, F401
"""The cash flow of a berjangka account paid out in full at maturity at the counter in the
middle of a month (``teller_withdraw``; test_berjangka_payout_part_month's product,
members and dates: Hari Raya at 6 % a year on the average daily balance, due 1 June of
last year, paid out on the 16th). The payout credits the jasa of the month's days
before it inside its own cash entry (Dr beban jasa simpanan / Cr the savings, net / Cr
PPh payable) and pays it out with the balance: no cash moves for the credit itself. Its
lines are a marked non-cash pair (as at an exit settlement): the statement shows the
balance paid out, jasa included, and nothing else. The PPh withheld is a flow on the day
it is paid to the tax office. Cancelling the payout nets out."""

from datetime import date
from decimal import Decimal as D

from core.ledger import reports
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role, balances_check
from core.ledger.services import LineSpec, journal_post
from core.savings.services import (
    savings_account_open,
    teller_deposit,
    teller_reverse,
    teller_withdraw,
)
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
from tests.members import factories as f
from tests.savings.test_berjangka_payout_part_month import (
    _balanced,
    _matured,
    _run,
    _runs,
    bendahara,
    hari_raya,
    on,
)


def test_full_payouts_jasa_is_no_flow_only_the_payout_is(hari_raya, teller, bendahara, year, on):
    """10,100,250 after April's and May's runs; June's part 10,100,250 × 15/30 × 0.5 % =
    25,251 credited in the payout's entry: paid out in full 10,125,501 in cash, shown as
    that one payment of Simpanan Berjangka (the product's account). Cancelled on 20 June:
    the statement of 16–20 June is empty and ties to no change in cash."""
    acc = _matured(hari_raya, teller, bendahara)
    _runs(hari_raya, bendahara, 4, 5)
    t = teller_withdraw(account=acc, amount=D("10125501"), channel="cash", on=on, by=teller)
    cf, rows = flows(on, on)
    # before: out jasa expense 25,251, in hari raya 25,251, out hari raya 10,125,501
    assert rows == {("out", hari_raya.account.code): D("10125501")}, rows
    entry = t.journal_entry
    month_jasa_marked(entry, account=hari_raya.account, jasa=D("25251"), paid=D("10125501"))
    ties(cf, D("10125501"))
    _assert_days_match_lines(on, on)
    teller_reverse(txn=t, on=date(year, 6, 20), reason="salah rekening", by=bendahara)
    nets_out(on, date(year, 6, 20))
    _balanced()


def test_full_payouts_jasa_with_pph_is_no_flow_until_the_tax_is_paid(
    hari_raya, teller, bendahara, year, on
):
    """Hari Raya of 100,000,000 from 1 May: May's run 500,000, PPh 50,000: 100,450,000.
    Paid out in full by bank on the 16th: jasa 251,125, PPh 25,113 withheld: 100,676,012,
    the one flow of the day. The PPh is owed to the tax office, not paid: a flow on
    10 July, when it is paid from the bank (Pembayaran: Utang Pajak 25,113)."""
    hari_raya.amount = D("10000000")
    hari_raya.save()
    acc = savings_account_open(member=f.member(), product=hari_raya, on=date(year, 5, 1))
    teller_deposit(
        account=acc, amount=D("100000000"), channel="bank", on=date(year, 5, 1), by=teller
    )
    _run(hari_raya, 5, bendahara)
    acc.refresh_from_db()
    t = teller_withdraw(account=acc, amount=D("100676012"), channel="bank", on=on, by=teller)
    # before: also out 5101 251,125, in hari raya 226,012, in PPh payable 25,113
    pph_withheld_then_paid(
        t.journal_entry,
        on=on,
        account=hari_raya.account,
        paid=D("100676012"),
        jasa=D("251125"),
        tax=D("25113"),
        by=bendahara,
    )
    _balanced()
