from django.db import migrations

# Same rule as 0002 (an account's balance equals the sum of its transactions), but
# (1) it compares the account's CURRENT balance: a deferred check runs at commit for every
# queued row version, and an earlier version (e.g. the insert with balance 0) must not be
# held against the final sum; (2) it uses a static query whose plan PL/pgSQL caches (the dynamic EXECUTE of 0002 was
# re-planned for every row: ~0.4 ms each, seconds for a 10,000-account import). The
# search_path is pointed at the trigger's own schema for the query and restored after,
# because a deferred check may fire after the connection moved to another schema.
SQL = """
CREATE OR REPLACE FUNCTION savings_account_balance_check() RETURNS trigger AS $$
DECLARE s numeric; b numeric; old_path text;
BEGIN
  old_path := current_setting('search_path');
  PERFORM set_config('search_path', quote_ident(TG_TABLE_SCHEMA), true);
  SELECT balance INTO b FROM savings_savingsaccount WHERE id = NEW.id;
  SELECT COALESCE(SUM(delta), 0) INTO s FROM savings_savingstransaction WHERE account_id = NEW.id;
  PERFORM set_config('search_path', old_path, true);
  IF b IS NOT NULL AND s <> b THEN
    RAISE EXCEPTION 'savings account % balance % differs from its transactions %', NEW.id, b, s
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""
REVERSE = """
CREATE OR REPLACE FUNCTION savings_account_balance_check() RETURNS trigger AS $$
DECLARE s numeric;
BEGIN
  EXECUTE format('SELECT COALESCE(SUM(delta), 0) FROM %I.savings_savingstransaction WHERE account_id = $1',
                 TG_TABLE_SCHEMA) INTO s USING NEW.id;
  IF s <> NEW.balance THEN
    RAISE EXCEPTION 'savings account % balance % differs from its transactions %', NEW.id, NEW.balance, s
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("savings", "0002_db_rules")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
