"""A member leaves only through the exit settlement, which offsets their running loans
against their savings (or writes them off on death, by the board's decision) before it
sets the status. The database now refuses a member's status going from active to a
leaving one (resigned, retired, moved, deceased) while a loan of theirs is still running
(``disbursed``): set otherwise, the member would be marked as left owing the loan, which
the exit settlement could no longer reach.

The trigger sits on ``members_member`` but belongs here (loans sit above members). It
raises ``integrity_constraint_violation`` named ``members_member_leave_loans_running``,
with the member and the running loans (number, principal outstanding) as JSON in DETAIL;
``core.common.db_refusals`` reads it as the loans app's refusal
(``member_leave_loans_running``, registered in ``LoansConfig.ready``). An application not
disbursed does not hold the member (it is no money owed). Members already marked as left
are not touched. Table names go through ``TG_TABLE_SCHEMA`` (see ledger 0004)."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION loans_member_leave_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  loans json;
BEGIN
  EXECUTE format('SELECT json_agg(json_build_object(''number'', l.number,'
                 ' ''principal_outstanding'', l.principal_outstanding) ORDER BY l.id)'
                 ' FROM %I.loans_loan l WHERE l.member_id = $1 AND l.status = ''disbursed''',
                 TG_TABLE_SCHEMA)
    INTO loans USING NEW.id;
  IF loans IS NULL THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'loans: anggota % tidak dapat berstatus % dengan pinjaman berjalan: %',
      NEW.number, NEW.status, loans::text
    USING ERRCODE = 'integrity_constraint_violation',
          CONSTRAINT = 'members_member_leave_loans_running',
          DETAIL = json_build_object(
            'id', NEW.id, 'number', NEW.number, 'full_name', NEW.full_name,
            'status', NEW.status, 'loans', loans)::text;
END $$;

DROP TRIGGER IF EXISTS members_member_leave_loans_running ON members_member;
CREATE TRIGGER members_member_leave_loans_running BEFORE UPDATE OF status ON members_member
  FOR EACH ROW WHEN (OLD.status = 'active' AND NEW.status <> 'active')
  EXECUTE FUNCTION loans_member_leave_guard();
"""

REVERSE = """
DROP TRIGGER IF EXISTS members_member_leave_loans_running ON members_member;
DROP FUNCTION IF EXISTS loans_member_leave_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0009_left_member_read_only"),
        ("loans", "0020_deferred_penalty"),
    ]
    operations = [migrations.RunSQL(SQL, REVERSE)]
