"""What the cash-flow tests of settlements inside cash entries check, in one place: the
day's statement rows that are not zero, the statement tying to the change in cash, the
balance of an entry's marked non-cash lines, and the withheld PPh paid to the tax
office later (the day it becomes a flow)."""

from datetime import date
from decimal import Decimal

from core.ledger import reports
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_for_role, balances_check
from core.ledger.services import LineSpec, journal_post
from tests.loans.test_cash_flow_deferred_jasa import _assert_days_match_lines, _rows


def flows(date_from: date, date_to: date) -> tuple[dict, dict]:
    """The direct-method statement and its non-zero rows ``{(in|out, code): amount}``."""
    cf = reports.cash_flow(date_from=date_from, date_to=date_to, compare=False)
    return cf, {k: v for k, v in _rows(cf).items() if v}


def ties(cf: dict, paid: Decimal) -> None:
    """The statement's net change is the cash paid out, and the change in cash."""
    assert cf["net_change"] == -paid == cf["closing_cash"] - cf["opening_cash"]
    assert cf["reconciles"]


def marked_balance(entry: JournalEntry) -> Decimal:
    """Debits less credits of ``entry``'s non-cash lines (there must be some): 0 when the
    marked pairs balance on their own."""
    marked = JournalLine.objects.filter(entry=entry, non_cash=True)
    assert marked.exists()
    return sum((ln.debit - ln.credit for ln in marked), Decimal(0))


def tax_paid(*, on: date, amount: Decimal, by) -> JournalEntry:
    """The PPh withheld from jasa simpanan paid to the tax office by bank on ``on``."""
    return journal_post(
        on=on,
        description="Setor PPh jasa simpanan",
        lines=[
            LineSpec(account=account_for_role("tax_payable"), debit=amount),
            LineSpec(account=account_for_role("bank"), credit=amount),
        ],
        by=by,
    )


def nets_out(date_from: date, date_to: date) -> None:
    """Over ``date_from``..``date_to`` (an operation and its reversal) no flow is left,
    the statement ties, the per-day figures equal the lines and the balances hold."""
    cf, rows = flows(date_from, date_to)
    assert rows == {}, rows
    ties(cf, Decimal(0))
    _assert_days_match_lines(date_from, date_to)
    assert balances_check() == []


def month_jasa_marked(entry: JournalEntry, *, account, jasa: Decimal, paid: Decimal) -> None:
    """``entry`` (a payout in cash with its month's jasa credited): the jasa expense and
    its credit to the savings ``account`` marked non-cash, the payout and the cash not."""
    expense = entry.lines.get(account=account_for_role("savings_interest_expense"))
    assert (expense.debit, expense.non_cash) == (jasa, True)
    credit = entry.lines.get(account=account, credit__gt=0)
    assert (credit.credit, credit.non_cash) == (jasa, True)
    payout = entry.lines.get(account=account, debit__gt=0)
    assert (payout.debit, payout.non_cash) == (paid, False)
    cash = entry.lines.get(account=account_for_role("cash"))
    assert (cash.credit, cash.non_cash) == (paid, False)
    assert marked_balance(entry) == 0


def pph_withheld_then_paid(
    entry: JournalEntry, *, on: date, account, paid: Decimal, jasa: Decimal, tax: Decimal, by
) -> None:
    """A payout whose entry credits the month's jasa with PPh withheld: on ``on`` the one
    flow is the payout (``paid`` out of ``account``); the jasa expense and the PPh owed are
    marked non-cash and balance; the PPh becomes a flow when it is paid to the tax office
    on 10 July (``tax_paid``), and the statement ties to the change in cash each time."""
    cf, rows = flows(on, on)
    assert rows == {("out", account.code): paid}, rows
    tax_payable = account_for_role("tax_payable")
    line = entry.lines.get(account=tax_payable)
    assert (line.credit, line.non_cash) == (tax, True)
    line = entry.lines.get(account=account_for_role("savings_interest_expense"))
    assert (line.debit, line.non_cash) == (jasa, True)
    assert marked_balance(entry) == 0
    ties(cf, paid)
    _assert_days_match_lines(on, on)
    paid_on = date(on.year, 7, 10)
    tax_paid(on=paid_on, amount=tax, by=by)
    cf, rows = flows(on, paid_on)
    assert rows == {("out", account.code): paid, ("out", tax_payable.code): tax}, rows
    ties(cf, paid + tax)
    _assert_days_match_lines(on, paid_on)
    assert balances_check() == []
