"""A berjangka (hari raya) product given a minimum balance: its payout in full on/after
the payout date is what the product is for, and was refused as leaving less than the
minimum, so the member's savings could never be paid out at the counter. Paid out in
full now (the account starts its next cycle); a partial payout still keeps the minimum."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.common.errors import ApplicationError
from core.savings.models import SavingsTransaction
from core.savings.services import savings_account_open, teller_deposit, teller_withdraw

from .conftest import assert_reconciled

D = Decimal


@pytest.fixture
def matured(products, member_a, teller, today):
    p = products["berjangka"]
    p.minimum_balance = D("10000")
    p.payout_date = today - timedelta(days=1)
    p.save()
    acc = savings_account_open(
        member=member_a, product=p, on=today - timedelta(days=300), payout_date=p.payout_date
    )
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    return acc


def test_a_payout_in_full_is_paid_despite_the_products_minimum(matured, teller, today):
    txn = teller_withdraw(account=matured, amount=D("100000"), channel="cash", on=today, by=teller)
    matured.refresh_from_db()
    assert txn.kind == SavingsTransaction.Kind.PAYOUT and txn.amount == D("100000")
    assert matured.balance == 0 and matured.payout_date > today
    assert_reconciled()


def test_a_partial_payout_below_the_minimum_is_still_refused(matured, teller, today):
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=matured, amount=D("95000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_below_minimum"
    matured.refresh_from_db()
    assert matured.balance == D("100000")
