"""The check that every loan repayment has its journal entry at commit (0002, 0004) now
names itself: it raises ``integrity_constraint_violation`` with CONSTRAINT
``loans_repayment_entry_required`` and the loan's number as JSON in DETAIL, which
``core.common.db_refusals`` reads as the loans app's refusal
(``loan_repayment_entry_missing``, registered in ``LoansConfig.ready``): if some code
path ever writes a repayment and forgets its entry, the person reads that nothing was
saved, not a server error, and the path is logged to be fixed. The trigger itself
(deferred, on rows inserted without an entry, not the exit settlement's) is unchanged;
so is what it checks. Table names go through ``TG_TABLE_SCHEMA``.

The reverse restates 0002's function."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION loans_repayment_entry_required() RETURNS trigger AS $$
DECLARE e bigint; ch varchar; n varchar;
BEGIN
  -- schema-qualified: a deferred check may fire after search_path has changed
  EXECUTE format('SELECT r.entry_id, r.channel, l.number FROM %I.loans_repayment r'
                 ' JOIN %I.loans_loan l ON l.id = r.loan_id WHERE r.id = $1',
                 TG_TABLE_SCHEMA, TG_TABLE_SCHEMA)
    INTO e, ch, n USING NEW.id;
  IF ch IS NOT NULL AND e IS NULL AND ch <> 'settlement' THEN
    RAISE EXCEPTION 'loans_repayment % has no journal entry at commit', NEW.id
      USING ERRCODE = 'integrity_constraint_violation',
            CONSTRAINT = 'loans_repayment_entry_required',
            DETAIL = json_build_object('repayment', NEW.id, 'loan', n)::text;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;
"""

REVERSE = r"""
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
"""


class Migration(migrations.Migration):
    dependencies = [("loans", "0021_member_leave_loans_running")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
