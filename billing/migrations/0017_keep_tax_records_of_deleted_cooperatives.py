"""An issued invoice and credit note (nota retur) are tax records, kept after their
cooperative is deleted (billing_records_purge empties their subscription): each names
its buyer itself. Rows issued before invoices carried the buyer's name get the
cooperative's name copied on now (what the e-Faktur data and the PDF showed for them),
and each note keeps why the money was credited (its credit entry's reason), which the
note's PDF shows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def buyer_names_copy(apps, schema_editor):
    for name in ("Invoice", "CreditNote"):
        model = apps.get_model("billing", name)
        for row in model.objects.filter(buyer_name="", subscription__isnull=False).select_related(
            "subscription__cooperative"
        ):
            row.buyer_name = row.subscription.cooperative.name[:200]
            row.save(update_fields=["buyer_name"])
    notes = apps.get_model("billing", "CreditNote").objects
    for note in notes.filter(credit_reason="", credit_entry__isnull=False).select_related(
        "credit_entry"
    ):
        note.credit_reason = note.credit_entry.reason
        note.save(update_fields=["credit_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0016_upgrade_difference_backfill"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="creditnote",
            name="credit_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("upgrade_difference", "Selisih naik paket tidak terpakai"),
                    ("applied", "Dipakai untuk tagihan"),
                    ("invoice_voided", "Tagihan dibatalkan, kredit dikembalikan"),
                    ("duplicate_payment", "Periode yang sama dibayar dua kali"),
                    ("refund", "Dikembalikan lewat transfer bank"),
                ],
                max_length=30,
            ),
        ),
        migrations.AlterField(
            model_name="creditnote",
            name="credit_entry",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_note",
                to="billing.creditentry",
            ),
        ),
        migrations.AlterField(
            model_name="creditnote",
            name="subscription",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="credit_notes",
                to="billing.subscription",
            ),
        ),
        migrations.AlterField(
            model_name="invoice",
            name="subscription",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoices",
                to="billing.subscription",
            ),
        ),
        migrations.AddConstraint(
            model_name="creditnote",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("credit_entry__isnull", False), ("subscription__isnull", False)),
                    models.Q(("buyer_name", ""), _negated=True),
                    _connector="OR",
                ),
                name="billing_credit_note_kept_names_its_buyer",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("subscription__isnull", False),
                    models.Q(("buyer_name", ""), _negated=True),
                    _connector="OR",
                ),
                name="billing_invoice_kept_names_its_buyer",
            ),
        ),
        migrations.RunPython(buyer_names_copy, migrations.RunPython.noop),
    ]
