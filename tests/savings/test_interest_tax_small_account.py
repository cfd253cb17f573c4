"""PPh on savings interest is the member's for the month across all accounts: a second
product's run may owe tax on the first product's interest too. When the second
product's account holds less than that tax, the run must still post (the whole
product's month, for every member, must not fail on one account going below zero), the
tax must be withheld in full and the books must reconcile."""

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from core.ledger.models import JournalLine
from core.ledger.selectors import account_balance, account_for_role
from core.savings.models import SavingsTransaction
from core.savings.selectors import interest_tax_report
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    savings_product_create,
)
from tests.members import factories as f

from .conftest import assert_reconciled
from .test_interest import _fund

D = Decimal


@pytest.fixture
def sukarela(products):
    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.save()
    return p


@pytest.fixture
def second(products):
    return savings_product_create(
        by="tests",
        code="SSP",
        kind="sukarela",
        name="Sukarela Plus",
        interest_enabled=True,
        interest_rate_annual=D("6"),
        interest_auto=False,
    )


def test_tax_above_the_small_accounts_balance_is_withheld_in_full(sukarela, second, teller, year):
    m = f.member()
    a1 = savings_account_open(member=m, product=sukarela, on=date(year, 1, 2))
    a2 = savings_account_open(member=m, product=second, on=date(year, 1, 2))
    _fund(a1, D("48000000"), date(year, 1, 5), teller)  # 240,000 a month: no tax alone
    _fund(a2, D("2000"), date(year, 1, 5), teller)  # 10 a month
    tax_before = account_balance(account=account_for_role("tax_payable"))
    r1 = savings_interest_accrue(product=sukarela, year=year, month=2, by=teller)
    assert (r1.gross_interest, r1.tax) == (D("240000"), D("0"))
    # the member's month is 240,010: 10% of it, 24,001, is due, far above a2's 2,010
    r2 = savings_interest_accrue(product=second, year=year, month=2, by=teller)
    assert r2.gross_interest == D("10")
    a1.refresh_from_db()
    a2.refresh_from_db()
    assert a2.balance >= 0 and a1.balance >= 0
    withheld = SavingsTransaction.objects.filter(account__member=m, kind="tax").aggregate(
        s=Sum("amount")
    )["s"]
    assert withheld == D("24001")
    assert a1.balance + a2.balance == D("48000000") + D("2000") + D("240010") - D("24001")
    assert account_balance(account=account_for_role("tax_payable")) - tax_before == D("24001")
    row = next(r for r in interest_tax_report(year=year, month=2) if r.member_id == m.pk)
    assert (row.gross, row.tax) == (D("240010"), D("24001"))
    assert_reconciled()
    t = JournalLine.objects.aggregate(d=Sum("debit"), c=Sum("credit"))
    assert t["d"] == t["c"]


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


def test_first_product_run_again_after_its_reversal_does_not_tax_twice(
    sukarela,
    second,
    teller,
    bendahara,
    year,
):
    from core.savings.services import savings_interest_reverse

    m = f.member()
    a1 = savings_account_open(member=m, product=sukarela, on=date(year, 1, 2))
    a2 = savings_account_open(member=m, product=second, on=date(year, 1, 2))
    _fund(a1, D("48000000"), date(year, 1, 5), teller)
    _fund(a2, D("2000"), date(year, 1, 5), teller)
    r1 = savings_interest_accrue(product=sukarela, year=year, month=2, by=teller)
    savings_interest_accrue(product=second, year=year, month=2, by=teller)
    savings_interest_reverse(run=r1, by=bendahara, reason="tarif salah")
    again = savings_interest_accrue(product=sukarela, year=year, month=2, by=teller)
    # the PPh on the month's 240,010 was withheld in full by the second run already
    assert (again.gross_interest, again.tax) == (D("240000"), D("0"))
    row = next(r for r in interest_tax_report(year=year, month=2) if r.member_id == m.pk)
    assert (row.gross, row.tax) == (D("240010"), D("24001"))
    assert_reconciled()


def test_refused_cleanly_when_no_account_holds_the_tax(sukarela, second, teller, year):
    from core.common.errors import ApplicationError
    from core.savings.services import teller_withdraw

    sukarela.minimum_balance = D("0")
    sukarela.save()
    m = f.member()
    a1 = savings_account_open(member=m, product=sukarela, on=date(year, 1, 2))
    a2 = savings_account_open(member=m, product=second, on=date(year, 1, 2))
    _fund(a1, D("48000000"), date(year, 1, 5), teller)
    _fund(a2, D("2000"), date(year, 1, 5), teller)
    savings_interest_accrue(product=sukarela, year=year, month=2, by=teller)
    a1.refresh_from_db()
    teller_withdraw(account=a1, amount=a1.balance, channel="cash", on=date(year, 3, 2), by=teller)
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=second, year=year, month=2, by=teller)
    assert e.value.code == "savings_insufficient_balance" and m.full_name in str(e.value.message)
    a2.refresh_from_db()
    assert a2.balance == D("2000")
    assert not SavingsTransaction.objects.filter(account=a2, kind="interest").exists()
