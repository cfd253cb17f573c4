"""What the cooperative says it transferred, typed with its proof of transfer: the
operator checks it against the invoice before confirming (empty on earlier proofs)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0021_deleted_cooperatives_without_invoices'),
    ]

    operations = [
        migrations.AddField(
            model_name='paymentproof',
            name='amount_claimed',
            field=models.DecimalField(blank=True, decimal_places=0, max_digits=14, null=True, verbose_name='jumlah yang ditransfer (Rp)'),
        ),
        migrations.AddConstraint(
            model_name='paymentproof',
            constraint=models.CheckConstraint(condition=models.Q(('amount_claimed__isnull', True), ('amount_claimed__gt', 0), _connector='OR'), name='billing_payment_proof_amount_claimed_positive'),
        ),
    ]
