"""The search box in the top bar (core.overview.search) looks for part of a number, a
name, a NIP or a NIK: ``UPPER(col) LIKE '%…%'``, which Django writes for ``icontains``.
Trigram GIN indexes on ``UPPER(col)`` serve it (from three characters). Written as SQL:
Django renders ``OpClass`` index expressions correctly only with django.contrib.postgres
installed, which this project does not need otherwise."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0013_receipt_kind_shu_payout"),
    ]

    operations = [
        # One pg_trgm for the whole database, in the public schema that every cooperative's
        # search_path ends with (created in a cooperative's own schema, the next
        # cooperative would not see its operator classes).
        migrations.RunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public", migrations.RunSQL.noop
        ),
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS receipt_number_trgm ON ledger_receipt USING gin ((UPPER(number::text)) gin_trgm_ops)",
            "DROP INDEX IF EXISTS receipt_number_trgm",
        ),
    ]
