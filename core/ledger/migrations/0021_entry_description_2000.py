"""A journal entry's description holds 2,000 characters (was 500): a reversal writes the
reason whole into it ("Pembalik JU-…: <label>: <reason>") and the loans and exits screens
and API accept a reason of up to 1,000, which did not fit in 500 with the label.

Widening a varchar is a catalog-only change in PostgreSQL (no table rewrite, no index
rebuild; the trigram indexes do not cover this column); the immutability triggers
(BEFORE UPDATE/DELETE on rows) do not fire on ALTER TABLE, and no view or rule reads the
column. Journal lines (the only COPY path) are untouched."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0020_ledger_export"),
    ]

    operations = [
        migrations.AlterField(
            model_name="journalentry",
            name="description",
            field=models.CharField(max_length=2000, verbose_name="uraian"),
        ),
    ]
