"""A berjangka account of an interest-bearing product paid out in full at maturity starts
its next cycle, so whatever lands on it afterwards waits for the next payout date. A
finished month whose jasa the run has not paid yet would land after the payout and be
locked until next year (or cost the early-withdrawal penalty): the full payout is refused
until it is run, as the early withdrawal is, naming the month. A partial payout (the
account keeps its date, the jasa stays withdrawable) is not.

Hand figures: jasa 6 % a year on the average daily balance = 0.5 % a month."""

from datetime import date
from decimal import Decimal as D

import pytest

from core.common.errors import ApplicationError
from core.savings.models import SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    teller_deposit,
    teller_withdraw,
)
from tests.members import factories as f

from .conftest import assert_reconciled


@pytest.fixture
def payout(year):
    return date(year, 6, 2)


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


@pytest.fixture
def matured(products, teller, bendahara, year):
    """Rp 100,000 × 10 hari raya, payout date 1 June (of ``year``); 1,000,000 from 1 April; April's
    jasa run: 1,000,000 × 0.5 % = 5,000; May's not run yet."""
    p = products["berjangka"]
    p.payout_date = date(year, 6, 1)
    p.interest_enabled = True
    p.interest_rate_annual = D("6")
    p.interest_basis = "average"
    p.save()
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 4, 1))
    teller_deposit(account=acc, amount=D("1000000"), channel="cash", on=date(year, 4, 1), by=teller)
    assert savings_interest_accrue(product=p, year=year, month=4, by=bendahara).gross_interest == D(
        "5000"
    )
    acc.refresh_from_db()
    return acc


def test_full_payout_refused_while_a_finished_months_jasa_is_not_run(
    matured, teller, bendahara, year, payout
):
    before = SavingsTransaction.objects.count()
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=matured, amount=D("1005000"), channel="cash", on=payout, by=teller)
    assert e.value.code == "savings_bad_period"
    assert f"{matured.product.name} bulan Mei {year} belum dihitung" in e.value.message
    assert SavingsTransaction.objects.count() == before
    # May run: 1,005,000 × 0.5 % = 5,025; then the whole 1,010,025 is paid out, with
    # 1 June's jasa (1,010,025 / 30 × 0.5 % = 168.34 → 168: test_berjangka_payout_part_month)
    savings_interest_accrue(product=matured.product, year=year, month=5, by=bendahara)
    t = teller_withdraw(account=matured, amount=D("1010193"), channel="cash", on=payout, by=teller)
    matured.refresh_from_db()
    assert t.kind == "payout" and matured.balance == 0
    assert matured.payout_date > payout  # the next cycle
    assert_reconciled()


def test_a_partial_payout_is_not_held_up(matured, teller, year, payout):
    t = teller_withdraw(account=matured, amount=D("500000"), channel="cash", on=payout, by=teller)
    matured.refresh_from_db()
    assert t.kind == "payout" and matured.balance == D("505000")
    assert matured.payout_date == date(year, 6, 1)  # still withdrawable when May lands
