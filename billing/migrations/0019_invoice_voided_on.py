"""The day an invoice was made void (``voided_on``), so an invoice voided after its month
stays in that month's e-Faktur data and is cancelled in the month it was voided.

Backfill: an invoice already void gets its issue day. Until now a void invoice was left
out of its month's data whenever that month was exported after the void; dating the
void on the issue day keeps every month's data as it was produced (still left out, no
cancellation row), rather than add rows to months already exported."""

from django.db import migrations, models
from django.db.models import F


def voided_on_backfill(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    Invoice.objects.filter(status="void").update(voided_on=F("issued_on"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0018_buyer_identity_snapshot")]

    operations = [
        migrations.AddField(
            model_name="invoice",
            name="voided_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(voided_on_backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(("status", "void"), ("voided_on__isnull", False))
                | (~models.Q(("status", "void")) & models.Q(("voided_on__isnull", True))),
                name="billing_invoice_void_has_its_day",
            ),
        ),
    ]
