"""The check that every savings transaction has its journal entry at commit (0020) now
names itself: it raises ``integrity_constraint_violation`` with CONSTRAINT
``savings_txn_entry_required`` and the transaction's kind and account number as JSON in
DETAIL, which ``core.common.db_refusals`` reads as the savings app's refusal
(``savings_entry_missing``, registered in ``SavingsConfig.ready``): if some code path
ever writes a movement and forgets its entry, the person reads that nothing was saved,
not a server error, and the path is logged to be fixed. The trigger itself (deferred,
on rows inserted without an entry) is unchanged; so is what it checks.

The reverse restates 0020's function."""

from importlib import import_module

from django.db import migrations

m0020 = import_module("core.savings.migrations.0020_txn_entry_required")

SQL = r"""
CREATE OR REPLACE FUNCTION savings_txn_entry_required() RETURNS trigger AS $$
DECLARE e bigint; k varchar; a bigint; n varchar;
BEGIN
  -- schema-qualified: a deferred check may fire after search_path has changed
  EXECUTE format('SELECT t.journal_entry_id, t.kind, t.account_id, s.number'
                 ' FROM %I.savings_savingstransaction t'
                 ' JOIN %I.savings_savingsaccount s ON s.id = t.account_id WHERE t.id = $1',
                 TG_TABLE_SCHEMA, TG_TABLE_SCHEMA)
    INTO e, k, a, n USING NEW.id;
  IF k IS NOT NULL AND e IS NULL THEN
    RAISE EXCEPTION 'savings transaction % (%, account %) has no journal entry at commit',
      NEW.id, k, a
      USING ERRCODE = 'integrity_constraint_violation',
            CONSTRAINT = 'savings_txn_entry_required',
            DETAIL = json_build_object('transaction', NEW.id, 'kind', k, 'account', n)::text;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""

# 0020's function only (its trigger stays)
REVERSE = m0020.SQL.split("CREATE CONSTRAINT TRIGGER")[0]


class Migration(migrations.Migration):
    dependencies = [("savings", "0020_txn_entry_required")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
