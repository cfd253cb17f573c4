"""The daily arrears run: days past due, kolektibilitas, PPAP, the allowance entry."""

from datetime import timedelta
from decimal import Decimal as D

from core.ledger.models import JournalEntry
from core.loans import schedules as S
from core.loans.arrears import loans_arrears_update
from core.loans.models import ArrearsRun, Loan, LoanSettings
from core.loans.services import loan_payoff, loan_repay, loan_settings_update
from tests.loans.conftest import assert_reconciled
from tests.members import factories as f


def test_grades_and_ppap_follow_days_past_due(make_loan, staff, today, in_tenant_a):
    fresh = make_loan(principal=D(2_000_000), tenor=10)
    late = make_loan(
        principal=D(3_000_000), tenor=10, days_ago=130, who=f.member(take_home_pay=D(9_000_000))
    )
    very_late = make_loan(
        principal=D(4_000_000), tenor=20, days_ago=320, who=f.member(take_home_pay=D(9_000_000))
    )
    run = loans_arrears_update(on=today)
    expected_total = D(0)
    for loan in (fresh, late, very_late):
        loan.refresh_from_db()
        oldest = (
            loan.instalments.filter(is_current=True, settled=False).order_by("due_date").first()
        )
        dpd = S.days_past_due([oldest.due_date], today)
        assert loan.days_past_due == dpd
        grade = S.kolektibilitas(dpd)
        assert loan.kolektibilitas == grade
        assert loan.ppap_amount == S.ppap_amount(loan.principal_outstanding, grade)
        expected_total += loan.ppap_amount
    assert fresh.kolektibilitas == "lancar" and fresh.ppap_amount == D(10_000)
    assert late.kolektibilitas == "kurang_lancar" and late.ppap_amount == D(300_000)
    assert very_late.kolektibilitas == "macet"
    assert run.ppap_after - run.ppap_before == expected_total
    assert run.entry is not None
    assert_reconciled()


def test_rerun_same_day_posts_nothing_new(make_loan, today):
    make_loan(days_ago=130)
    loans_arrears_update(on=today)
    n = JournalEntry.objects.count()
    run = loans_arrears_update(on=today)
    assert run.entry is None and JournalEntry.objects.count() == n
    assert ArrearsRun.objects.count() == 2


def test_paying_arrears_releases_allowance(make_loan, staff, today):
    loan = make_loan(days_ago=130)
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert loan.kolektibilitas == "kurang_lancar"
    loan_payoff(loan=loan, by=staff["petugas"], on=today)
    run = loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert loan.ppap_amount == 0
    assert run.ppap_after < run.ppap_before and run.entry is not None
    assert_reconciled()


def test_partial_payment_moves_oldest_due_date(make_loan, staff, today):
    loan = make_loan(days_ago=100)
    first = loan.instalments.get(number=1)
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert loan.days_past_due == (today - first.due_date).days
    loan_repay(
        loan=loan, amount=D(3_000_000), by=staff["petugas"], on=today
    )  # pays rows 1-2 + penalty
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    oldest = loan.instalments.filter(is_current=True, settled=False).order_by("due_date").first()
    assert loan.days_past_due == max((today - oldest.due_date).days, 0)
    assert_reconciled()


def test_thresholds_and_rates_are_configurable(make_loan, staff, today):
    loan = make_loan(days_ago=45)  # ~14 days past due
    loan_settings_update(
        by=staff["admin"],
        lancar_max_days=7,
        kurang_lancar_max_days=30,
        diragukan_max_days=60,
        ppap_kurang_lancar=D(25),
    )
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert loan.kolektibilitas == "kurang_lancar"
    assert loan.ppap_amount == D(2_500_000)
    assert_reconciled()


def test_settings_refuse_unordered_thresholds(staff, in_tenant_a):
    import pytest

    from core.common.errors import ApplicationError

    with pytest.raises(ApplicationError):
        loan_settings_update(by=staff["admin"], lancar_max_days=200)
    assert LoanSettings.get().lancar_max_days == 90
    with pytest.raises(ApplicationError):
        loan_settings_update(by=staff["bendahara"], ppap_macet=D(50))


def test_daily_task_runs_every_cooperative(make_loan, today, tenant_b, monkeypatch):
    from django.db import connection

    from lumbung.celery import app
    from tenants.tasks import every_cooperative_task

    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)
    make_loan(days_ago=130)
    out = every_cooperative_task.run(
        "core.loans.tasks.loans_arrears_tenant_task", ["trial", "active", "past_due"]
    )
    assert {"alpha", "beta"} <= set(out["queued"]) and out["failed"] == []
    connection.set_tenant(tenant_b)
    assert ArrearsRun.objects.filter(on=today).exists()
    connection.set_schema_to_public()
    from tenants.models import Cooperative

    connection.set_tenant(Cooperative.objects.get(slug="alpha"))
    assert Loan.objects.filter(kolektibilitas="kurang_lancar").exists()


def test_not_overdue_on_the_due_date_itself(make_loan, today):
    loan = make_loan(days_ago=40)
    due = loan.instalments.get(number=1).due_date
    loans_arrears_update(on=due)
    loan.refresh_from_db()
    assert loan.days_past_due == 0
    loans_arrears_update(on=due + timedelta(days=1))
    loan.refresh_from_db()
    assert loan.days_past_due == 1


def test_days_past_due_follow_a_counter_payment_at_once(make_loan, staff, today):
    """The loan page shows days past due beside the arrears: after a payment at the
    counter both change at once, not at the next daily run (a member who paid all
    arrears no longer reads "(100 hari)" beside "Tertunggak Rp 0")."""
    loan = make_loan(days_ago=100)
    loans_arrears_update(on=today)
    loan.refresh_from_db()
    assert loan.days_past_due > 60
    rep = loan_repay(loan=loan, amount=D(3_000_000), by=staff["petugas"], on=today)
    oldest = loan.instalments.filter(is_current=True, settled=False).order_by("due_date").first()
    expected = max((today - oldest.due_date).days, 0)
    assert rep.loan.days_past_due == expected  # the object the caller holds, too
    loan.refresh_from_db()
    assert loan.days_past_due == expected
    # Everything overdue paid: 0 at once.
    due = loan.instalments.filter(is_current=True, settled=False, due_date__lt=today)
    owed = sum((r.principal + r.jasa - r.principal_paid - r.jasa_paid for r in due), D(0))
    loan_repay(loan=loan, amount=owed + D(500_000), by=staff["petugas"], on=today)
    loan.refresh_from_db()
    assert loan.days_past_due == 0 and loan.status == "disbursed"
    assert_reconciled()


def test_days_past_due_after_batch_payment_and_reversal_are_the_daily_runs(make_loan, staff, today):
    """Whatever a payment changes (a payroll batch, a counter payment, its reversal),
    each loan's days past due are at once what the daily run sets: running it afterwards
    changes none of them."""
    from django.db import transaction

    from core.ledger.services import journal_entry_id_reserve
    from core.loans.batch import loan_repayments_prepare_bulk
    from core.loans.services import loan_repayment_reverse, loan_repayments_attach_entry
    from tests.ledger.helpers import post_bank_batch

    def daily_run_changes(loans):
        before = {ln.pk: Loan.objects.get(pk=ln.pk).days_past_due for ln in loans}
        with transaction.atomic():
            sid = transaction.savepoint()
            loans_arrears_update(on=today)
            after = {ln.pk: Loan.objects.get(pk=ln.pk).days_past_due for ln in loans}
            transaction.savepoint_rollback(sid)
        return {pk: (before[pk], after[pk]) for pk in before if before[pk] != after[pk]}

    members = [f.member(take_home_pay=D("20000000")) for _ in range(4)]
    loans = sorted(
        [
            make_loan(principal=D(6_000_000), tenor=12, days_ago=95, who=members[0]),
            make_loan(principal=D(3_000_000), tenor=10, days_ago=62, who=members[1]),
            make_loan(principal=D(2_000_000), tenor=2, days_ago=40, who=members[2]),
            make_loan(principal=D(10_000_000), tenor=10, days_ago=10, who=members[3]),
        ],
        key=lambda x: x.pk,
    )
    loans_arrears_update(on=today)
    assert Loan.objects.get(pk=loans[0].pk).days_past_due > 60
    by = staff["bendahara"]
    # a batch paying part of the arrears of one loan, all of another's
    with transaction.atomic():
        entry_id = journal_entry_id_reserve()
        drafts = loan_repayments_prepare_bulk(
            items=[
                (loans[0].pk, D(600_000)),
                (loans[1].pk, D(2_000_000)),
                (loans[2].pk, D(500_000)),
                (loans[3].pk, D(100_000)),
            ],
            on=today,
            channel="payroll",
            by=by,
            excess_to="sukarela",
            entry_id=entry_id,
        )
        lines = [ln for d in drafts for ln in d.lines]
        entry = post_bank_batch(lines=lines, on=today, by=by, ref="uji-dpd", entry_id=entry_id)
        loan_repayments_attach_entry(drafts=drafts, entry=entry)
    # the batch moved them (the objects it holds, too)
    assert {d.repayment.loan_id: d.repayment.loan.days_past_due for d in drafts} == {
        ln.pk: Loan.objects.get(pk=ln.pk).days_past_due for ln in loans
    }
    assert daily_run_changes(loans) == {}
    rep = loan_repay(loan=loans[0], amount=D(1_000_000), by=staff["petugas"], on=today)
    assert daily_run_changes(loans) == {}
    loan_repayment_reverse(repayment=rep, by=by, reason="salah input")
    assert daily_run_changes(loans) == {}
    assert_reconciled()
