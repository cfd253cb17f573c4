"""Savings integrity (issue 22): a teller transaction is cancelled by a ``reversal``
transaction that points at it (once: unique), and every ledger account a savings product
posts to is a control account (``ledger_account.is_control``: manual journal lines on it
are refused) — marked by a trigger whenever a product is created or re-mapped, and for
the products that exist now."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


SQL = r"""
CREATE OR REPLACE FUNCTION savings_product_marks_control() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('UPDATE %I.ledger_account SET is_control = true'
                 ' WHERE id = $1 AND NOT is_control', TG_TABLE_SCHEMA) USING NEW.account_id;
  RETURN NULL;
END $$;
CREATE TRIGGER savings_product_marks_control AFTER INSERT OR UPDATE OF account_id
  ON savings_savingsproduct FOR EACH ROW EXECUTE FUNCTION savings_product_marks_control();
UPDATE ledger_account SET is_control = true
 WHERE id IN (SELECT account_id FROM savings_savingsproduct) AND NOT is_control;
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS savings_product_marks_control ON savings_savingsproduct;
DROP FUNCTION IF EXISTS savings_product_marks_control();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('ledger', '0008_integrity_control_accounts'),
        ('savings', '0007_product_interest_auto'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='savingstransaction',
            name='reverses',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='savings.savingstransaction', verbose_name='membatalkan'),
        ),
        migrations.AlterField(
            model_name='savingstransaction',
            name='kind',
            field=models.CharField(choices=[('deposit', 'Setoran'), ('withdrawal', 'Penarikan'), ('opening', 'Saldo awal'), ('interest', 'Jasa simpanan'), ('tax', 'PPh jasa simpanan'), ('settlement', 'Pengembalian (keluar anggota)'), ('payroll', 'Potong gaji'), ('payout', 'Pencairan'), ('transfer_in', 'Pemindahbukuan masuk'), ('transfer_out', 'Pemindahbukuan keluar'), ('reversal', 'Pembatalan')], max_length=14, verbose_name='jenis'),
        ),
        migrations.AddConstraint(
            model_name='savingstransaction',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'reversal'), ('reverses__isnull', False)), models.Q(models.Q(('kind', 'reversal'), _negated=True), ('reverses__isnull', True)), _connector='OR'), name='savings_txn_reversal_has_original'),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
