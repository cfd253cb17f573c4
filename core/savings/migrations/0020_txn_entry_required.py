"""Every savings transaction has its journal entry by commit (a deferred constraint
trigger), as every loan repayment has (loans 0002/0004): the sub-ledger reconciles with
the ledger and the API's ``journal_entry`` is never null.

Money moves in savings only with a journal entry (docs/domain: double entry, always), so
no kind of movement is exempt. A movement is written before its entry is posted (the
entry needs its lines) and linked right after (``transactions_link_entry``, the one
UPDATE ``savings_txn_guard`` allows: NULL to a value, once), in the same transaction; the
payroll batch and the member import write theirs already linked. Only rows inserted
without an entry queue the check (the WHEN clause is evaluated at insert time): a row
inserted linked cannot lose the link, so the batches pay nothing at commit. At commit
the row is read again (schema-qualified: a deferred check may fire after search_path has
changed); a row no longer there (a move-in undone removes its linked opening rows) needs
nothing.

Rows written before this migration are not checked (the trigger fires on INSERT only):
the migration reads and changes no row.
"""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION savings_txn_entry_required() RETURNS trigger AS $$
DECLARE e bigint; k varchar; a bigint;
BEGIN
  -- schema-qualified: a deferred check may fire after search_path has changed
  EXECUTE format('SELECT journal_entry_id, kind, account_id FROM %I.savings_savingstransaction'
                 ' WHERE id = $1', TG_TABLE_SCHEMA)
    INTO e, k, a USING NEW.id;
  IF k IS NOT NULL AND e IS NULL THEN
    RAISE EXCEPTION 'savings transaction % (%, account %) has no journal entry at commit',
      NEW.id, k, a
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER savings_txn_entry_required
  AFTER INSERT ON savings_savingstransaction DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.journal_entry_id IS NULL)
  EXECUTE FUNCTION savings_txn_entry_required();
"""

REVERSE = """
DROP TRIGGER IF EXISTS savings_txn_entry_required ON savings_savingstransaction;
DROP FUNCTION IF EXISTS savings_txn_entry_required();
"""


class Migration(migrations.Migration):
    dependencies = [("savings", "0019_exitsettlement_left_open")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
