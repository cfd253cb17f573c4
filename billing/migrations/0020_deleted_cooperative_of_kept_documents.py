"""Whose kept documents are whose: a cooperative deleted from the console
(``DeletedCooperative``: its id, address, name, NIK koperasi, NPWP and when it was
deleted), to which each invoice it leaves as a tax record points
(``Invoice.deleted_cooperative``), for the operators' list of deleted cooperatives' documents.

Backfill of invoices kept already (``subscription`` empty): each deletion's audit row
(``console.tenant_deleted``, public schema) lists the invoice numbers it kept, with the
cooperative's id, address, name and NIK koperasi and the time; the NPWP is the latest
kept invoice's. Kept invoices no audit row names are grouped by the buyer's name and
NPWP as issued, with no deletion time (not recorded)."""

import django.db.models.deletion
from django.db import migrations, models


DELETED = "console.tenant_deleted"  # lumbung.console.audit.ConsoleAudit.CONSOLE_TENANT_DELETED


def kept_invoices_group(apps, schema_editor):
    Invoice = apps.get_model("billing", "Invoice")
    DeletedCooperative = apps.get_model("billing", "DeletedCooperative")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    kept = Invoice.objects.filter(subscription__isnull=True, deleted_cooperative__isnull=True)
    if not kept.exists():
        return
    for event in AuditEvent.objects.filter(action=DELETED).order_by("created_at", "pk"):
        data = event.data if isinstance(event.data, dict) else {}
        numbers = [
            str(row.get("number"))
            for row in data.get("invoices") or []
            if isinstance(row, dict) and row.get("number")
        ]
        docs = kept.filter(number__in=numbers)
        latest = docs.order_by("-issued_on", "-pk").first()
        if latest is None:
            continue
        target = str(event.target_id or "")
        owner = DeletedCooperative.objects.create(
            cooperative_pk=int(target) if target.isascii() and target.isdigit() else None,
            slug=str(data.get("slug") or "")[:48],
            name=str(data.get("name") or latest.buyer_name)[:200],
            nik_koperasi=str(data.get("nik_koperasi") or "")[:30],
            npwp=latest.buyer_npwp,
            deleted_at=event.created_at,
        )
        docs.update(deleted_cooperative=owner)
    buyers = kept.order_by("buyer_name", "buyer_npwp").values_list("buyer_name", "buyer_npwp")
    for name, npwp in list(buyers.distinct()):
        docs = kept.filter(buyer_name=name, buyer_npwp=npwp)
        latest = docs.order_by("-issued_on", "-pk").first()
        owner = DeletedCooperative.objects.create(
            name=name[:200], nik_koperasi=latest.buyer_nik_koperasi[:30], npwp=npwp
        )
        docs.update(deleted_cooperative=owner)


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0019_invoice_voided_on"),
        ("audit", "0002_immutable"),
    ]

    operations = [
        migrations.CreateModel(
            name="DeletedCooperative",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("cooperative_pk", models.PositiveIntegerField(blank=True, null=True)),
                ("slug", models.CharField(blank=True, max_length=48, verbose_name="alamat")),
                ("name", models.CharField(max_length=200, verbose_name="nama koperasi")),
                (
                    "nik_koperasi",
                    models.CharField(blank=True, max_length=30, verbose_name="NIK koperasi"),
                ),
                ("npwp", models.CharField(blank=True, max_length=30, verbose_name="NPWP koperasi")),
                ("deleted_at", models.DateTimeField(blank=True, null=True, verbose_name="dihapus")),
            ],
            options={
                "verbose_name": "koperasi terhapus",
                "verbose_name_plural": "koperasi terhapus",
                "ordering": [
                    models.OrderBy(models.F("deleted_at"), descending=True, nulls_last=True),
                    "-id",
                ],
            },
        ),
        migrations.AddField(
            model_name="invoice",
            name="deleted_cooperative",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="invoices",
                to="billing.deletedcooperative",
            ),
        ),
        migrations.AddConstraint(
            model_name="invoice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("deleted_cooperative__isnull", True),
                    ("subscription__isnull", True),
                    _connector="OR",
                ),
                name="billing_invoice_deleted_cooperative_has_no_subscription",
            ),
        ),
        migrations.RunPython(kept_invoices_group, migrations.RunPython.noop),
    ]
