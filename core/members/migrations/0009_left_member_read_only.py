"""A member who has left (resigned, retired, moved, deceased) is a closed record until the
exit is reversed; the services, screens and API already refuse the changes, now the
database does too.

``members_member``: an UPDATE of a row whose OLD status is not active may only

- reverse the exit: status back to active with the exit date and reason cleared
  (``exit_settlement_reverse``);
- take the portal login off (``user_id`` to NULL: moved to the new membership by
  ``member_rejoin_carry``, or the login deleted), or give it back while a later
  membership of the same person exists (``member_rejoin_revert``, the move-in's undo);
- touch ``updated_at``.

Any other column changed is refused, naming the columns. A column added later is
protected too (the row is compared as a whole, ``to_jsonb``).

``members_heir``: no heir of a member who has left is added, changed, moved or deleted
(``heir_add`` / ``heir_deactivate`` refuse it; a re-joining member's heirs are copies on
the new membership).

Both raise ``integrity_constraint_violation`` naming a constraint
(``members_member_left_read_only``, ``members_heir_left_read_only``) with the member as
JSON in DETAIL: ``core.common.db_refusals`` turns it into the services' own refusal
(``member_not_active``, 409) on the screen and in the API. Table names go through
``TG_TABLE_SCHEMA`` (see ledger 0004)."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION members_member_left_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  changed text[];
  has_next boolean;
BEGIN
  SELECT coalesce(array_agg(n.key ORDER BY n.key), '{}') INTO changed
    FROM jsonb_each(to_jsonb(NEW)) n JOIN jsonb_each(to_jsonb(OLD)) o USING (key)
   WHERE n.value IS DISTINCT FROM o.value
     AND n.key <> 'updated_at'
     -- the exit reversed: active again, its date and reason cleared
     AND NOT (n.key IN ('status', 'exit_date', 'exit_reason')
              AND NEW.status = 'active' AND NEW.exit_date IS NULL AND NEW.exit_reason = '');
  IF 'user_id' = ANY (changed) THEN
    IF NEW.user_id IS NULL THEN
      changed := array_remove(changed, 'user_id');  -- the login taken off
    ELSIF OLD.user_id IS NULL THEN
      -- given back by the later membership it had moved to (the move-in's undo)
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.members_member'
                     ' WHERE previous_member_id = $1)', TG_TABLE_SCHEMA)
        INTO has_next USING OLD.id;
      IF has_next THEN
        changed := array_remove(changed, 'user_id');
      END IF;
    END IF;
  END IF;
  IF cardinality(changed) = 0 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'members: anggota % sudah keluar (%, %): % tidak dapat diubah',
      OLD.number, OLD.status, OLD.exit_date, array_to_string(changed, ', ')
    USING ERRCODE = 'integrity_constraint_violation',
          CONSTRAINT = 'members_member_left_read_only',
          DETAIL = json_build_object(
            'id', OLD.id, 'number', OLD.number, 'full_name', OLD.full_name,
            'status', OLD.status, 'exit_date', OLD.exit_date, 'columns', changed)::text;
END $$;

DROP TRIGGER IF EXISTS members_member_left_read_only ON members_member;
CREATE TRIGGER members_member_left_read_only BEFORE UPDATE ON members_member
  FOR EACH ROW WHEN (OLD.status <> 'active') EXECUTE FUNCTION members_member_left_guard();

CREATE OR REPLACE FUNCTION members_heir_left_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  ids bigint[];
  m_id bigint; m_number text; m_name text; m_status text; m_exit date;
BEGIN
  IF TG_OP = 'INSERT' THEN
    ids := ARRAY[NEW.member_id];
  ELSIF TG_OP = 'DELETE' THEN
    ids := ARRAY[OLD.member_id];
  ELSE
    ids := ARRAY[OLD.member_id, NEW.member_id];
  END IF;
  EXECUTE format('SELECT id, number, full_name, status, exit_date FROM %I.members_member'
                 ' WHERE id = ANY ($1) AND status <> ''active'' ORDER BY id LIMIT 1',
                 TG_TABLE_SCHEMA)
    INTO m_id, m_number, m_name, m_status, m_exit USING ids;
  IF m_id IS NULL THEN
    IF TG_OP = 'DELETE' THEN
      RETURN OLD;
    END IF;
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'members: anggota % sudah keluar (%, %): ahli warisnya tidak dapat diubah (%)',
      m_number, m_status, m_exit, TG_OP
    USING ERRCODE = 'integrity_constraint_violation',
          CONSTRAINT = 'members_heir_left_read_only',
          DETAIL = json_build_object(
            'id', m_id, 'number', m_number, 'full_name', m_name,
            'status', m_status, 'exit_date', m_exit)::text;
END $$;

DROP TRIGGER IF EXISTS members_heir_left_read_only ON members_heir;
CREATE TRIGGER members_heir_left_read_only BEFORE INSERT OR UPDATE OR DELETE ON members_heir
  FOR EACH ROW EXECUTE FUNCTION members_heir_left_guard();
"""

REVERSE = """
DROP TRIGGER IF EXISTS members_heir_left_read_only ON members_heir;
DROP FUNCTION IF EXISTS members_heir_left_guard();
DROP TRIGGER IF EXISTS members_member_left_read_only ON members_member;
DROP FUNCTION IF EXISTS members_member_left_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("members", "0008_heir_carried_from")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
