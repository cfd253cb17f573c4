"""Posting through the batch services when a loan was paid at the counter after the run
was generated: the batch's loan payment is then more than the loan still owes, the loan
service credits the excess to the member's sukarela account, and the member's own excess
goes to that same account in the same batch: both land, in order, and the balances
reconcile (the deferred balance trigger holds)."""

from decimal import Decimal as D

from core.deductions import services as svc
from core.loans.models import Repayment
from core.loans.services import loan_repay
from core.savings.models import SavingsAccount, SavingsTransaction

from .conftest import assert_reconciled, csv_bytes, make_run


def test_loan_excess_and_member_excess_to_one_sukarela_account(coop, cutoffs):
    by = coop["by"]
    m2 = coop["m"][1]
    run = make_run(on=cutoffs[1], by=by)
    line = run.lines.get(member=m2)
    asked = line.total
    loan = coop["loans"]["m2"]
    # at the counter, after the run: the due instalment, the next one and 7,700,000 more
    # to principal (the rest of the schedule is re-amortised over 300,000)
    loan_repay(loan=loan, amount=D(9_900_000), by=by, on=cutoffs[1], excess_to="principal")
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m2.nip, asked + 50_000)]),
        file_name="a.csv",
        by=by,
    )
    imp = svc.deduction_import_post(imp=imp, by=by)
    rep = Repayment.objects.get(entry=imp.entry, loan=loan)
    assert rep.excess > 0 and rep.excess_to == "sukarela"
    acc = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    txns = list(SavingsTransaction.objects.filter(account=acc).order_by("pk"))
    assert sum((t.amount for t in txns), D(0)) == acc.balance == rep.excess + D(50_000)
    assert [t.balance_after for t in txns] == [txns[0].amount, acc.balance]
    assert_reconciled()
