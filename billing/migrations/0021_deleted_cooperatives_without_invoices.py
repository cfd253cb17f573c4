"""Every deleted cooperative is on the operators' list (*Koperasi terhapus*), not only
those that left invoices: billing_records_purge now records each deletion as a
``DeletedCooperative``. Backfill of those deleted before without any invoice kept
(0020 grouped only kept invoices): each deletion's audit row (``console.tenant_deleted``,
public schema) whose cooperative has no row yet gives its id, address, name, NIK
koperasi and time. Running it again adds nothing."""

from django.db import migrations

DELETED = "console.tenant_deleted"  # lumbung.console.audit.ConsoleAudit.CONSOLE_TENANT_DELETED


def deleted_cooperatives_backfill(apps, schema_editor):
    DeletedCooperative = apps.get_model("billing", "DeletedCooperative")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    known = set(
        DeletedCooperative.objects.filter(cooperative_pk__isnull=False).values_list(
            "cooperative_pk", flat=True
        )
    )
    for event in AuditEvent.objects.filter(action=DELETED).order_by("created_at", "pk"):
        target = str(event.target_id or "")
        if not (target.isascii() and target.isdigit()) or int(target) in known:
            continue
        data = event.data if isinstance(event.data, dict) else {}
        slug = str(data.get("slug") or "")[:48]
        DeletedCooperative.objects.create(
            cooperative_pk=int(target),
            slug=slug,
            name=str(data.get("name") or event.target_repr or slug or f"#{target}")[:200],
            nik_koperasi=str(data.get("nik_koperasi") or "")[:30],
            deleted_at=event.created_at,
        )
        known.add(int(target))


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0020_deleted_cooperative_of_kept_documents"),
        ("audit", "0002_immutable"),
    ]

    operations = [
        migrations.RunPython(deleted_cooperatives_backfill, migrations.RunPython.noop),
    ]
