"""Receipt numbers: one gap-free series per kind and year, taken inside the posting
transaction (the series row locked FOR UPDATE until commit, as the journal locks its
entry-number counter), each number recorded with what it was issued for."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from ..models import Receipt, ReceiptSeries


def receipt_number_take(*, kind: str, on: date, source_ref: str = "") -> str:
    """The next number of ``kind``'s series in ``on``'s year, e.g. ``ANG-2026-000001``.
    Must run inside the transaction that posts what the receipt is for: a rollback gives
    the number back, so a committed series has no gap."""
    kind = ReceiptSeries.Kind(kind)
    if not connection.in_atomic_block:  # a number outside a posting could leave a gap
        raise RuntimeError("receipt_number_take must run inside the posting transaction")
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_receiptseries (kind, year, last) VALUES (%s, %s, 0)"
            " ON CONFLICT (kind, year) DO NOTHING",
            [kind.value, on.year],
        )
    series = ReceiptSeries.objects.select_for_update().get(kind=kind, year=on.year)
    series.last += 1
    series.save(update_fields=["last"])
    number = f"{kind.value}-{on.year}-{series.last:06d}"
    Receipt.objects.create(
        kind=kind, year=on.year, seq=series.last, number=number, source_ref=source_ref, issued_on=on
    )
    return number


@transaction.atomic
def receipt_source_set(*, number: str, source_ref: str) -> None:
    """Record what a number taken before its row existed was issued for."""
    Receipt.objects.filter(number=number, source_ref="").update(source_ref=source_ref)
