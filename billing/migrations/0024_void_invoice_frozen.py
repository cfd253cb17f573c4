"""A void invoice never changes (not only its status and void day, billing 0023): it is
in the e-Faktur data of the month it was issued in (when voided after it) and
cancelled in the month of its void, both from the row as it stands, and its PDF is
stamped DIBATALKAN with the same figures. So the trigger also refuses a change to its
number, reference and Stripe id, its figures (amount, credit taken off it, DPP, PPN,
PPN rate), its dates and period (issued, due, paid, period start and end), what it
was for (plan, interval, kind, provider) and the buyer as issued. What still moves:
its cooperative's deletion (subscription emptied, ``deleted_cooperative`` set, an
empty buyer name filled in, billing_records_purge), and bookkeeping that is not on
the document (hosted URL, reminders)."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION billing_invoice_void_final() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'void' AND (NEW.status <> 'void'
     OR NEW.voided_on IS DISTINCT FROM OLD.voided_on
     OR NEW.number IS DISTINCT FROM OLD.number
     OR NEW.reference IS DISTINCT FROM OLD.reference
     OR NEW.stripe_invoice_id IS DISTINCT FROM OLD.stripe_invoice_id
     OR NEW.provider IS DISTINCT FROM OLD.provider
     OR NEW.kind IS DISTINCT FROM OLD.kind
     OR NEW.plan_id IS DISTINCT FROM OLD.plan_id
     OR NEW."interval" IS DISTINCT FROM OLD."interval"
     OR NEW.amount IS DISTINCT FROM OLD.amount
     OR NEW.credit_applied IS DISTINCT FROM OLD.credit_applied
     OR NEW.dpp IS DISTINCT FROM OLD.dpp
     OR NEW.ppn IS DISTINCT FROM OLD.ppn
     OR NEW.ppn_rate IS DISTINCT FROM OLD.ppn_rate
     OR NEW.issued_on IS DISTINCT FROM OLD.issued_on
     OR NEW.due_on IS DISTINCT FROM OLD.due_on
     OR NEW.period_start IS DISTINCT FROM OLD.period_start
     OR NEW.period_end IS DISTINCT FROM OLD.period_end
     OR NEW.paid_at IS DISTINCT FROM OLD.paid_at
     OR (OLD.buyer_name <> '' AND NEW.buyer_name IS DISTINCT FROM OLD.buyer_name)
     OR NEW.buyer_npwp IS DISTINCT FROM OLD.buyer_npwp
     OR NEW.buyer_address IS DISTINCT FROM OLD.buyer_address
     OR NEW.buyer_legal_number IS DISTINCT FROM OLD.buyer_legal_number
     OR NEW.buyer_nik_koperasi IS DISTINCT FROM OLD.buyer_nik_koperasi
     OR NEW.buyer_email IS DISTINCT FROM OLD.buyer_email
     OR NEW.buyer_identity_known IS DISTINCT FROM OLD.buyer_identity_known) THEN
    RAISE EXCEPTION 'billing_invoice: invoice % is void and cannot change', OLD.number
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""

# billing 0023's function: the trigger that calls it stays as it is
REVERSE = """
CREATE OR REPLACE FUNCTION billing_invoice_void_final() RETURNS trigger AS $$
BEGIN
  IF OLD.status = 'void' AND (NEW.status <> 'void'
     OR NEW.voided_on IS DISTINCT FROM OLD.voided_on) THEN
    RAISE EXCEPTION 'billing_invoice: invoice % is void and cannot change', OLD.number
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0023_invoice_reissue")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
