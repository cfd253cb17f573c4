"""Database rules for loans that a CHECK cannot express.

- A repayment must be linked to its journal entry by commit (deferred constraint
  trigger), except an exit settlement's (posted by the savings settlement entry).
- Repayments are immutable except linking the entry once (NULL -> value).
- Journal-linked rows of loans are never deleted.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION loans_repayment_entry_required() RETURNS trigger AS $$
DECLARE e bigint; ch varchar;
BEGIN
  -- schema-qualified: a deferred check may fire after search_path has changed
  EXECUTE format('SELECT entry_id, channel FROM %I.loans_repayment WHERE id = $1', TG_TABLE_SCHEMA)
    INTO e, ch USING NEW.id;
  IF ch IS NOT NULL AND e IS NULL AND ch <> 'settlement' THEN
    RAISE EXCEPTION 'loans_repayment % has no journal entry at commit', NEW.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER loans_repayment_entry_required
  AFTER INSERT ON loans_repayment DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION loans_repayment_entry_required();

CREATE OR REPLACE FUNCTION loans_repayment_immutable() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'DELETE on loans_repayment is not allowed'
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.entry_id IS NULL AND NEW.entry_id IS NOT NULL
     AND (to_jsonb(NEW) - 'entry_id') = (to_jsonb(OLD) - 'entry_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'UPDATE on loans_repayment is not allowed (only linking the entry once)'
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER loans_repayment_immutable BEFORE UPDATE OR DELETE ON loans_repayment
  FOR EACH ROW EXECUTE FUNCTION loans_repayment_immutable();

CREATE TRIGGER loans_reschedule_immutable BEFORE UPDATE OR DELETE ON loans_reschedule
  FOR EACH ROW EXECUTE FUNCTION lumbung_forbid_change();
"""

REVERSE = """
DROP TRIGGER IF EXISTS loans_reschedule_immutable ON loans_reschedule;
DROP TRIGGER IF EXISTS loans_repayment_immutable ON loans_repayment;
DROP FUNCTION IF EXISTS loans_repayment_immutable();
DROP TRIGGER IF EXISTS loans_repayment_entry_required ON loans_repayment;
DROP FUNCTION IF EXISTS loans_repayment_entry_required();
"""


class Migration(migrations.Migration):
    dependencies = [("loans", "0001_initial"), ("audit", "0002_immutable")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
