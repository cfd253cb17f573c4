"""Payments with an excess to principal and their reversals as a property: over random
sequences on one loan — ordinary payments (some with more than is owed, refused without
a target for the excess; some dated before a later payment settled a row, refused),
payments whose excess goes to principal (re-amortising the schedule, some paying it off,
some too large), reversals of the latest payment or of any (an earlier one refused) —
after every step: a refused step changes nothing; the books balance; the loan's
outstanding is the principal unpaid on its current schedule rows, the member's loans
receivable in the ledger equals it, and the loans sub-ledger ties to its control
accounts; ``Loan.schedule_version`` names the newest current rows. Reversing every
payment left, newest first, returns the loan to its disbursed state exactly (rows,
figures, schedule version, ledger balances)."""

from datetime import timedelta
from decimal import Decimal as D

from django.db import transaction
from django.db.models import Max, Sum
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from core.ledger.models import JournalEntry, JournalLine
from core.ledger.selectors import account_for_role, balances_check
from core.loans.arrears import loans_arrears_update
from core.loans.models import Instalment, Loan, LoanReversal, Repayment
from core.loans.services import loan_repay, loan_repayment_reverse
from tests.loans.conftest import ROW_FIELDS, assert_reconciled, attempt

LOAN_FIELDS = (
    "status",
    "principal_outstanding",
    "deferred_jasa",
    "deferred_penalty",
    "jasa_receivable",
    "closed_on",
    "closed_by",
    "days_past_due",
    "schedule_version",
)
# the loan was paid out 100 days ago: rows 1-3 late (with penalty) by the last day
DAYS_AGO = (45, 20, 0)

step = st.one_of(
    st.tuples(st.just("pay"), st.sampled_from(DAYS_AGO), st.integers(1, 4_000_000)),
    st.tuples(
        st.just("excess"),
        st.sampled_from(DAYS_AGO),
        st.one_of(st.integers(1_000_000, 6_000_000), st.integers(9_000_000, 12_000_000)),
    ),
    st.just(("reverse_latest",)),
    st.tuples(st.just("reverse_any"), st.integers(0, 5)),
)


def _rows(loan) -> list:
    return list(
        Instalment.objects.filter(loan=loan, is_current=True)
        .order_by("number")
        .values_list(*ROW_FIELDS)
    )


def _ledger() -> dict:
    return {
        (r["account_id"], r["member_id"]): r["d"] - r["c"]
        for r in JournalLine.objects.values("account_id", "member_id").annotate(
            d=Sum("debit"), c=Sum("credit")
        )
        if r["d"] != r["c"]
    }


def _state(loan) -> tuple:
    return (
        _rows(loan),
        Loan.objects.filter(pk=loan.pk).values_list(*LOAN_FIELDS).get(),
        _ledger(),
    )


def _snapshot(loan) -> tuple:
    """What a refused step must not change."""
    return (
        _state(loan),
        JournalEntry.objects.count(),
        Repayment.objects.count(),
        LoanReversal.objects.count(),
        Instalment.objects.filter(loan=loan).count(),
    )


def _check(loan) -> None:
    loan = Loan.objects.get(pk=loan.pk)
    assert balances_check() == []
    current = Instalment.objects.filter(loan=loan, is_current=True)
    unpaid = sum((r.principal - r.principal_paid for r in current), D(0))
    assert loan.principal_outstanding == unpaid
    t = JournalLine.objects.filter(
        account=account_for_role("loan_receivable"), member_id=loan.member_id
    ).aggregate(d=Sum("debit"), c=Sum("credit"))
    assert (t["d"] or D(0)) - (t["c"] or D(0)) == loan.principal_outstanding
    assert loan.schedule_version == current.aggregate(v=Max("version"))["v"]
    assert (loan.status == Loan.Status.CLOSED) == (unpaid == 0)
    assert_reconciled()


def _live(loan) -> list[Repayment]:
    return list(Repayment.objects.filter(loan=loan, reversal__isnull=True).order_by("pk"))


# no shrinking: each example runs a dozen services
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(steps=st.lists(step, min_size=1, max_size=7), payoff_fee=st.booleans())
def test_excess_payments_and_reversals_keep_schedule_loan_and_books_agreeing(
    make_loan, product, staff, today, steps, payoff_fee
):
    note(f"{steps=} {payoff_fee=}")
    teller, boss = staff["petugas"], staff["bendahara"]
    with transaction.atomic():
        sid = transaction.savepoint()
        # without the early-payoff penalty an excess may clear the loan (and close it)
        product.early_payoff_value = D(1) if payoff_fee else D(0)
        product.save(update_fields=["early_payoff_value"])
        loan = make_loan(days_ago=100)
        # graded by the daily run, as a reversal recomputes the days past due by its rule
        loans_arrears_update(on=today)
        disbursed = _state(loan)
        _check(loan)
        for s in steps:
            before = _snapshot(loan)
            live = _live(loan)
            if s[0] in ("pay", "excess"):
                _kind, days_ago, amount = s
                target = "principal" if s[0] == "excess" else ""
                done = attempt(
                    lambda amount=amount, days_ago=days_ago, target=target: loan_repay(
                        loan=Loan.objects.get(pk=loan.pk),
                        amount=D(amount),
                        by=teller,
                        on=today - timedelta(days=days_ago),
                        excess_to=target,
                    )
                )
            else:
                if not live:
                    continue
                rep = live[-1] if s[0] == "reverse_latest" else live[s[1] % len(live)]
                done = attempt(
                    lambda rep=rep: loan_repayment_reverse(
                        repayment=rep, by=boss, reason="Salah catat", on=today
                    )
                )
                # the latest payment is always reversible here, an earlier one never
                assert done == (rep.pk == live[-1].pk), s
            if not done:
                assert _snapshot(loan) == before, s
            _check(loan)
        # every payment left reversed, newest first: the loan as it was paid out
        for rep in reversed(_live(loan)):
            loan_repayment_reverse(repayment=rep, by=boss, reason="Salah catat", on=today)
            _check(loan)
        assert _state(loan) == disbursed
        transaction.savepoint_rollback(sid)
