"""Seeders: default products at tenant creation; demo loans, idempotent."""

from decimal import Decimal as D

from core.loans.models import Loan, LoanProduct, LoanSettings, Repayment
from core.loans.seeding import loans_demo_seed, loans_tenant_seed
from tests.loans.conftest import assert_reconciled
from tests.members import factories as f


def test_new_cooperative_has_default_products_and_settings(in_tenant_a):
    assert set(LoanProduct.objects.values_list("code", flat=True)) >= {"PU", "PA", "PD"}
    assert LoanSettings.objects.filter(id=1).exists()
    assert loans_tenant_seed() == 0  # idempotent


def test_demo_seed_makes_running_loans_with_repayments_once(staff, in_tenant_a):
    for _ in range(8):
        f.member(take_home_pay=D("12000000"))
    loans_demo_seed()
    disbursed = (
        Loan.objects.filter(purpose__endswith="(demo)")
        .exclude(status="applied")
        .exclude(status="verified")
    )
    assert disbursed.count() >= 5
    assert Repayment.objects.filter(loan__in=disbursed).count() >= 10
    assert Loan.objects.filter(purpose__endswith="(demo)", days_past_due__gt=0).exists()
    assert_reconciled()
    n, r = Loan.objects.count(), Repayment.objects.count()
    loans_demo_seed()
    assert (Loan.objects.count(), Repayment.objects.count()) == (n, r)
