"""A teller cancellation dated back into a month whose jasa simpanan has been run would
rewrite that month's balances after the interest was paid on them: the bukti potong,
the statement and any re-run would then disagree with what was credited (money paid on
a balance the sub-ledger says was not there). Refused; today's date (after the run) is
fine."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.ledger.services import fiscal_year_ensure
from core.savings.models import SavingsTransaction
from core.savings.services import (
    savings_account_open,
    savings_interest_accrue,
    teller_reverse,
)
from tests.members import factories as f

from .conftest import assert_reconciled
from .test_interest import _fund

D = Decimal


@pytest.fixture
def bendahara(in_tenant_a):
    return f.user("bendahara")


def test_reversal_dated_into_a_month_already_run_is_refused(products, teller, bendahara, today):
    p = products["sukarela"]
    p.interest_rate_annual = D("6")
    p.save()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    two_back = (last_month_end.replace(day=1) - timedelta(days=1)).replace(day=10)
    fiscal_year_ensure(year=two_back.year)  # in January/February: last year, opened first
    acc = savings_account_open(member=f.member(), product=p, on=date(two_back.year, 1, 1))
    _fund(acc, D("10000000"), two_back, teller)
    dep = SavingsTransaction.objects.get(account=acc, kind="deposit")
    savings_interest_accrue(
        product=p, year=last_month_end.year, month=last_month_end.month, by=teller
    )
    with pytest.raises(ApplicationError) as e:
        teller_reverse(
            txn=dep, on=last_month_end.replace(day=1), reason="salah setor", by=bendahara
        )
    assert e.value.code == "savings_reversal_interest_run"
    assert not SavingsTransaction.objects.filter(reverses=dep).exists()
    # dated today, after the run: the cancellation is this month's
    teller_reverse(txn=dep, on=today, reason="salah setor", by=bendahara)
    assert_reconciled()
