"""Issue 17 item 9: the savings receipts issued before the ledger's series (KW-/TR-) keep
their numbers, are recorded in the series, and the series continues after them."""

import importlib
from datetime import date
from decimal import Decimal

from django.apps import apps
from django.db import transaction

from core.ledger.models import JournalEntry, Receipt, ReceiptSeries
from core.ledger.selectors import receipt_gaps
from core.ledger.services import LineSpec, journal_post
from core.savings.models import ReceiptSequence
from core.savings.services import (
    receipt_number_next,
    savings_account_open,
    savings_deposit_apply,
    transactions_link_entry,
)

backfill = importlib.import_module("core.savings.migrations.0008_receipt_series_backfill").backfill


def test_old_receipts_are_recorded_and_the_series_continues(products, member_a, teller, year):
    acc = savings_account_open(member=member_a, product=products["sukarela"], on=date(year, 1, 2))
    txns = []
    for n in (1, 2):
        a = savings_deposit_apply(
            account=acc,
            amount=Decimal("10000"),
            on=date(year, 1, 3),
            by=teller,
            receipt_number=f"KW-{year}-{n:06d}",
        )
        e = journal_post(
            on=date(year, 1, 3),
            description="setoran lama",
            lines=[LineSpec("1101", debit=Decimal("10000")), *a.lines],
            source=JournalEntry.Source.SAVINGS,
            by=teller,
        )
        transactions_link_entry(transactions=[a.transaction], entry=e)
        txns.append(a.transaction)
    ReceiptSequence.objects.create(prefix="KW", year=year, last=2)
    backfill(apps, None)
    assert ReceiptSeries.objects.get(kind="SET", year=year).last == 2
    assert Receipt.objects.get(source_ref=f"savings-txn:{txns[1].pk}").number == f"KW-{year}-000002"
    assert receipt_gaps(kind="SET", year=year) == []
    with transaction.atomic():
        assert receipt_number_next(prefix="SET", on=date(year, 2, 1)) == f"SET-{year}-000003"
