# A loan written off at a member's exit was recorded as closed by an early payoff.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('loans', '0014_loan_topup_of_live_only'),
    ]

    operations = [
        migrations.AlterField(
            model_name='loan',
            name='closed_by',
            field=models.CharField(blank=True, choices=[('repaid', 'Lunas sesuai jadwal'), ('payoff', 'Pelunasan dipercepat'), ('topup', 'Dilunasi oleh top-up'), ('writeoff', 'Dihapusbukukan')], max_length=10, verbose_name='lunas karena'),
        ),
    ]
