"""An arrears run's kind stored on the run (``daily``: as of the day it was made;
``as_of``: as of a past month's last day, made later), where it was read from the run's
audit row (``as_of_past``) on every page. Runs made before: filled from their audit row;
a run without one from its dates (dated before the day it was made: ``as_of``). The
reverse drops the column (the audit rows still say it)."""

from django.db import migrations, models
from django.utils import timezone

ARREARS_RUN = "loan.arrears.run"


def kind_from_audit(apps, schema_editor):
    ArrearsRun = apps.get_model("loans", "ArrearsRun")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    events = AuditEvent.objects.filter(action=ARREARS_RUN, target_type="loans.arrearsrun")
    audited = set(events.values_list("target_id", flat=True))
    as_of = set(events.filter(data__as_of_past=True).values_list("target_id", flat=True))
    ids = []
    for pk, on, created_at in ArrearsRun.objects.values_list("pk", "on", "created_at"):
        if str(pk) in audited:
            if str(pk) in as_of:
                ids.append(pk)
        elif on < timezone.localdate(created_at):
            ids.append(pk)
    ArrearsRun.objects.filter(pk__in=ids).update(kind="as_of")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_immutable"),
        ("loans", "0023_write_off"),
    ]

    operations = [
        migrations.AddField(
            model_name="arrearsrun",
            name="kind",
            field=models.CharField(
                choices=[("daily", "Harian"), ("as_of", "Per akhir bulan lalu")],
                default="daily",
                max_length=8,
                verbose_name="jenis",
            ),
        ),
        migrations.RunPython(kind_from_audit, migrations.RunPython.noop),
    ]
