"""Posting through the batch services when a loan was paid at the counter after the run
was generated: the batch's loan payment is then more than the loan still owes, the loan
service credits the excess to the member's sukarela account, and the member's own excess
goes to that same account in the same batch: both land, in order, and the balances
reconcile (the deferred balance trigger holds)."""

from decimal import Decimal as D

from core.deductions import services as svc
from core.deductions.models import DeductionLine
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


def test_the_batch_entry_credits_each_account_what_the_lines_record(coop, cutoffs):
    """A mixed agency — a late loan with penalty cut in full plus an excess, a loan cut
    short, a purpose account plus one rupiah too much — posts one entry whose bank debit
    is the realized total and whose credit to each account (loan receivable, jasa and
    penalty income, wajib, berjangka, sukarela) is the sum of what the members' lines
    record for it; each member's lines in the entry add up to what was cut from them."""
    from core.ledger.models import JournalLine
    from core.ledger.selectors import account_for_role
    from core.loans.models import LoanProduct
    from core.loans.schedules import add_months
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_account_open

    LoanProduct.objects.filter(code="PG").update(late_penalty_rate=D("2"))
    prev, this = cutoffs
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    berjangka = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    savings_account_open(
        member=m3, product=berjangka, on=add_months(prev, -1), monthly_amount=D("100000")
    )
    run = make_run(on=this, by=by)
    asked = {x.member_id: int(x.total) for x in run.lines.all()}
    imp = svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes(
            [(m1.nip, asked[m1.pk] + 12345), (m2.nip, 650000), (m3.nip, asked[m3.pk] + 1)]
        ),
        file_name="a.csv",
        by=by,
    )
    imp = svc.deduction_import_post(imp=imp, by=by)
    lines = list(DeductionLine.objects.filter(run=run, agency=coop["agencies"][0]))
    entry = list(JournalLine.objects.filter(entry=imp.entry))

    def credited(account):
        return sum((x.credit - x.debit for x in entry if x.account_id == account.pk), D(0))

    def recorded(name):
        return sum((getattr(x, name) for x in lines), D(0))

    bank = account_for_role("bank")
    assert sum(x.debit for x in entry if x.account_id == bank.pk) == recorded("realized")
    assert credited(account_for_role("loan_receivable")) == recorded("paid_principal")
    assert credited(account_for_role("loan_interest_income")) + credited(
        account_for_role("penalty_income")
    ) == recorded("paid_jasa")
    assert credited(account_for_role("penalty_income")) > 0
    assert credited(SavingsProduct.objects.get(kind="wajib").account) == recorded("paid_wajib")
    assert credited(berjangka.account) == recorded("paid_others") == D("100000")
    assert credited(SavingsProduct.objects.get(kind="sukarela").account) == recorded("to_sukarela")
    for x in lines:
        mine = sum((j.credit - j.debit for j in entry if j.member_id == x.member_id), D(0))
        assert mine == x.realized, x.member_id
    assert_reconciled()
