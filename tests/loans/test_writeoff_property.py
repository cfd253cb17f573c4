"""Write-off, recoveries and their reversals as a property: over random sequences on one
Macet loan — write it off, receive money on it (random amounts, some more than remains),
reverse a recovery, reverse the write-off — after every step: a refused step changes
nothing; what is recovered never exceeds what is written off; the books balance and the
loans sub-ledger ties to its control accounts; the loan's status, the write-off
register's row and the other income booked from recoveries all agree."""

from decimal import Decimal as D

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_for_role, balances_check
from core.loans.arrears import loans_arrears_update
from core.loans.models import Loan, LoanRecovery, LoanWriteOff
from core.loans.reports import report_write_offs
from core.loans.services import (
    loan_recovery_receive,
    loan_recovery_reverse,
    loan_write_off,
    loan_write_off_reverse,
    write_off_in_force,
    write_off_recovered,
)
from tests.loans.conftest import assert_reconciled, attempt

PRINCIPAL = D("10000000")
step = st.one_of(
    st.just(("write_off",)),
    st.tuples(
        st.just("recover"),
        st.one_of(st.integers(1, 3_000_000), st.integers(9_000_000, 12_000_000)),
    ),
    st.tuples(st.just("reverse_recovery"), st.integers(0, 3)),
    st.just(("reverse_write_off",)),
)


def _snapshot(loan) -> tuple:
    loan = Loan.objects.get(pk=loan.pk)
    return (
        loan.status,
        loan.closed_by,
        loan.principal_outstanding,
        loan.ppap_amount,
        JournalEntry.objects.count(),
        list(LoanWriteOff.objects.order_by("pk").values_list("pk", "reversal_entry_id")),
        list(LoanRecovery.objects.order_by("pk").values_list("pk", "amount", "reversal_entry_id")),
    )


def _other_income_of(member_id: int) -> D:
    t = JournalLine.objects.filter(
        account=account_for_role("other_income"), member_id=member_id
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (t["c"] or D(0)) - (t["d"] or D(0))


def _check(loan, today) -> None:
    loan = Loan.objects.get(pk=loan.pk)
    wo = write_off_in_force(loan)
    rows = report_write_offs(on=today).rows
    live = LoanRecovery.objects.filter(loan=loan, reversal_entry__isnull=True)
    live_total = live.aggregate(s=Sum("amount"))["s"] or D(0)
    if wo is None:
        assert (loan.status, loan.principal_outstanding) == (Loan.Status.DISBURSED, PRINCIPAL)
        assert rows == [] and live_total == 0
    else:
        assert (loan.status, loan.closed_by) == (Loan.Status.CLOSED, Loan.ClosedBy.WRITEOFF)
        assert loan.principal_outstanding == 0
        recovered = write_off_recovered(wo)
        assert D(0) <= recovered <= wo.amount == PRINCIPAL
        assert recovered == live_total
        (row,) = rows
        assert (row["number"], row["amount"], row["recovered"], row["remaining"]) == (
            loan.number,
            wo.amount,
            recovered,
            wo.amount - recovered,
        )
    # the other income booked from recoveries is what stands of them
    assert _other_income_of(loan.member_id) == live_total
    assert balances_check() == []
    assert_reconciled()


# no shrinking: each example runs a dozen services
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_write_off_recovery_sequences_keep_the_books_and_register_agreeing(
    make_loan, staff, today, steps
):
    note(f"{steps=}")
    ketua, teller, boss = staff["ketua"], staff["petugas"], staff["bendahara"]
    with transaction.atomic():
        sid = transaction.savepoint()
        loan = make_loan(days_ago=320)
        loans_arrears_update(on=today)
        _check(loan, today)
        for s in steps:
            before = _snapshot(loan)
            wo = write_off_in_force(Loan.objects.get(pk=loan.pk))
            if s[0] == "write_off":
                done = attempt(
                    lambda: loan_write_off(
                        loan=loan, by=ketua, on=today, reason="Tidak tertagih", decision_ref="SK-1"
                    )
                )
                assert done == (wo is None)
            elif s[0] == "recover":
                amount = D(s[1])
                remaining = wo.amount - write_off_recovered(wo) if wo else None
                done = attempt(
                    lambda amount=amount: loan_recovery_receive(
                        loan=loan, amount=amount, by=teller, on=today
                    )
                )
                assert done == (wo is not None and amount <= remaining)
            elif s[0] == "reverse_recovery":
                live = list(
                    LoanRecovery.objects.filter(loan=loan, reversal_entry__isnull=True).order_by(
                        "pk"
                    )
                )
                if not live:
                    continue
                rec = live[s[1] % len(live)]
                done = attempt(
                    lambda rec=rec: loan_recovery_reverse(
                        recovery=rec, by=boss, reason="Salah catat", on=today
                    )
                )
                assert done
            else:
                if wo is None:
                    continue
                has_recovery = write_off_recovered(wo) > 0
                done = attempt(
                    lambda wo=wo: loan_write_off_reverse(
                        write_off=wo, by=ketua, reason="Salah", on=today
                    )
                )
                assert done == (not has_recovery)
            if not done:
                assert _snapshot(loan) == before, s
            _check(loan, today)
        transaction.savepoint_rollback(sid)
