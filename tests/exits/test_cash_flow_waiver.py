# ruff: noqa: F811, F401
"""Loans waived at an exit are written off inside the settlement's cash entry: no cash
moves for them, so the cash flow shows no receipt of their principal and no payment of
PPAP or expense — only the savings paid out (test_settlement_write_off_record's member:
a Macet loan of 10,000,000 and a young one of 3,000,000 waived, pokok 100,000 paid)."""

from decimal import Decimal

from core.ledger import reports
from core.ledger.selectors import account_for_role
from tests.exits.test_settlement_write_off_record import _exit_waived, two_loans
from tests.loans.conftest import _media, make_loan, member, product, staff

D = Decimal


def test_waived_loans_are_no_flow_of_the_exit(two_loans, staff, today):
    member, _macet, _young = two_loans
    s = _exit_waived(member, staff, today)
    cf = reports.cash_flow(date_from=today, date_to=today, compare=False)
    rows = {}
    for sec in cf["sections"]:
        for x in sec["inflows"]:
            rows[("in", x["code"])] = x["amount"]
        for x in sec["outflows"]:
            rows[("out", x["code"])] = x["amount"]
    written_off = {
        account_for_role(r).code for r in ("loan_receivable", "ppap_allowance", "ppap_expense")
    }
    assert not written_off & {code for _side, code in rows}, rows
    # what is left is the savings paid out: pokok 100,000 and the wajib pinjam 130,000
    assert rows == {
        ("out", account_for_role("savings_pokok").code): D("100000"),
        ("out", account_for_role("savings_wajib").code): D("130000"),
    }
    paid = sum((ln.credit for ln in s.journal_entry.lines.all() if ln.account.is_cash), D(0))
    assert cf["net_change"] == -paid == D("-230000")
    assert s.journal_entry.lines.filter(non_cash=True).count() == 6
    assert cf["reconciles"]
    ids = reports.cash_account_ids()
    assert reports._flows_from_days(today, today) == reports._flows_from_lines(ids, today, today)
