"""Late penalty (denda) under repayments and their reversal, as a property: over random
sequences on one loan with late instalments (payments of random whole-rupiah amounts on
random dates after due dates, so denda accrues, and reversals attempted in random order),
after every step each row's paid amounts stay within what it charges, the live
repayments' parts equal what the rows hold, the member's loan receivable, jasa and
penalty income in the ledger equal what the loan's rows say, and the loan is in exactly
the state a fresh loan reaches by replaying only the surviving payments."""

from datetime import timedelta
from decimal import Decimal as D

from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from core.common.errors import ApplicationError
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role
from core.loans.arrears import loans_days_past_due_set
from core.loans.models import Instalment, Loan, LoanProduct, Repayment
from core.loans.services import loan_payoff, loan_repay, loan_repayment_reverse
from core.loans.services.common import LoanErrors
from tests.loans.conftest import assert_reconciled
from tests.members import factories as f

ROW_FIELDS = (
    "number",
    "penalty_paid",
    "jasa_paid",
    "principal_paid",
    "jasa_waived",
    "penalty_periods",
    "penalty_charged",
    "settled",
    "settled_on",
)
DAYS_AGO = 190  # disbursed this long ago: five instalments fell due since

# a payment: a whole-rupiah amount (small ones pay only part of the denda due) dated days
# after the disbursement up to today: mostly after one or more due dates, so denda accrues
# (a few before the first, paying ahead)
payment = st.tuples(
    st.one_of(st.integers(1, 60_000), st.integers(60_000, 2_500_000)),
    st.integers(1, DAYS_AGO),
)


def _rows(loan) -> list[tuple]:
    return list(
        Instalment.objects.filter(loan=loan, is_current=True)
        .order_by("number")
        .values_list(*ROW_FIELDS)
    )


def _loan_state(loan) -> tuple:
    loan = Loan.objects.get(pk=loan.pk)
    return (
        loan.status,
        loan.principal_outstanding,
        loan.schedule_version,
        loan.closed_on,
        _rows(loan),
    )


def _member_balance(member_id: int, role: str) -> D:
    """The member's debit-less-credit on the account mapped to ``role``."""
    t = JournalLine.objects.filter(account=account_for_role(role), member_id=member_id).aggregate(
        d=Sum("debit"), c=Sum("credit")
    )
    return (t["d"] or D(0)) - (t["c"] or D(0))


def _check_invariants(loan) -> None:
    loan = Loan.objects.get(pk=loan.pk)
    rows = list(Instalment.objects.filter(loan=loan, is_current=True).order_by("number"))
    for r in rows:
        assert D(0) <= r.penalty_paid <= r.penalty_charged, r.number
        assert r.penalty_charged >= 0 and r.penalty_periods >= 0, r.number
        assert D(0) <= r.jasa_paid <= r.jasa - r.jasa_waived, r.number
        assert D(0) <= r.principal_paid <= r.principal, r.number
        assert r.settled == (
            r.principal_paid == r.principal and r.jasa_paid + r.jasa_waived == r.jasa
        )
    live = Repayment.objects.filter(loan=loan, reversal__isnull=True).aggregate(
        p=Sum("penalty"),
        j=Sum("jasa"),
        pr=Sum("principal"),
        fee=Sum("early_payoff_fee"),
        ahead=Sum("jasa_ahead_credited"),
    )
    paid_penalty = sum((r.penalty_paid for r in rows), D(0))
    paid_jasa = sum((r.jasa_paid for r in rows), D(0))
    paid_principal = sum((r.principal_paid for r in rows), D(0))
    assert (live["p"] or D(0)) == paid_penalty
    # a payoff counts the jasa paid ahead on rows not yet due toward the principal
    assert (live["j"] or D(0)) - (live["ahead"] or D(0)) == paid_jasa
    assert (live["pr"] or D(0)) == paid_principal
    assert loan.principal_outstanding == loan.principal - paid_principal
    # a payment and a reversal leave the days past due the daily arrears run would set
    if Repayment.objects.filter(loan=loan).exists():
        copy = Loan.objects.get(pk=loan.pk)
        loans_days_past_due_set(loans=[copy])
        assert loan.days_past_due == copy.days_past_due
    # the ledger, for this member (one loan): receivable, jasa income, penalty income
    m = loan.member_id
    assert _member_balance(m, "loan_receivable") == loan.principal_outstanding
    # penalty income also takes an early payoff's fee
    assert -_member_balance(m, "penalty_income") == paid_penalty + (live["fee"] or D(0))
    assert -_member_balance(m, "loan_interest_income") == paid_jasa


def _loan(make_loan) -> Loan:
    """Rp 6,000,000 over 12 months (flat 1%: 560,000 a month), disbursed ``DAYS_AGO``
    days ago to a member of its own (so the member's ledger lines are this loan's)."""
    return make_loan(
        principal=D(6_000_000),
        tenor=12,
        days_ago=DAYS_AGO,
        who=f.member(take_home_pay=D(20_000_000)),
    )


def _pay(loan, amount: D, on, by) -> Repayment:
    with transaction.atomic():
        return loan_repay(loan=loan, amount=amount, by=by, on=on, excess_to="sukarela")


def _try_pay(loan, amount: D, on, by) -> Repayment | None:
    """A payment, or None when it is dated before a payment that settled an instalment
    already (refused: payments are applied in date order; it changed nothing)."""
    try:
        return _pay(loan, amount, on, by)
    except ApplicationError as e:
        if e.code != LoanErrors.DATE_INVALID:
            raise
        event("a payment dated before one that settled an instalment: refused")
        return None


def _try_payoff(loan, on, by) -> Repayment | None:
    """An early payoff on ``on`` if the service takes it (not before the last payment)."""
    before = _loan_state(loan)
    try:
        with transaction.atomic():
            rep = loan_payoff(loan=loan, by=by, on=on)
    except ApplicationError:
        assert _loan_state(loan) == before
        event("payoff refused")
        return None
    event("payoff")
    return rep


def _try_reverse(loan, rep: Repayment, by) -> bool:
    """Reverse ``rep`` if the service accepts it; a refusal must be for its order (a later
    payment still live) or a second reversal, and must change nothing."""
    live_later = Repayment.objects.filter(loan=loan, pk__gt=rep.pk, reversal__isnull=True).exists()
    already = Repayment.objects.filter(pk=rep.pk, reversal__isnull=False).exists()
    before = _loan_state(loan)
    try:
        with transaction.atomic():
            loan_repayment_reverse(repayment=rep, by=by, reason="uji")
    except ApplicationError as e:
        assert e.code in (LoanErrors.REVERSAL_LATER, LoanErrors.ALREADY_REVERSED), e.message
        assert already or live_later, e.message
        assert _loan_state(loan) == before
        return False
    assert not already and not live_later
    return True


# no shrinking: an example runs up to a second (two loans, a dozen services), so shrinking
# a failure took minutes; ``note`` prints the failing example's steps as generated
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    payments=st.lists(payment, min_size=1, max_size=4),
    payoff=st.one_of(st.none(), st.integers(35, DAYS_AGO)),
    chosen=st.lists(st.booleans(), min_size=5, max_size=5),
    order=st.permutations(range(5)),
    after=st.lists(payment, max_size=1),
    basis=st.sampled_from(["per_month", "per_day"]),
    grace=st.sampled_from([0, 5, 40]),
)
def test_penalty_reversals_in_any_order_leave_the_state_of_the_surviving_payments(
    make_loan, staff, product, today, payments, payoff, chosen, order, after, basis, grace
):
    """A few payments of random amounts on random dates, mostly late (some dated before
    one made earlier, as a payroll batch is: refused, changing nothing, when that one settled
    an instalment), perhaps an early payoff; denda per month or
    per day, with or without grace days. A random subset of them reversed in random order
    (the service takes only the latest live one: the refused ones are tried again after
    the others, as a treasurer would); perhaps one more payment. The invariants hold
    after every step, and the loan ends exactly as a fresh loan paid only the surviving
    payments."""
    by, boss = staff["petugas"], staff["bendahara"]
    note(f"{payments=} {payoff=} {chosen=} {order=} {after=} {basis=} {grace=}")
    with transaction.atomic():
        sid = transaction.savepoint()
        rate = D("2") if basis == "per_month" else D("0.1")
        LoanProduct.objects.filter(pk=product.pk).update(
            late_penalty_basis=basis, late_penalty_rate=rate, late_penalty_grace_days=grace
        )
        loan = _loan(make_loan)
        start = loan.disbursed_on
        assert start == today - timedelta(days=DAYS_AGO)
        made = []
        for amount, day in payments:
            rep = _try_pay(loan, D(amount), start + timedelta(days=day), by)
            if rep is not None:
                made.append(rep)
            _check_invariants(loan)
        if payoff is not None:
            rep = _try_payoff(loan, start + timedelta(days=payoff), by)
            if rep is not None:
                made.append(rep)
            _check_invariants(loan)
        todo = [made[i] for i in order if i < len(made) and chosen[i]]
        while todo:
            refused = []
            for rep in todo:
                if _try_reverse(loan, rep, boss):
                    event(f"a reversal with denda: {rep.penalty > 0}")
                else:
                    refused.append(rep)
                _check_invariants(loan)
            if len(refused) == len(todo):
                break
            todo = refused
        for amount, day in after:
            if Loan.objects.get(pk=loan.pk).status == Loan.Status.DISBURSED:
                _try_pay(loan, D(amount), start + timedelta(days=day), by)
                _check_invariants(loan)
        assert_reconciled()
        survivors = list(Repayment.objects.filter(loan=loan, reversal__isnull=True).order_by("pk"))
        event(f"{len(survivors)} of {Repayment.objects.filter(loan=loan).count()} payments survive")
        fresh = _loan(make_loan)
        for r in survivors:
            if r.kind == Repayment.Kind.PAYOFF:
                with transaction.atomic():
                    loan_payoff(loan=fresh, by=by, on=r.paid_on)
            else:
                _pay(fresh, r.amount, r.paid_on, by)
        assert _loan_state(loan) == _loan_state(fresh)
        transaction.savepoint_rollback(sid)
