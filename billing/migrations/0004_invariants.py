"""Database guards: what a webhook said is never rewritten, and a paid invoice stays paid
with its amount."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION billing_webhook_event_frozen() RETURNS trigger AS $$
BEGIN
  IF NEW.raw_body IS DISTINCT FROM OLD.raw_body OR NEW.headers IS DISTINCT FROM OLD.headers
     OR NEW.valid IS DISTINCT FROM OLD.valid OR NEW.event_id IS DISTINCT FROM OLD.event_id
     OR NEW.event_type IS DISTINCT FROM OLD.event_type OR NEW.provider IS DISTINCT FROM OLD.provider THEN
    RAISE EXCEPTION 'billing_webhookevent: a received event is not rewritten (id %)', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_webhook_event_frozen BEFORE UPDATE ON billing_webhookevent
  FOR EACH ROW EXECUTE FUNCTION billing_webhook_event_frozen();

CREATE OR REPLACE FUNCTION billing_invoice_paid_final() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'paid' AND (NEW.status <> 'paid' OR NEW.amount <> OLD.amount
     OR NEW.paid_at IS DISTINCT FROM OLD.paid_at OR NEW.reference IS DISTINCT FROM OLD.reference) THEN
    RAISE EXCEPTION 'billing_invoice: invoice % is paid and cannot change', OLD.number
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_paid_final BEFORE UPDATE ON billing_invoice
  FOR EACH ROW EXECUTE FUNCTION billing_invoice_paid_final();
"""

REVERSE = """
DROP TRIGGER IF EXISTS billing_webhook_event_frozen ON billing_webhookevent;
DROP FUNCTION IF EXISTS billing_webhook_event_frozen();
DROP TRIGGER IF EXISTS billing_invoice_paid_final ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_paid_final();
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_backfill_subscriptions")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
