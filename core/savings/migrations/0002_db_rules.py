from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION savings_txn_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.journal_entry_id IS NULL AND NEW.journal_entry_id IS NOT NULL
     AND (to_jsonb(NEW) - 'journal_entry_id') = (to_jsonb(OLD) - 'journal_entry_id') THEN
    RETURN NEW;  -- attaching the journal entry once is the only change allowed
  END IF;
  RAISE EXCEPTION 'savings transactions are immutable (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
CREATE TRIGGER savings_txn_immutable BEFORE UPDATE OR DELETE ON savings_savingstransaction
  FOR EACH ROW EXECUTE FUNCTION savings_txn_guard();
CREATE TRIGGER savings_exit_immutable BEFORE UPDATE OR DELETE ON savings_exitsettlement
  FOR EACH ROW EXECUTE FUNCTION savings_txn_guard();
-- the balance of an account always equals the sum of its transactions' deltas
CREATE OR REPLACE FUNCTION savings_account_balance_check() RETURNS trigger AS $$
DECLARE s numeric; b numeric;
BEGIN
  EXECUTE format('SELECT COALESCE(SUM(delta), 0) FROM %I.savings_savingstransaction WHERE account_id = $1',
                 TG_TABLE_SCHEMA) INTO s USING NEW.id;
  -- the row as it is now (a deferred INSERT event's NEW is the row as first inserted)
  EXECUTE format('SELECT balance FROM %I.savings_savingsaccount WHERE id = $1',
                 TG_TABLE_SCHEMA) INTO b USING NEW.id;
  IF s <> b THEN
    RAISE EXCEPTION 'savings account % balance % differs from its transactions %', NEW.id, b, s
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
CREATE CONSTRAINT TRIGGER savings_account_balance_matches AFTER INSERT OR UPDATE ON savings_savingsaccount
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION savings_account_balance_check();
"""
REVERSE = """
DROP TRIGGER IF EXISTS savings_txn_immutable ON savings_savingstransaction;
DROP TRIGGER IF EXISTS savings_exit_immutable ON savings_exitsettlement;
DROP TRIGGER IF EXISTS savings_account_balance_matches ON savings_savingsaccount;
DROP FUNCTION IF EXISTS savings_txn_guard();
DROP FUNCTION IF EXISTS savings_account_balance_check();
"""


class Migration(migrations.Migration):
    dependencies = [("savings", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
