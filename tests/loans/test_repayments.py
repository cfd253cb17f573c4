"""Repayment (allocation, over-payment, closing), early payoff, top-up, rescheduling,
exit settlement, and the DB rules on repayments. After each money movement the loan
sub-ledger equals the ledger's control accounts."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import IntegrityError, connection, transaction

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_for_role
from core.loans import schedules as S
from core.loans.models import Instalment, Loan, Repayment, Reschedule
from core.loans.selectors import member_loans_outstanding
from core.loans.services import (
    loan_apply,
    loan_approve,
    loan_disburse,
    loan_payoff,
    loan_payoff_quote,
    loan_repay,
    loan_repayment_prepare,
    loan_repayments_attach_entry,
    loan_reschedule,
    loan_verify,
    member_loans_settle_apply,
)
from tests.loans.conftest import assert_reconciled, docs
from tests.members import factories as f


def _role_total(entry, role):
    acc = account_for_role(role)
    return sum(
        (ln.credit - ln.debit for ln in JournalLine.objects.filter(entry=entry, account=acc)), D(0)
    )


def _counts():
    return (Repayment.objects.count(), JournalEntry.objects.count(), AuditEvent.objects.count())


def test_on_time_instalment_pays_jasa_then_principal(make_loan, staff):
    loan = make_loan(days_ago=31)
    row = loan.instalments.get(number=1)
    rep = loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=row.due_date)
    assert (rep.penalty, rep.jasa, rep.principal, rep.excess) == (0, D(100_000), D(1_000_000), 0)
    assert _role_total(rep.entry, "loan_interest_income") == D(100_000)
    assert _role_total(rep.entry, "loan_receivable") == D(1_000_000)
    assert _role_total(rep.entry, "cash") == -D(1_100_000)
    row.refresh_from_db()
    assert row.settled
    loan.refresh_from_db()
    assert loan.principal_outstanding == D(9_000_000)
    assert rep.receipt_number.startswith("ANG-")
    assert_reconciled()


def test_late_payment_pays_penalty_first(make_loan, staff, today):
    loan = make_loan(days_ago=75)  # instalment 1 due ~44 days ago, 2 due ~14 days ago
    r1, r2 = loan.instalments.order_by("number")[:2]
    days1, days2 = (today - r1.due_date).days, (today - r2.due_date).days
    pen = S.late_penalty(
        overdue_amount=D(1_100_000),
        days_late=days1,
        rate_percent=D(2),
        basis="per_month",
        grace_days=5,
    )
    pen += S.late_penalty(
        overdue_amount=D(1_100_000),
        days_late=days2,
        rate_percent=D(2),
        basis="per_month",
        grace_days=5,
    )
    assert pen > 0
    rep = loan_repay(loan=loan, amount=pen + D(150_000), by=staff["petugas"], on=today)
    assert rep.penalty == pen
    assert rep.jasa == D(150_000) and rep.principal == 0
    assert _role_total(rep.entry, "penalty_income") == pen
    r1.refresh_from_db()
    r2.refresh_from_db()
    assert r1.jasa_paid == D(100_000) and r2.jasa_paid == D(50_000)
    assert not r1.settled
    assert_reconciled()


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (D(-5), "loan_amount_not_positive"),
        (D(0), "loan_amount_not_positive"),
        (D("10.5"), "loan_amount_not_whole"),
        ("abc", "loan_invalid"),
    ],
)
def test_bad_repayment_amounts_refused_nothing_written(make_loan, staff, amount, code):
    loan = make_loan(days_ago=31)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=amount, by=staff["petugas"])
    assert e.value.code == code
    assert _counts() == before


def test_repaying_closed_loan_refused(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    loan_payoff(loan=loan, by=staff["petugas"], on=today)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"])
    assert e.value.code == "loan_not_running"
    assert _counts() == before


def test_repaying_undisbursed_loan_refused(make_loan, staff):
    loan = make_loan(until="approved")
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"])
    assert e.value.code == "loan_not_running"


def test_pengawas_and_anggota_cannot_take_repayments(make_loan, staff, in_tenant_a):
    from tests.members import factories as f

    loan = make_loan(days_ago=31)
    for u in (staff["pengawas"], f.user("anggota")):
        with pytest.raises(ApplicationError) as e:
            loan_repay(loan=loan, amount=D(100_000), by=u)
        assert e.value.status_code == 403


def test_overpayment_needs_a_choice(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    before = _counts()
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=D(3_000_000), by=staff["petugas"], on=today)
    assert e.value.code == "loan_excess_target_required"
    assert _counts() == before


def test_overpayment_to_sukarela(make_loan, staff, member, today):
    from core.savings.models import SavingsAccount

    loan = make_loan(days_ago=10)  # nothing due yet: pays the next instalment, rest excess
    rep = loan_repay(
        loan=loan, amount=D(1_500_000), by=staff["petugas"], on=today, excess_to="sukarela"
    )
    assert (rep.jasa, rep.principal, rep.excess) == (D(100_000), D(1_000_000), D(400_000))
    acc = SavingsAccount.objects.get(member=member, product__kind="sukarela")
    assert acc.balance == D(400_000)
    assert _role_total(rep.entry, "savings_sukarela") == D(400_000)
    assert_reconciled()


def test_overpayment_to_principal_reamortises_and_keeps_history(make_loan, staff, today):
    loan = make_loan(days_ago=10)
    rep = loan_repay(
        loan=loan, amount=D(3_100_000), by=staff["petugas"], on=today, excess_to="principal"
    )
    assert rep.excess == D(2_000_000)
    loan.refresh_from_db()
    assert loan.principal_outstanding == D(7_000_000)
    assert loan.schedule_version == 2
    current = list(loan.instalments.filter(is_current=True).order_by("number"))
    assert len(current) == 10
    future = [r for r in current if r.version == 2]
    assert len(future) == 9
    assert sum(r.principal for r in future) == D(7_000_000)
    assert future[0].jasa == D(70_000)  # flat on the reduced principal
    assert loan.instalments.filter(is_current=False).count() == 9
    assert _role_total(rep.entry, "loan_receivable") == D(3_000_000)
    assert_reconciled()


def test_overpayment_to_principal_keeps_month_end_due_dates(make_loan, staff, today):
    """Re-amortisation keeps each remaining row's due date: a loan paid out on 31 July has
    rows due on the 31st (30th, 28th in short months); counting the new schedule from
    the first remaining row (30 September) would move every later 31st to the 30th."""
    on = date(2026, 7, 31)
    loan = make_loan(days_ago=(today - on).days, until="approved")
    loan_disburse(loan=loan, by=staff["bendahara"], on=on)
    loan.refresh_from_db()
    before = [r.due_date for r in loan.instalments.filter(is_current=True).order_by("number")]
    assert before[:4] == [
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
    ]
    assert before[6] == date(2027, 2, 28) and before[7] == date(2027, 3, 31)
    # the first instalment (1,100,000) and 1,000,000 more to principal, on 15 August
    rep = loan_repay(
        loan=loan,
        amount=D(2_100_000),
        by=staff["petugas"],
        on=date(2026, 8, 15),
        excess_to="principal",
    )
    assert rep.excess == D(1_000_000)
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    current = list(loan.instalments.filter(is_current=True).order_by("number"))
    assert [r.version for r in current] == [1] + [2] * 9  # rows 2.. re-amortised
    assert [r.due_date for r in current] == before
    assert_reconciled()


def test_overpayment_to_principal_beyond_outstanding_refused(make_loan, staff, today):
    loan = make_loan(days_ago=10)
    with pytest.raises(ApplicationError) as e:
        loan_repay(
            loan=loan, amount=D(12_000_000), by=staff["petugas"], on=today, excess_to="principal"
        )
    assert e.value.code == "loan_excess_exceeds_principal"


def test_paying_every_instalment_closes_the_loan(make_loan, staff, today):
    loan = make_loan(principal=D(3_000_000), tenor=3, days_ago=100)
    for row in loan.instalments.order_by("number"):
        loan_repay(
            loan=loan,
            amount=row.principal + row.jasa,
            by=staff["petugas"],
            on=row.due_date,
            channel="bank",
        )
        assert_reconciled()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
    assert loan.closed_by == Loan.ClosedBy.REPAID
    assert loan.principal_outstanding == 0


def test_early_payoff_waives_future_jasa_and_charges_fee(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    r1 = loan.instalments.get(number=1)
    loan_repay(loan=loan, amount=D(1_100_000), by=staff["petugas"], on=r1.due_date)
    q = loan_payoff_quote(loan=loan, on=today)
    assert q["principal"] == D(9_000_000)
    assert q["early_payoff_fee"] == D(90_000)
    rep = loan_payoff(loan=loan, by=staff["petugas"], on=today)
    assert rep.amount == q["total"]
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.closed_by == Loan.ClosedBy.PAYOFF
    assert sum(r.jasa_waived for r in loan.instalments.all()) == D(900_000)
    assert _role_total(rep.entry, "penalty_income") == D(90_000)
    assert_reconciled()


def test_topup_settles_old_loan_and_disburses_net(make_loan, staff, member, product, today):
    old = make_loan(principal=D(5_000_000), tenor=10, days_ago=31)
    r1 = old.instalments.get(number=1)
    loan_repay(loan=old, amount=D(550_000), by=staff["petugas"], on=r1.due_date)
    new = loan_apply(
        member=member,
        product=product,
        principal=D(10_000_000),
        tenor=10,
        by=staff["petugas"],
        documents=docs(),
        topup_of=old,
    )
    loan_verify(loan=new, by=staff["bendahara"])
    loan_approve(loan=new, by=staff["ketua"])
    entry = loan_disburse(loan=new, by=staff["bendahara"], on=today)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == Loan.Status.CLOSED and old.closed_by == Loan.ClosedBy.TOPUP
    assert new.topup_settlement == D(4_500_000)
    assert new.net_disbursed == D(10_000_000) - D(350_000) - D(4_500_000)
    assert _role_total(entry, "loan_receivable") == D(4_500_000) - D(10_000_000)
    assert _role_total(entry, "cash") == new.net_disbursed
    assert old.repayments.filter(channel="topup", entry=entry).exists()
    assert_reconciled()


def test_topup_may_be_applied_again_after_a_rejected_one(make_loan, staff, member, product):
    from core.loans.services import loan_reject

    old = make_loan(principal=D(2_000_000), tenor=10)

    def apply_topup():
        return loan_apply(
            member=member,
            product=product,
            principal=D(3_000_000),
            tenor=10,
            by=staff["petugas"],
            documents=docs(),
            topup_of=old,
        )

    first = apply_topup()
    # while the first is pending, a second top-up of the same loan is refused
    with pytest.raises(ApplicationError) as e:
        apply_topup()
    assert e.value.code == "loan_topup_invalid"
    loan_reject(loan=first, by=staff["ketua"], reason="dokumen kurang")
    second = apply_topup()  # the rejected one no longer holds the old loan
    assert second.topup_of_id == old.pk and second.status == Loan.Status.APPLIED
    first.refresh_from_db()
    assert first.topup_of_id == old.pk  # the rejected application keeps its record


def test_topup_must_be_of_own_running_loan(make_loan, staff, product, in_tenant_a):
    from tests.members import factories as f

    other = f.member(take_home_pay=D("15000000"))
    old = make_loan(principal=D(2_000_000), tenor=10)
    with pytest.raises(ApplicationError) as e:
        loan_apply(
            member=other,
            product=product,
            principal=D(3_000_000),
            tenor=10,
            by=staff["petugas"],
            documents=docs(),
            topup_of=old,
        )
    assert e.value.code == "loan_topup_invalid"


def test_reschedule_capitalises_overdue_jasa_and_keeps_history(make_loan, staff, today):
    loan = make_loan(days_ago=75)
    rs = loan_reschedule(loan=loan, by=staff["ketua"], tenor=20, reason="Gaji turun", on=today)
    loan.refresh_from_db()
    assert rs.capitalised_jasa == D(200_000)
    assert loan.principal_outstanding == D(10_200_000)
    assert loan.schedule_version == 2
    new = list(loan.instalments.filter(is_current=True).order_by("number"))
    assert len(new) == 20 and sum(r.principal for r in new) == D(10_200_000)
    assert new[0].due_date == S.add_months(today, 1)
    assert loan.instalments.filter(is_current=False).count() == 10
    # capitalised jasa is deferred income, not income (issue 17 item 1)
    assert _role_total(rs.entry, "loan_interest_income") == 0
    assert _role_total(rs.entry, "deferred_jasa_income") == D(200_000)
    assert AuditEvent.objects.filter(action="loan.reschedule", target_id=str(loan.pk)).exists()
    assert_reconciled()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reschedule.objects.filter(pk=rs.pk).update(reason="x")


def test_reschedule_is_for_the_chair_with_a_reason(make_loan, staff, today):
    loan = make_loan(days_ago=75)
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(loan=loan, by=staff["bendahara"], tenor=20, reason="x", on=today)
    assert e.value.status_code == 403
    with pytest.raises(ApplicationError) as e:
        loan_reschedule(loan=loan, by=staff["ketua"], tenor=20, reason="", on=today)
    assert e.value.code == "loan_reason_required"


def test_payroll_batch_posts_many_repayments_in_one_entry(
    make_loan, staff, member, today, in_tenant_a
):
    from core.ledger.services import LineSpec, journal_post
    from tests.members import factories as f

    a = make_loan(principal=D(2_000_000), tenor=10, days_ago=31)
    b = make_loan(
        principal=D(3_000_000), tenor=10, days_ago=31, who=f.member(take_home_pay=D("9000000"))
    )
    with transaction.atomic():
        drafts = [
            loan_repayment_prepare(
                loan=ln,
                amount=D(500_000),
                on=today,
                channel="payroll",
                by=staff["bendahara"],
                excess_to="sukarela",
            )
            for ln in sorted([a, b], key=lambda x: x.pk)
        ]
        total = sum((d.amount for d in drafts), D(0))
        entry = journal_post(
            on=today,
            description="Potong gaji uji",
            lines=[
                LineSpec(account_for_role("bank"), debit=total),
                *[ln for d in drafts for ln in d.lines],
            ],
            source="deduction",
            source_ref="uji-batch-1",
            by=staff["bendahara"],
        )
        loan_repayments_attach_entry(drafts=drafts, entry=entry)
    assert Repayment.objects.filter(entry=entry).count() == 2
    assert_reconciled()


def test_repayment_without_entry_is_refused_at_commit(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    with pytest.raises(IntegrityError), transaction.atomic():
        loan_repayment_prepare(
            loan=loan, amount=D(100_000), on=today, channel="payroll", by=staff["bendahara"]
        )
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_repayment_rows_are_immutable(make_loan, staff, today):
    loan = make_loan(days_ago=31)
    rep = loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"], on=today)
    with pytest.raises(IntegrityError), transaction.atomic():
        Repayment.objects.filter(pk=rep.pk).update(amount=D(1), jasa=D(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Repayment.objects.filter(pk=rep.pk).delete()


def test_instalment_paid_over_due_refused_by_database(make_loan):
    loan = make_loan()
    row = loan.instalments.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Instalment.objects.filter(pk=row.pk).update(principal_paid=row.principal + 1)


def test_member_loans_outstanding_and_exit_settlement(make_loan, staff, member, today):
    loan = make_loan(days_ago=40)
    items = member_loans_outstanding(member, on=today)
    q = loan_payoff_quote(loan=loan, on=today)
    assert items[0]["outstanding"] == q["principal"] + q["jasa"] + q["penalty"]
    assert items[0]["principal"] == D(10_000_000) and items[0]["jasa_due"] == D(100_000)
    lines = member_loans_settle_apply(member=member, on=today, by=staff["bendahara"])
    assert sum((ln.credit for ln in lines), D(0)) == items[0]["outstanding"]
    from core.ledger.services import LineSpec, journal_post

    journal_post(
        on=today,
        description="Penyelesaian keluar (uji)",
        lines=[LineSpec(account_for_role("cash"), debit=items[0]["outstanding"]), *lines],
        source="loan",
        source_ref="uji-exit",
        by=staff["bendahara"],
    )
    assert_reconciled()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.principal_outstanding == 0
    assert member_loans_outstanding(member, on=today) == []


def test_exit_settlement_waiver_writes_off_with_balanced_lines(make_loan, staff, member, today):
    from core.ledger.services import journal_post

    make_loan(days_ago=40)
    lines = member_loans_settle_apply(
        member=member, on=today, by=staff["bendahara"], waive=True, reason="meninggal"
    )
    assert (
        sum((ln.debit for ln in lines), D(0))
        == sum((ln.credit for ln in lines), D(0))
        == D(10_000_000)
    )
    journal_post(
        on=today,
        description="Hapus buku",
        lines=lines,
        source="loan",
        source_ref="uji-wo",
        by=staff["bendahara"],
    )
    assert_reconciled()


def test_repayment_date_before_disbursement_refused(make_loan, staff, today):
    loan = make_loan(days_ago=5)
    with pytest.raises(ApplicationError) as e:
        loan_repay(loan=loan, amount=D(100_000), by=staff["petugas"], on=today - timedelta(days=10))
    assert e.value.code == "loan_date_invalid"


def test_amounts_due_in_bulk_match_per_loan(make_loan, today, in_tenant_a):
    from core.loans.selectors import loan_amount_due, loans_amounts_due

    a = make_loan(principal=D(2_000_000), days_ago=75)
    b = make_loan(principal=D(3_000_000), days_ago=5, who=f.member(take_home_pay=D(9_000_000)))
    bulk = loans_amounts_due(on=today)
    for loan in (a, b):
        one = loan_amount_due(loan, today)
        assert {k: bulk[loan.pk][k] for k in one} == one
    assert bulk[a.pk]["penalty"] > 0 and bulk[b.pk]["total"] == D(330_000)


def test_amounts_due_in_bulk_after_a_part_payment_and_for_some_members(
    make_loan, staff, today, in_tenant_a
):
    """The bulk read (rows due and the next one per loan, core.loans.selectors) gives what
    the single-loan rule gives after a partial payment, and only the members asked."""
    from core.loans.selectors import loan_amount_due, loans_amounts_due

    a = make_loan(principal=D(2_000_000), days_ago=75)
    loan_repay(loan=a, amount=D(150_000), by=staff["petugas"], on=today)
    b = make_loan(principal=D(3_000_000), days_ago=40, who=f.member(take_home_pay=D(9_000_000)))
    bulk = loans_amounts_due(on=today)
    for loan in (a, b):
        one = loan_amount_due(loan, today)
        assert {k: bulk[loan.pk][k] for k in one} == one
    assert set(loans_amounts_due(on=today, member_ids=[b.member_id])) == {b.pk}
