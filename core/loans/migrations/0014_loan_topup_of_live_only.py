# A loan could be named by one top-up application only, ever (one-to-one): once that
# application was rejected the running loan could never be topped up again. Now one LIVE
# top-up per loan (a rejected application keeps its link but no longer holds the loan).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('loans', '0013_instalment_penalty_charged'),
    ]

    operations = [
        migrations.AlterField(
            model_name='loan',
            name='topup_of',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='topped_up_by', to='loans.loan', verbose_name='top-up atas pinjaman'),
        ),
        migrations.AddConstraint(
            model_name='loan',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'rejected'), _negated=True), fields=('topup_of',), name='loans_loan_one_live_topup'),
        ),
    ]
