"""A member leaves only through the exit settlement, which pays out and closes every
savings account of theirs before it sets the status. The database now refuses a member's
status going from active to a leaving one (resigned, retired, moved, deceased) while they
still hold an OPEN savings account (with money in it or not): a code path, a shell or an
SQL statement that set it otherwise would leave the member marked as left with their
savings open, which the teller refuses to pay out (*gunakan penyelesaian keluar*).

The trigger sits on ``members_member`` but belongs here: the savings app knows both
tables (members sit below savings). It raises ``integrity_constraint_violation`` named
``members_member_leave_savings_open``, with the member and the open accounts (number,
balance) as JSON in DETAIL; ``core.common.db_refusals`` reads it as the savings app's
refusal (``member_leave_savings_open``, registered in ``SavingsConfig.ready``), which
``member_status_set`` raises and the API / screens show. Members already marked as left
with accounts open are not touched (the trigger fires only on the change from active);
the exit screen settles them (``exit_settlement_left_open_confirm``). Table names go
through ``TG_TABLE_SCHEMA`` (see ledger 0004)."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION savings_member_leave_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  accounts json;
BEGIN
  EXECUTE format('SELECT json_agg(json_build_object(''number'', a.number, ''balance'', a.balance)'
                 ' ORDER BY a.id) FROM %I.savings_savingsaccount a'
                 ' WHERE a.member_id = $1 AND a.status = ''open''', TG_TABLE_SCHEMA)
    INTO accounts USING NEW.id;
  IF accounts IS NULL THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'savings: anggota % tidak dapat berstatus % dengan rekening simpanan terbuka: %',
      NEW.number, NEW.status, accounts::text
    USING ERRCODE = 'integrity_constraint_violation',
          CONSTRAINT = 'members_member_leave_savings_open',
          DETAIL = json_build_object(
            'id', NEW.id, 'number', NEW.number, 'full_name', NEW.full_name,
            'status', NEW.status, 'accounts', accounts)::text;
END $$;

DROP TRIGGER IF EXISTS members_member_leave_savings_open ON members_member;
CREATE TRIGGER members_member_leave_savings_open BEFORE UPDATE OF status ON members_member
  FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status <> 'active')
  EXECUTE FUNCTION savings_member_leave_guard();
"""

REVERSE = """
DROP TRIGGER IF EXISTS members_member_leave_savings_open ON members_member;
DROP FUNCTION IF EXISTS savings_member_leave_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_left_member_read_only"),
        ("savings", "0017_capital_balance_brought_in"),
    ]
    operations = [migrations.RunSQL(SQL, REVERSE)]
