"""A month's jasa simpanan run after a later month's run of the same product: the later
month was paid on balances without this month's jasa (its opening lacks it), so running
the earlier month afterwards would pay the member less than the rule, for good. Refused,
naming the later run; nothing written. Reversing the later run first, then running the
months in order, pays both months by the rule."""

from datetime import date
from decimal import Decimal

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.ledger.models import JournalEntry
from core.savings.models import InterestRun, SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    savings_interest_reverse,
)
from tests.members import factories as f

from .conftest import assert_reconciled
from .test_interest import _fund

D = Decimal


@pytest.fixture
def funded(products, teller, year):
    p = products["sukarela"]
    p.interest_rate_annual = D("12")
    p.save()
    acc = savings_account_open(member=f.member(), product=p, on=date(year, 1, 1))
    _fund(acc, D("1000000"), date(year, 1, 1), teller)
    return p, acc


def test_a_month_before_the_latest_run_is_refused_and_nothing_is_written(funded, teller, year):
    p, acc = funded
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    entries = JournalEntry.objects.count()
    audits = AuditEvent.objects.count()
    with pytest.raises(ApplicationError) as e:
        savings_interest_accrue(product=p, year=year, month=2, by=teller)
    assert e.value.code == "savings_bad_period"
    assert f"Maret {year}" in str(e.value.message) and f"Februari {year}" in str(e.value.message)
    assert not InterestRun.objects.filter(product=p, year=year, month=2).exists()
    assert JournalEntry.objects.count() == entries
    assert AuditEvent.objects.count() == audits
    assert list(
        SavingsTransaction.objects.filter(account=acc, kind="interest").values_list("on", flat=True)
    ) == [date(year, 3, 31)]
    assert_reconciled()


def test_after_reversing_the_later_run_the_months_run_in_order_pay_by_the_rule(
    funded, teller, year
):
    p, acc = funded
    bendahara = f.user("bendahara")
    march = savings_interest_accrue(product=p, year=year, month=3, by=teller)
    savings_interest_reverse(run=march, by=bendahara, reason="bulan terlewat")
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    savings_interest_accrue(product=p, year=year, month=3, by=teller)
    credited = dict(
        SavingsTransaction.objects.filter(
            account=acc, kind="interest", reversed_by__isnull=True
        ).values_list("on", "amount")
    )
    # February on 1,000,000 at 1 % a month; March on 1,010,000 (February's jasa included)
    assert credited == {date(year, 2, 28): D("10000"), date(year, 3, 31): D("10100")}
    assert_reconciled()


def test_a_later_month_after_an_earlier_run_is_still_accepted(funded, teller, year):
    p, acc = funded
    savings_interest_accrue(product=p, year=year, month=2, by=teller)
    run = savings_interest_accrue(product=p, year=year, month=3, by=teller)
    assert run.gross_interest == D("10100")
