# ruff: noqa: F811, F401
"""The cash flow of an early withdrawal with a penalty (test_early_withdrawal_interest's
product, members and dates: Hari Raya at 6 % a year on the average daily balance, broken
on 16 June of last year). The penalty is kept out of the balance paid out (Dr the
savings / Cr pendapatan denda): no cash moves for it. The withdrawal's entry splits the
savings debit of the whole balance into the cash paid (unmarked, against the cash or bank
line) and the penalty (marked ``non_cash``, with the penalty income's credit), so the
statement shows only the payment of the savings that the member received — no receipt
of penalty income. The sub-ledger is as before (the payout of the net and the penalty);
cancelling the withdrawal nets out."""

from datetime import date
from decimal import Decimal as D

from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role, balances_check
from core.savings.models import SavingsTransaction
from core.savings.services import savings_early_withdraw, teller_reverse
from tests.ledger.cash_flow_checks import flows, marked_balance, nets_out, ties
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines
from tests.savings.test_early_withdrawal_interest import (
    _balanced,
    _penalty,
    _run,
    _saver,
    bendahara,
    hari_raya,
    on,
)


def _savings_debits(entry, product) -> list[tuple[D, bool, int | None]]:
    return sorted(
        entry.lines.filter(account=product.account, debit__gt=0).values_list(
            "debit", "non_cash", "member_id"
        )
    )


def test_early_withdrawals_penalty_is_no_flow_only_the_net_paid_is(
    hari_raya, teller, bendahara, year, on
):
    """May run 50,000; June's jasa 25,125; paid out 10,075,125 less the 2 % penalty
    201,502: 9,873,623 in cash, shown as that one payment of Simpanan Berjangka. The
    savings debit is split 9,873,623 (cash) / 201,502 (marked, with the penalty income's
    credit). Cancelled on 20 June: the statement of 16–20 June is empty and ties to no
    change in cash."""
    _penalty(hari_raya, "percent", "2")
    m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    txn = savings_early_withdraw(
        account=acc,
        on=on,
        channel="cash",
        reason="biaya rumah sakit",
        by=bendahara,
        expected_net=D("9873623"),
    )
    cf, rows = flows(on, on)
    # before: out hari raya 10,075,125 and in pendapatan denda 201,502
    assert rows == {("out", hari_raya.account.code): D("9873623")}, rows
    entry = txn.journal_entry
    assert _savings_debits(entry, hari_raya) == [
        (D("201502"), True, m.pk),
        (D("9873623"), False, m.pk),
    ]
    fine = entry.lines.get(account=account_for_role("penalty_income"))
    assert (fine.credit, fine.non_cash) == (D("201502"), True)
    cash = entry.lines.get(account=account_for_role("cash"))
    assert (cash.credit, cash.non_cash) == (D("9873623"), False)
    assert marked_balance(entry) == 0
    # the sub-ledger as it was: the net paid (receipted) and the penalty (internal)
    moved = dict(
        SavingsTransaction.objects.filter(journal_entry=entry)
        .exclude(kind="interest")
        .values_list("kind", "amount")
    )
    assert moved == {"early_payout": D("9873623"), "early_penalty": D("201502")}
    ties(cf, D("9873623"))
    _assert_days_match_lines(on, on)
    teller_reverse(txn=txn, on=date(year, 6, 20), reason="salah rekening", by=bendahara)
    nets_out(on, date(year, 6, 20))
    _balanced()


def test_a_fixed_penalty_by_bank_without_jasa_shows_only_the_net_paid(
    products, teller, bendahara, year, on
):
    """A berjangka product without jasa, a fixed penalty of 25,000: 3,000,000 broken by
    bank pays 2,975,000, the day's one flow (before: out 3,000,000, in denda 25,000); the
    entry has only the savings debits, the bank and the penalty lines."""
    p = products["berjangka"]  # seeded: no jasa
    p.amount = D("1000000")
    p.payout_date = date(year + 1, 3, 1)
    p.save()
    _penalty(p, "fixed", "25000")
    m, acc = _saver(p, teller, D("3000000"))
    txn = savings_early_withdraw(account=acc, on=on, channel="bank", reason="x", by=bendahara)
    assert txn.amount == D("2975000")
    cf, rows = flows(on, on)
    assert rows == {("out", p.account.code): D("2975000")}, rows
    entry = txn.journal_entry
    assert _savings_debits(entry, p) == [(D("25000"), True, m.pk), (D("2975000"), False, m.pk)]
    assert entry.lines.count() == 4
    bank = entry.lines.get(account=account_for_role("bank"))
    assert (bank.credit, bank.non_cash) == (D("2975000"), False)
    assert marked_balance(entry) == 0
    ties(cf, D("2975000"))
    _assert_days_match_lines(on, on)
    assert balances_check() == []
    _balanced()


def test_no_penalty_keeps_one_unmarked_savings_debit(hari_raya, teller, bendahara, year, on):
    """Without a penalty nothing is split: the one savings debit of the balance paid out,
    jasa included (10,075,125), and no marked line on the savings."""
    m, acc = _saver(hari_raya, teller, D("10000000"))
    _run(hari_raya, year, 5, bendahara)
    txn = savings_early_withdraw(account=acc, on=on, channel="cash", reason="x", by=bendahara)
    assert _savings_debits(txn.journal_entry, hari_raya) == [(D("10075125"), False, m.pk)]
    assert not JournalLine.objects.filter(
        entry=txn.journal_entry, account=account_for_role("penalty_income")
    ).exists()
