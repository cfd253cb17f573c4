"""A hari raya product's payout date that has passed (last Eid's, not yet moved to the
next) must not become the payout date of an account opened after it: such an account
was withdrawable at once and never asked for on the deduction list (its payout date
already behind). Opened then, the account matures when its term has run from opening."""

from datetime import timedelta
from decimal import Decimal

import pytest

from core.common.dates import add_months
from core.common.errors import ApplicationError
from core.savings.services import savings_account_open, teller_deposit, teller_withdraw

D = Decimal


def test_account_opened_after_the_products_payout_date_matures_by_its_term(
    products, member_a, teller, today
):
    p = products["berjangka"]
    p.payout_date = today - timedelta(days=30)
    p.save()
    acc = savings_account_open(member=member_a, product=p, on=today)
    assert acc.payout_date == add_months(today, p.term_months)
    teller_deposit(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    with pytest.raises(ApplicationError) as e:
        teller_withdraw(account=acc, amount=D("100000"), channel="cash", on=today, by=teller)
    assert e.value.code == "savings_not_withdrawable"


def test_a_payout_date_still_ahead_is_the_accounts(products, member_a, today):
    p = products["berjangka"]
    p.payout_date = today + timedelta(days=60)
    p.save()
    acc = savings_account_open(member=member_a, product=p, on=today)
    assert acc.payout_date == p.payout_date
