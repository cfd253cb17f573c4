"""Late penalty (denda) is charged on what is unpaid of an instalment, never on the part
already paid (issue 17 item 3): through the service, the payoff quote over the API, and a
property over any row state."""

from datetime import date, timedelta
from decimal import Decimal as D

from hypothesis import given, settings
from hypothesis import strategies as st

from core.loans import schedules as S
from core.loans.models import Instalment, Loan, LoanProduct
from core.loans.services import loan_dues, loan_repay, row_penalty_due
from tests.loans.conftest import assert_reconciled


def _mostly_paid(make_loan, staff, today):
    """Rp 10,000,000 flat 1% a month, 10 months (instalment 1,100,000), 2% a started month
    after 5 grace days; 1,000,000 of the first instalment paid before it fell due."""
    loan = make_loan(days_ago=45)
    row = loan.instalments.get(number=1)
    assert today - row.due_date > timedelta(days=5)
    loan_repay(
        loan=loan, amount=D(1_000_000), by=staff["petugas"], on=row.due_date - timedelta(days=1)
    )
    row.refresh_from_db()
    assert row.principal_left + row.jasa_left == D(100_000)
    return loan, row


def test_penalty_is_on_the_unpaid_part_of_the_instalment(make_loan, staff, today):
    loan, row = _mostly_paid(make_loan, staff, today)
    # today's code charged 2% of the whole 1,100,000 = 22,000
    assert row_penalty_due(loan, row, today) == D(2_000)
    assert loan_dues(loan, today).penalty == D(2_000)
    rep = loan_repay(loan=loan, amount=D(102_000), by=staff["petugas"], on=today)
    assert (rep.penalty, rep.jasa + rep.principal) == (D(2_000), D(100_000))
    assert_reconciled()


def test_payoff_quote_over_the_api_charges_penalty_on_the_unpaid_part(
    make_loan, staff, today, client_a
):
    loan, _row = _mostly_paid(make_loan, staff, today)
    client_a.force_login(staff["petugas"])
    r = client_a.get(f"/api/v1/loans/{loan.pk}/payoff-quote/?on={today.isoformat()}")
    assert r.status_code == 200, r.content
    assert D(r.json()["penalty"]) == D(2_000)


@settings(max_examples=300, deadline=None)
@given(
    principal=st.integers(0, 5_000_000),
    jasa=st.integers(0, 500_000),
    paid_share=st.fractions(0, 1),
    jasa_paid_share=st.fractions(0, 1),
    days_late=st.integers(0, 800),
    rate=st.decimals("0", "10", places=2),
    basis=st.sampled_from(["per_day", "per_month"]),
    grace=st.integers(0, 10),
)
def test_penalty_never_exceeds_rate_times_unpaid(
    principal, jasa, paid_share, jasa_paid_share, days_late, rate, basis, grace
):
    """Per day or started month late, the penalty is at most the rate of what is unpaid."""
    product = LoanProduct(late_penalty_rate=rate, late_penalty_basis=basis)
    product.late_penalty_grace_days = grace
    loan = Loan(product=product)
    p_paid = D(int(principal * paid_share))
    j_paid = D(int(jasa * jasa_paid_share))
    due = date(2026, 1, 10)
    row = Instalment(
        due_date=due, principal=D(principal), jasa=D(jasa), principal_paid=p_paid, jasa_paid=j_paid
    )
    on = due + timedelta(days=days_late)
    unpaid = D(principal) - p_paid + D(jasa) - j_paid
    pen = row_penalty_due(loan, row, on)
    days = max(days_late - grace, 0)
    periods = days if basis == "per_day" else -(-days // 30)
    assert D(0) <= pen <= S.rupiah(rate * unpaid / 100 * periods)
    if unpaid == 0:
        assert pen == 0
