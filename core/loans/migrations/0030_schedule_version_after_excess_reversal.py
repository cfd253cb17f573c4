# A payment whose excess went to principal, reversed before this migration, put the
# schedule rows it had re-amortised back to history and the rows they replaced current
# again, but left ``Loan.schedule_version`` at the re-amortised (now history) version's
# number. Each such loan's version is set to the newest version among its current rows,
# the one it names after every other change (a reschedule replacing those rows records
# it as the version it replaced). A loan with no current rows (its disbursement reversed
# since) keeps its number: the next disbursement writes a version above every row's.

from django.db import migrations
from django.db.models import Max


def schedule_version_from_current_rows(apps, schema_editor):
    Loan = apps.get_model("loans", "Loan")
    Instalment = apps.get_model("loans", "Instalment")
    Repayment = apps.get_model("loans", "Repayment")
    loan_ids = set(
        Repayment.objects.filter(reversal__isnull=False, schedule_before__has_key="version_to")
        .exclude(schedule_before__version_to=None)
        .values_list("loan_id", flat=True)
    )
    newest = dict(
        Instalment.objects.filter(loan_id__in=loan_ids, is_current=True)
        .values("loan_id")
        .annotate(v=Max("version"))
        .values_list("loan_id", "v")
    )
    for loan in Loan.objects.filter(pk__in=list(newest)).only("pk", "schedule_version"):
        if loan.schedule_version != newest[loan.pk]:
            Loan.objects.filter(pk=loan.pk).update(schedule_version=newest[loan.pk])


class Migration(migrations.Migration):
    dependencies = [
        ("loans", "0029_repayment_schedule_before"),
    ]

    operations = [
        migrations.RunPython(schedule_version_from_current_rows, migrations.RunPython.noop),
    ]
