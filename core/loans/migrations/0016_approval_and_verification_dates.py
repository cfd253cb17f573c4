# The chair's approval date (and the treasurer's verification date) as business dates a
# person enters, so a loan recorded late can carry the dates of its paper file; the
# *_at timestamps stay the click times for the audit. Existing loans take the day of
# their timestamps, kept inside applied_on..disbursed_on (brought-in loans were stamped
# at import time, after their disbursement).

from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE loans_loan SET verified_on = GREATEST(applied_on, LEAST(
    (verified_at AT TIME ZONE %(tz)s)::date, COALESCE(disbursed_on, 'infinity'::date)))
 WHERE verified_at IS NOT NULL;
UPDATE loans_loan SET approved_on = GREATEST(COALESCE(verified_on, applied_on), LEAST(
    (approved_at AT TIME ZONE %(tz)s)::date, COALESCE(disbursed_on, 'infinity'::date)))
 WHERE approved_at IS NOT NULL;
"""


def backfill(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(BACKFILL, {"tz": settings.TIME_ZONE})
        # the UPDATE queued the table's deferred checks; run them now, or the constraint
        # added next fails with "pending trigger events" on a schema that has loans
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ('loans', '0015_loan_closed_by_writeoff'),
    ]

    operations = [
        migrations.AddField(
            model_name='loan',
            name='approved_on',
            field=models.DateField(blank=True, null=True, verbose_name='tanggal persetujuan'),
        ),
        migrations.AddField(
            model_name='loan',
            name='verified_on',
            field=models.DateField(blank=True, null=True, verbose_name='tanggal verifikasi'),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='loan',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('verified_on__isnull', True), ('verified_on__gte', models.F('applied_on')), _connector='OR'), models.Q(('approved_on__isnull', True), models.Q(('approved_on__gte', models.F('applied_on')), models.Q(('verified_on__isnull', True), ('approved_on__gte', models.F('verified_on')), _connector='OR')), _connector='OR'), models.Q(('disbursed_on__isnull', True), ('approved_on__isnull', True), ('disbursed_on__gte', models.F('approved_on')), _connector='OR')), name='loans_loan_workflow_dates_in_order'),
        ),
    ]
