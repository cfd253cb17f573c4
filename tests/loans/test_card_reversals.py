"""The loan card (kartu pinjaman) and the period's repayments report after a repayment
is reversed: the cancelled receipt stays listed, its cancellation is a row of its own
taking the amounts back on the day it was made, and the totals are what the cooperative
kept — the schedule's paid columns and the ledger's cash, to the rupiah."""

from decimal import Decimal as D

from django.db.models import Sum

from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role
from core.loans.reports import report_card, report_repayments
from core.loans.services import loan_repay, loan_repayment_reverse


def test_card_and_repayments_report_take_a_reversed_repayment_back(make_loan, staff, today):
    loan = make_loan(days_ago=40)
    r1 = loan.instalments.get(number=1)
    kept = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    wrong = loan_repay(loan=loan, amount=D(800_000), by=staff["petugas"], on=today)
    loan_repayment_reverse(repayment=wrong, by=staff["bendahara"], reason="salah input")
    loan.refresh_from_db()

    card = report_card(loan=loan, on=today)
    reps = card.sections[0]
    receipts = [row["receipt"] for row in reps.rows]
    assert kept.receipt_number in receipts and wrong.receipt_number in receipts
    cancel = [row for row in reps.rows if row["amount"] < 0]
    assert len(cancel) == 1 and cancel[0]["amount"] == D(-800_000)
    assert wrong.receipt_number in cancel[0]["receipt"]
    assert reps.totals["amount"] == D(1_100_000)
    # the card's repayments agree with its schedule columns
    assert reps.totals["principal"] == card.totals["principal_paid"]
    assert reps.totals["jasa"] == card.totals["jasa_paid"]
    assert reps.totals["penalty"] == card.totals["penalty_paid"]
    assert loan.principal - loan.principal_outstanding == reps.totals["principal"]

    period = report_repayments(date_from=loan.disbursed_on, date_to=today)
    assert period.totals["amount"] == D(1_100_000)
    cash = account_for_role("cash")
    lines = JournalLine.objects.filter(
        account=cash, entry__date__gt=loan.disbursed_on, entry__date__lte=today
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    assert period.totals["amount"] == (lines["d"] or 0) - (lines["c"] or 0)
