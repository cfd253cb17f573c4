"""Move-in test set-up: staff, a cut-over date two months back (its month and the next
are open, so a payroll run after it can be made), members, a loan product."""

from calendar import monthrange
from datetime import date
from decimal import Decimal as D

import pytest
from django.utils import timezone

from core.ledger.selectors import account_for_role
from core.loans.models import LoanProduct
from tests.members import factories as f


@pytest.fixture
def staff(in_tenant_a):
    return {r: f.user(r) for r in ("admin", "bendahara", "petugas", "pengawas")}


@pytest.fixture
def by(staff):
    return staff["bendahara"]


@pytest.fixture
def cutover():
    today = timezone.localdate()
    y, m = today.year, today.month - 2
    if m < 1:
        y, m = y - 1, m + 12
    return date(y, m, monthrange(y, m)[1])


@pytest.fixture
def product(in_tenant_a):
    return LoanProduct.objects.create(
        code="PINJ",
        name="Pinjaman Uang",
        method="flat",
        rate=D("1"),
        rate_period="month",
        min_amount=D("1000000"),
        max_amount=D("100000000"),
        min_tenor=1,
        max_tenor=60,
        late_penalty_rate=D("0"),
    )


@pytest.fixture
def members(in_tenant_a):
    return [f.member(full_name=f"Anggota {i}") for i in range(3)]


def code(role: str) -> str:
    return account_for_role(role).code


@pytest.fixture
def move_in(by, cutover):
    from core.onboarding.services import move_in_start

    return move_in_start(cutover_date=cutover, by=by)


@pytest.fixture
def agencies(in_tenant_a):
    f.agency("DISDIK", "Dinas Pendidikan")
    f.agency("RSUD", "RSUD")


@pytest.fixture
def moved(move_in, by, members, product, cutover, agencies):
    """Trial balance ``helpers.TB`` posted, two loans brought in (one in arrears); the
    members and savings not yet imported."""
    from core.onboarding.loans_import import loans_import
    from core.onboarding.services import trial_balance_post

    from .helpers import arrears_row, loan_row, tb_rows

    trial_balance_post(move_in=move_in, rows=tb_rows(), by=by)
    loans_import(
        move_in=move_in,
        rows=[loan_row(members[0], cutover), arrears_row(members[1], cutover)],
        by=by,
    )
    move_in.refresh_from_db()
    return move_in
