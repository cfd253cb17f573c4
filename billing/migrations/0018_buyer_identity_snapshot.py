"""An invoice and a credit note (nota retur) carry the buyer's whole identity as issued:
besides the name, NPWP and address, the cooperative's legal number (badan hukum), NIK
koperasi and billing e-mail, which the PDF read from the cooperative until now (gone
once it was deleted, changed when it was edited).

Backfill: a document whose cooperative still exists gets them from it (what its PDF
showed until now), and a blank name too; a note gets its invoice's. A document whose
cooperative was already deleted cannot know them: they stay empty and it is marked
``buyer_identity_known = False`` (its PDF says they are not recorded)."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def buyer_identity_copy(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    CreditNote = apps.get_model("billing", "CreditNote")
    Subscription = apps.get_model("billing", "Subscription")

    def coop(field):
        return Subquery(
            Subscription.objects.filter(pk=OuterRef("subscription_id")).values(
                f"cooperative__{field}"
            )[:1]
        )

    Invoice.objects.filter(subscription__isnull=False).update(
        buyer_legal_number=coop("legal_number"),
        buyer_nik_koperasi=coop("nik_koperasi"),
        buyer_email=coop("email"),
        buyer_identity_known=True,
    )
    Invoice.objects.filter(subscription__isnull=False, buyer_name="").update(
        buyer_name=coop("name")
    )
    Invoice.objects.filter(subscription__isnull=True).update(buyer_identity_known=False)

    def invoice(field):
        return Subquery(Invoice.objects.filter(pk=OuterRef("invoice_id")).values(field)[:1])

    CreditNote.objects.update(
        buyer_legal_number=invoice("buyer_legal_number"),
        buyer_nik_koperasi=invoice("buyer_nik_koperasi"),
        buyer_email=invoice("buyer_email"),
        buyer_identity_known=invoice("buyer_identity_known"),
    )
    CreditNote.objects.filter(buyer_name="").update(buyer_name=invoice("buyer_name"))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0017_keep_tax_records_of_deleted_cooperatives"),
    ]

    operations = [
        migrations.AddField(
            model_name="creditnote",
            name="buyer_email",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="buyer_identity_known",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="buyer_legal_number",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="creditnote",
            name="buyer_nik_koperasi",
            field=models.CharField(blank=True, max_length=30),
        ),
        migrations.AddField(
            model_name="invoice",
            name="buyer_email",
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="invoice",
            name="buyer_identity_known",
            field=models.BooleanField(default=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="buyer_legal_number",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name="invoice",
            name="buyer_nik_koperasi",
            field=models.CharField(blank=True, max_length=30),
        ),
        migrations.RunPython(buyer_identity_copy, migrations.RunPython.noop),
    ]
