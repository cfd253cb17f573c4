"""Savings transactions stay immutable, with one exception: the undo of a move-in
(``core.onboarding.services.move_in_undo``) removes the opening balances its member import
brought in. Only rows of kind ``opening`` whose journal entry has been reversed, and only
while that service has set ``lumbung.move_in_undo`` for its own transaction."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION savings_txn_guard() RETURNS trigger AS $$
DECLARE reversed boolean;
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.journal_entry_id IS NULL AND NEW.journal_entry_id IS NOT NULL
     AND (to_jsonb(NEW) - 'journal_entry_id') = (to_jsonb(OLD) - 'journal_entry_id') THEN
    RETURN NEW;  -- attaching the journal entry once is the only change allowed
  END IF;
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'savings_savingstransaction'
     AND OLD.kind = 'opening' AND OLD.journal_entry_id IS NOT NULL
     AND current_setting('lumbung.move_in_undo', true) = 'on' THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.ledger_journalentry WHERE reverses_id = $1)',
                   TG_TABLE_SCHEMA) INTO reversed USING OLD.journal_entry_id;
    IF reversed THEN
      RETURN OLD;  -- a move-in undone: its opening balances, their entry reversed
    END IF;
  END IF;
  RAISE EXCEPTION 'savings transactions are immutable (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
"""

REVERSE = """
CREATE OR REPLACE FUNCTION savings_txn_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'UPDATE'
     AND OLD.journal_entry_id IS NULL AND NEW.journal_entry_id IS NOT NULL
     AND (to_jsonb(NEW) - 'journal_entry_id') = (to_jsonb(OLD) - 'journal_entry_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'savings transactions are immutable (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("savings", "0011_exit_settlement_reversal"), ("ledger", "0001_initial")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
