from datetime import date
from decimal import Decimal

from core.savings.services import savings_account_open, teller_deposit

from .conftest import assert_reconciled


def test_deposit_posts_balanced_entry(products, member_a, teller):
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=date.today())
    txn = teller_deposit(account=acc, amount=Decimal("150000"), channel="cash", on=date.today(), by=teller)
    assert txn.receipt_number.startswith("KW-")
    assert txn.journal_entry_id
    acc.refresh_from_db()
    assert acc.balance == Decimal("150000")
    assert_reconciled()
