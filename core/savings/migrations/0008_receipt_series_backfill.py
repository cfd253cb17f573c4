"""The savings receipts move to the ledger's gap-free series per kind and year (issue 17
item 9): deposits SET, withdrawals TAR. Every receipt already issued (KW-/TR- numbers,
kept as they are) is recorded in its series with its sequence number, and the series'
counter continues after the last one (KW-2026-000123 is followed by SET-2026-000124)."""

from django.db import migrations

KINDS = {"KW": "SET", "TR": "TAR"}


def backfill(apps, schema_editor):
    SavingsTransaction = apps.get_model("savings", "SavingsTransaction")
    ReceiptSequence = apps.get_model("savings", "ReceiptSequence")
    Receipt = apps.get_model("ledger", "Receipt")
    ReceiptSeries = apps.get_model("ledger", "ReceiptSeries")
    last: dict[tuple[str, int], int] = {}
    rows = []
    for pk, number, on in (
        SavingsTransaction.objects.filter(receipt_number__isnull=False)
        .order_by("pk")
        .values_list("pk", "receipt_number", "on")
    ):
        prefix, _sep, rest = number.partition("-")
        year, _sep, seq = rest.partition("-")
        if prefix not in KINDS or not year.isdigit() or not seq.isdigit():
            continue
        kind, year, seq = KINDS[prefix], int(year), int(seq)
        rows.append(
            Receipt(
                kind=kind,
                year=year,
                seq=seq,
                number=number,
                source_ref=f"savings-txn:{pk}",
                issued_on=on,
            )
        )
        last[(kind, year)] = max(last.get((kind, year), 0), seq)
    Receipt.objects.bulk_create(rows, ignore_conflicts=True)
    for s in ReceiptSequence.objects.all():
        if s.prefix in KINDS:
            key = (KINDS[s.prefix], s.year)
            last[key] = max(last.get(key, 0), s.last)
    for (kind, year), n in last.items():
        ReceiptSeries.objects.update_or_create(kind=kind, year=year, defaults={"last": n})


class Migration(migrations.Migration):
    dependencies = [
        ("savings", "0007_product_interest_auto"),
        ("ledger", "0007_receipt_series"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
