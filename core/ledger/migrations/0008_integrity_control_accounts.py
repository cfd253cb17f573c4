"""Control accounts of the sub-ledgers take no manual journal lines.

- ``ledger_account.is_control``: set by the database when an account is mapped to a
  control role (``CONTROL_ROLES`` in ``core.ledger.services.accounts``: loan receivable,
  PPAP, the four savings roles) — and, from the savings app's migration, when a savings
  product points at it. Once set it stays set (a trigger refuses clearing it): the
  account's history belongs to a sub-ledger.
- a statement trigger on the lines refuses any line on a control account in an entry
  whose source is ``manual``.
"""

from django.db import migrations, models

CONTROL_ROLES = (
    "loan_receivable",
    "ppap_allowance",
    "savings_pokok",
    "savings_wajib",
    "savings_sukarela",
    "savings_berjangka",
)
ROLES_SQL = ", ".join(f"'{r}'" for r in CONTROL_ROLES)

SQL = rf"""
CREATE OR REPLACE FUNCTION ledger_role_marks_control() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.key IN ({ROLES_SQL}) THEN
    EXECUTE format('UPDATE %I.ledger_account SET is_control = true'
                   ' WHERE id = $1 AND NOT is_control', TG_TABLE_SCHEMA) USING NEW.account_id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_role_marks_control AFTER INSERT OR UPDATE OF key, account_id
  ON ledger_accountrole FOR EACH ROW EXECUTE FUNCTION ledger_role_marks_control();

CREATE OR REPLACE FUNCTION ledger_account_control_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.is_control AND NOT NEW.is_control THEN
    RAISE EXCEPTION 'ledger: akun % adalah akun kontrol buku pembantu dan tetap begitu', OLD.code
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_account_control_kept BEFORE UPDATE OF is_control ON ledger_account
  FOR EACH ROW EXECUTE FUNCTION ledger_account_control_kept();

CREATE OR REPLACE FUNCTION ledger_lines_control_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s text := quote_ident(TG_TABLE_SCHEMA);
  bad_code text;
BEGIN
  EXECUTE 'SELECT a.code FROM new_lines n'
       || ' JOIN ' || s || '.ledger_journalentry e ON e.id = n.entry_id'
       || ' JOIN ' || s || '.ledger_account a ON a.id = n.account_id'
       || ' WHERE e.source = ''manual'' AND a.is_control LIMIT 1'
    INTO bad_code;
  IF bad_code IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: akun % adalah akun kontrol buku pembantu; jurnal manual ditolak', bad_code
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_line_control_check AFTER INSERT ON ledger_journalline
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT
  EXECUTE FUNCTION ledger_lines_control_check();

UPDATE ledger_account SET is_control = true
 WHERE id IN (SELECT account_id FROM ledger_accountrole WHERE key IN ({ROLES_SQL}));
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_line_control_check ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_lines_control_check();
DROP TRIGGER IF EXISTS ledger_account_control_kept ON ledger_account;
DROP FUNCTION IF EXISTS ledger_account_control_kept();
DROP TRIGGER IF EXISTS ledger_role_marks_control ON ledger_accountrole;
DROP FUNCTION IF EXISTS ledger_role_marks_control();
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_integrity_closed_books")]

    operations = [
        migrations.AddField(
            model_name="account",
            name="is_control",
            field=models.BooleanField(
                default=False,
                help_text="Hanya modulnya yang memposting; jurnal manual ditolak.",
                verbose_name="akun kontrol buku pembantu",
            ),
        ),
        migrations.RunSQL(SQL, REVERSE),
    ]
