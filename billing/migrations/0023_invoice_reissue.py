"""A re-issue of a void invoice Stripe reported paid later (marked uncollectible, then
paid): ``Invoice.reissue_of``, one per void invoice (unique), paid. It carries the Stripe
invoice id too, so that id is now unique among the copies that re-issue nothing.

Triggers: a void invoice stays void on its day (never paid or reopened: the months it
was reported in never change), and only a void invoice is re-issued."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQL = """
CREATE OR REPLACE FUNCTION billing_invoice_void_final() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'void' AND (NEW.status <> 'void'
     OR NEW.voided_on IS DISTINCT FROM OLD.voided_on) THEN
    RAISE EXCEPTION 'billing_invoice: invoice % is void and cannot change', OLD.number
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_void_final BEFORE UPDATE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_void_final();

CREATE OR REPLACE FUNCTION billing_invoice_reissue_of_void() RETURNS trigger AS $$
BEGIN
  IF NEW.reissue_of_id IS NOT NULL AND NOT EXISTS (
     SELECT 1 FROM billing_invoice WHERE id = NEW.reissue_of_id AND status = 'void') THEN
    RAISE EXCEPTION 'billing_invoice: % re-issues invoice %, which is not void',
      NEW.number, NEW.reissue_of_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_reissue_of_void BEFORE INSERT OR UPDATE OF reissue_of_id
  ON billing_invoice FOR EACH ROW EXECUTE FUNCTION billing_invoice_reissue_of_void();
"""

REVERSE = """
DROP TRIGGER IF EXISTS billing_invoice_reissue_of_void ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_reissue_of_void();
DROP TRIGGER IF EXISTS billing_invoice_void_final ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_void_final();
"""


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0022_payment_proof_amount_claimed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='invoice',
            name='reissue_of',
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reissue', to='billing.invoice'),
        ),
        migrations.AlterField(
            model_name='invoice',
            name='stripe_invoice_id',
            field=models.CharField(blank=True, max_length=100, null=True),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(condition=models.Q(('reissue_of__isnull', True)), fields=('stripe_invoice_id',), name='billing_invoice_stripe_invoice_copied_once'),
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.CheckConstraint(condition=models.Q(('reissue_of__isnull', True), ('status', 'paid'), _connector='OR'), name='billing_invoice_reissue_is_paid'),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
