"""Idempotency (same file twice, post twice), a crash mid-posting, arrears rolling into
next month's run, reversal of a batch as a whole, and a closed month."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from core.common.errors import ApplicationError
from core.deductions import services as svc
from core.deductions.models import DeductionImport, DeductionLine
from core.ledger.models import JournalEntry, Period
from core.loans.models import Loan, Repayment
from core.savings.models import SavingsAccount, SavingsTransaction
from tests.loans.conftest import approval_backdate

from .conftest import assert_reconciled, csv_bytes, make_run


def _upload_a(coop, run, amounts):
    return svc.deduction_import_upload(
        run=run,
        agency=coop["agencies"][0],
        content=csv_bytes([(m.nip, a) for m, a in amounts]),
        file_name="a.csv",
        by=coop["by"],
    )


def _state():
    return (
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        SavingsTransaction.objects.count(),
        sorted(SavingsAccount.objects.values_list("pk", "balance")),
        sorted(Loan.objects.values_list("pk", "principal_outstanding", "status")),
    )


def test_same_file_twice_is_refused_and_db_enforces_it(coop, cutoffs):
    run = make_run(on=cutoffs[1], by=coop["by"])
    m1 = coop["m"][0]
    imp = _upload_a(coop, run, [(m1, 100000)])
    with pytest.raises(ApplicationError) as e:
        _upload_a(coop, run, [(m1, 100000)])
    assert e.value.code == "deduction_file_duplicate"
    with pytest.raises(IntegrityError), transaction.atomic():
        DeductionImport.objects.create(
            run=run, agency=imp.agency, file_name="x", file_hash=imp.file_hash, status="valid"
        )


def test_post_twice_posts_once(coop, cutoffs):
    run = make_run(on=cutoffs[1], by=coop["by"])
    imp = _upload_a(coop, run, [(coop["m"][0], 500000)])
    svc.deduction_import_post(imp=imp, by=coop["by"])
    before = _state()
    with pytest.raises(ApplicationError) as e:
        svc.deduction_import_post(imp=imp, by=coop["by"])
    assert e.value.code == "deduction_already_posted"
    # another file for the same agency and month is refused as well
    with pytest.raises(ApplicationError) as e:
        _upload_a(coop, run, [(coop["m"][0], 400000)])
    assert e.value.code == "deduction_already_posted"
    assert _state() == before
    assert JournalEntry.objects.filter(source="deduction").count() == 1


def test_second_posted_batch_for_agency_refused_by_database(coop, cutoffs):
    run = make_run(on=cutoffs[1], by=coop["by"])
    imp = _upload_a(coop, run, [(coop["m"][0], 500000)])
    imp = svc.deduction_import_post(imp=imp, by=coop["by"])
    with pytest.raises(IntegrityError), transaction.atomic():
        DeductionImport.objects.create(
            run=run,
            agency=imp.agency,
            file_name="y",
            file_hash="other",
            status="posted",
            entry=imp.entry,
        )


@pytest.mark.parametrize("point", ["after_loans", "after_savings", "after_journal"])
def test_crash_mid_posting_leaves_nothing_posted(coop, cutoffs, monkeypatch, point):
    run = make_run(on=cutoffs[1], by=coop["by"])
    m1, m2, m3 = coop["m"][:3]
    imp = _upload_a(coop, run, [(m1, 1500000), (m2, 1200000), (m3, 999999)])
    before = _state()

    def boom(name):
        if name == point:
            raise RuntimeError("database went away")

    monkeypatch.setattr(svc.posting, "_inject_failure_point", boom)
    with pytest.raises(RuntimeError):
        svc.deduction_import_post(imp=imp, by=coop["by"])
    assert _state() == before
    imp.refresh_from_db()
    assert imp.status == "valid"
    assert not DeductionLine.objects.filter(run=run, realized__isnull=False).exists()
    monkeypatch.undo()
    svc.deduction_import_post(imp=imp, by=coop["by"])  # fixed: now it posts
    assert_reconciled()


def test_shortfalls_roll_into_next_month(coop, cutoffs):
    prev, this = cutoffs
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run1 = make_run(on=prev, by=by)
    l1 = DeductionLine.objects.get(run=run1, member=m1)
    assert (l1.jasa, l1.principal) == (D("100000"), D("1000000"))
    l3 = DeductionLine.objects.get(run=run1, member=m3)
    # m1 pays only 300,000 (jasa + 200,000 principal, no wajib); m3 nothing. Posted on
    # last month's cut-off: the default date (the payday, the 1st) is this month's due
    # date when the cut-off day is 1, and money received then pays this month's jasa too
    imp = _upload_a(coop, run1, [(m1, 300000), (m3, 0)])
    svc.deduction_import_post(imp=imp, by=by, on=prev)
    run2 = make_run(on=this, by=by)
    n1 = DeductionLine.objects.get(run=run2, member=m1)
    # loan: 800,000 principal left of last month + this month's 1,100,000
    assert (n1.jasa, n1.principal) == (D("100000"), D("1800000"))
    assert n1.wajib_arrears == l1.wajib and n1.wajib == 2 * l1.wajib
    n3 = DeductionLine.objects.get(run=run2, member=m3)
    assert n3.wajib_arrears == l3.wajib
    assert_reconciled()


def test_reversal_undoes_the_batch_and_the_dues_are_asked_again(coop, cutoffs):
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run = make_run(on=cutoffs[1], by=by)
    before = _state()
    loan_before = Loan.objects.get(pk=coop["loans"]["m1"].pk)
    rows_before = list(
        loan_before.instalments.order_by("pk").values_list("principal_paid", "jasa_paid", "settled")
    )
    lines = {ln.member_id: ln for ln in DeductionLine.objects.filter(run=run)}
    imp = _upload_a(
        coop,
        run,
        [(m1, int(lines[m1.pk].total)), (m2, 700000), (m3, int(lines[m3.pk].total) + 25000)],
    )
    imp = svc.deduction_import_post(imp=imp, by=by)
    with pytest.raises(ApplicationError):
        svc.deduction_import_reverse(imp=imp, reason="", by=by)
    imp = svc.deduction_import_reverse(imp=imp, reason="file salah instansi", by=by)
    assert imp.status == "reversed" and imp.reversal_entry.reverses_id == imp.entry_id
    after = _state()
    # balances and loans are back (accounts opened by the posting stay, empty); the
    # entries and movements are kept, reversed
    kept = dict(after[3])
    assert all(kept[pk] == bal for pk, bal in before[3])
    assert all(bal == 0 for pk, bal in after[3] if pk not in dict(before[3]))
    assert after[4] == before[4]
    assert (
        list(
            loan_before.instalments.order_by("pk").values_list(
                "principal_paid", "jasa_paid", "settled"
            )
        )
        == rows_before
    )
    assert not DeductionLine.objects.filter(run=run, realized__isnull=False).exists()
    assert_reconciled()
    with pytest.raises(ApplicationError):
        svc.deduction_import_reverse(imp=imp, reason="lagi", by=by)
    # the corrected file can be imported (even the same one) and posted
    imp2 = _upload_a(coop, run, [(m1, int(lines[m1.pk].total)), (m2, 700000), (m3, 0)])
    svc.deduction_import_post(imp=imp2, by=by)
    assert_reconciled()


def test_closed_month_refuses_reversal_of_a_batch_dated_in_it(coop, cutoffs):
    """A batch is dated on the day the money came (issue 17 item 4): closing that day's
    month refuses its reversal; the run's own month being closed does not stop a file
    (see test_posting_date.py)."""
    by = coop["by"]
    prev, _this = cutoffs
    run = make_run(on=prev, by=by)
    imp = _upload_a(coop, run, [(coop["m"][0], 100000)])
    imp = svc.deduction_import_post(imp=imp, by=by, on=prev)
    assert imp.entry.date == prev
    Period.objects.filter(start_date__lte=prev, end_date__gte=prev).update(status="closed")
    with pytest.raises(ApplicationError) as e:
        svc.deduction_import_reverse(imp=imp, reason="terlambat", by=by)
    assert e.value.code == "deduction_period_closed"


def test_run_for_a_month_twice_or_before_cutoff_is_refused(coop, cutoffs):
    from core.loans.schedules import add_months

    by = coop["by"]
    make_run(on=cutoffs[1], by=by)
    with pytest.raises(ApplicationError) as e:
        svc.deduction_run_create(year=cutoffs[1].year, month=cutoffs[1].month, by=by)
    assert e.value.code == "deduction_run_exists"
    nxt = add_months(cutoffs[1], 1)
    with pytest.raises(ApplicationError) as e:
        svc.deduction_run_create(year=nxt.year, month=nxt.month, by=by)
    assert e.value.code == "deduction_bad_month"


def test_reversal_refused_after_a_later_loan_payment_and_nothing_changes(coop, cutoffs):
    from django.utils import timezone

    from core.loans.services import loan_repay

    by = coop["by"]
    m1 = coop["m"][0]
    run = make_run(on=cutoffs[1], by=by)
    imp = _upload_a(coop, run, [(m1, 500000)])
    imp = svc.deduction_import_post(imp=imp, by=by)
    loan_repay(loan=coop["loans"]["m1"], amount=D("100000"), by=by, on=timezone.localdate())
    before = _state()
    with pytest.raises(ApplicationError) as e:
        svc.deduction_import_reverse(imp=imp, reason="salah", by=by)
    assert "sesudah" in e.value.message
    assert _state() == before
    imp.refresh_from_db()
    assert imp.status == "posted"


def test_a_batch_posts_with_jit_off_and_the_collector_paused(coop, cutoffs, monkeypatch):
    """deduction_import_post runs its transaction with the server's JIT off and Python's
    garbage collector paused (core.common.batch), and gives the collector back after."""
    import gc

    from django.db import connection

    run = make_run(on=cutoffs[1], by=coop["by"])
    imp = _upload_a(coop, run, [(coop["m"][0], 500000)])
    seen = {}

    def look(name):
        if name == "after_journal":
            with connection.cursor() as cur:
                cur.execute("SHOW jit")
                seen["jit"] = cur.fetchone()[0]
            seen["gc"] = gc.isenabled()

    monkeypatch.setattr(svc.posting, "_inject_failure_point", look)
    assert gc.isenabled()
    svc.deduction_import_post(imp=imp, by=coop["by"])
    assert seen == {"jit": "off", "gc": False}
    assert gc.isenabled()
    assert_reconciled()


def test_closed_loan_and_loan_overpayment_credit_one_new_sukarela_account(coop, cutoffs):
    """A member with two loans and no sukarela account: after the list, loan A is paid
    off at the counter (the batch redirects its instalment to sukarela) and loan B is
    prepaid down to 300,000 (the batch's instalment over-pays it: the loans service
    credits the excess to sukarela). The account is opened once and both credits land in
    it (the posting used to open it a second time and refuse the whole agency)."""
    from core.loans.models import LoanProduct
    from core.loans.schedules import add_months
    from core.loans.services import (
        loan_apply,
        loan_approve,
        loan_disburse,
        loan_payoff,
        loan_repay,
        loan_verify,
    )

    from .conftest import docs

    by, staff = coop["by"], coop["staff"]
    m2 = coop["m"][1]
    _prev, this = cutoffs
    on = add_months(this, -1)
    b = loan_apply(
        member=m2,
        product=LoanProduct.objects.get(code="PG"),
        principal=D("10000000"),
        tenor=10,
        by=staff["petugas"],
        on=on,
        documents=docs(),
    )
    loan_verify(loan=b, by=staff["bendahara"])
    loan_approve(loan=b, by=staff["ketua"])
    approval_backdate(b, on)  # approved on the day it is paid out
    loan_disburse(loan=b, by=staff["bendahara"], on=on, first_due_date=this)
    a = coop["loans"]["m2"]
    assert not SavingsAccount.objects.filter(member=m2, product__kind="sukarela").exists()
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m2)
    assert {int(x["loan_id"]) for x in line.loans} == {a.pk, b.pk}
    asked = {int(x["loan_id"]): D(x["jasa"]) + D(x["principal"]) for x in line.loans}
    loan_payoff(loan=a, by=by, on=this)  # A closed after the list
    loan_repay(
        loan=Loan.objects.get(pk=b.pk), amount=D(9_900_000), by=by, on=this, excess_to="principal"
    )
    imp = _upload_a(coop, run, [(m2, int(line.total))])
    assert imp.status == "valid", imp.errors
    svc.deduction_import_post(imp=imp, by=by)
    acc = SavingsAccount.objects.get(member=m2, product__kind="sukarela")
    rep_b = Repayment.objects.get(loan_id=b.pk, channel="payroll")
    assert rep_b.excess > 0
    # A's whole instalment and what B's did not need both landed in the one account
    assert acc.balance == asked[a.pk] + rep_b.excess
    assert acc.transactions.count() == 2
    assert_reconciled()


def test_purpose_savings_filled_at_the_counter_after_the_list_goes_to_sukarela(coop, cutoffs):
    """A member paid the rest of their hari-raya savings at the counter after the list
    was made: the agency's whole batch was refused ("Setoran melebihi total simpanan
    berjangka", no member named, no row to exclude). Now what no longer fits the term
    is credited to the member's sukarela, as a closed loan's instalment is, and the rest
    of the batch posts."""
    from core.loans.schedules import add_months
    from core.savings.models import SavingsProduct
    from core.savings.services import savings_account_open, teller_deposit

    prev, this = cutoffs
    by = coop["by"]
    m1, m3 = coop["m"][0], coop["m"][2]
    product = SavingsProduct.objects.filter(kind="berjangka").order_by("pk").first()
    acc = savings_account_open(
        member=m3, product=product, on=add_months(prev, -1), monthly_amount=D("100000")
    )
    target = D("100000") * product.term_months
    run = make_run(on=this, by=by)
    line = run.lines.get(member=m3)
    assert line.others == D("100000")
    teller_deposit(account=acc, amount=target - D("30000"), channel="cash", on=this, by=by)
    imp = _upload_a(coop, run, [(m3, int(line.total)), (m1, 1000)])
    assert imp.status == "valid", imp.errors
    svc.deduction_import_post(imp=imp, by=by)
    acc.refresh_from_db()
    assert acc.balance == target  # 30,000 fitted
    suk = SavingsAccount.objects.get(member=m3, product__kind="sukarela")
    assert suk.balance == D("70000")
    wajib = SavingsAccount.objects.get(member=m3, product__kind="wajib")
    assert wajib.balance == line.wajib
    entry = DeductionImport.objects.get(pk=imp.pk).entry
    assert sum(ln.debit for ln in entry.lines.all()) == line.total + 1000
    assert_reconciled()


def test_reversal_of_a_batch_with_late_penalty_restores_every_row_and_loan_field(coop, cutoffs):
    """m1's loan is a month late with a 2 % penalty; the batch pays the penalty, the
    jasa and part of the principal (cut 50,000 short), m2 part of an instalment, m3
    nothing. The reversal puts back every schedule row (paid amounts, penalty periods
    and penalty charged, settled) and every loan field, and every savings balance."""
    from django.forms.models import model_to_dict

    from core.loans.models import Instalment, LoanProduct

    LoanProduct.objects.filter(code="PG").update(late_penalty_rate=D("2"))
    by = coop["by"]
    m1, m2, m3 = coop["m"][:3]
    run = make_run(on=cutoffs[1], by=by)
    l1 = run.lines.get(member=m1)
    assert D(l1.loans[0]["penalty"]) > 0

    def state():
        # days_past_due is the loan's age as of the last writer's day, not a sum the
        # reversal undoes (the reversal ages it as of its own day)
        return (
            [model_to_dict(r) for r in Instalment.objects.order_by("pk")],
            [
                {k: v for k, v in model_to_dict(x).items() if k != "days_past_due"}
                for x in Loan.objects.order_by("pk")
            ],
            sorted(SavingsAccount.objects.values_list("pk", "balance")),
        )

    before = state()
    imp = _upload_a(coop, run, [(m1, int(l1.total) - 50000), (m2, 700000), (m3, 0)])
    imp = svc.deduction_import_post(imp=imp, by=by)
    assert Repayment.objects.get(loan=coop["loans"]["m1"]).penalty > 0
    svc.deduction_import_reverse(imp=imp, reason="file salah", by=by)
    rows, loans, balances = state()
    assert rows == before[0]
    assert loans == before[1]
    kept = dict(balances)
    assert all(kept[pk] == bal for pk, bal in before[2])
    assert all(bal == 0 for pk, bal in balances if pk not in dict(before[2]))
    assert_reconciled()
