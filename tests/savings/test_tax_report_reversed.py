"""The bendahara's bukti potong list (PPh on savings interest) after a monthly interest
run was reversed: the reversed run's interest and tax are no longer the member's (the
tax computation already ignores them), so the list must not report them — neither alone
nor on top of the month run again."""

from datetime import date
from decimal import Decimal

import pytest

from core.savings.selectors import interest_tax_report
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    savings_interest_reverse,
)
from tests.members import factories as f

from .test_interest import _fund

D = Decimal


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def run(products, teller, year):
    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.save()
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 1, 2))
    _fund(acc, D("100000000"), date(year, 1, 5), teller)
    return p, acc, savings_interest_accrue(product=p, year=year, month=2, by=teller)


def _row(acc, year):
    return next(
        (r for r in interest_tax_report(year=year, month=2) if r.member_id == acc.member_id),
        None,
    )


def test_a_reversed_run_is_not_on_the_bukti_potong_list(run, bendahara, year):
    p, acc, r = run
    before = _row(acc, year)
    assert before is not None and before.gross == D("500000") and before.tax == D("50000")
    savings_interest_reverse(run=r, by=bendahara, reason="tarif salah")
    assert _row(acc, year) is None


def test_a_month_run_again_is_reported_once(run, bendahara, teller, year):
    p, acc, r = run
    savings_interest_reverse(run=r, by=bendahara, reason="tarif salah")
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    row = _row(acc, year)
    assert (row.gross, row.tax, row.net) == (D("500000"), D("50000"), D("450000"))
