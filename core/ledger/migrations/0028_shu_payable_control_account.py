"""SHU bagian anggota belum dibayar (role ``shu_members_payable``) becomes a control
account, like the loan and savings roles of 0008: it is the sub-ledger of the posted SHU
shares (``yearend.MemberShare``: total − paid per member), and every line on it names
the member it is owed to — the SHU posting credits one per member, payouts, their
reversals and the exit settlement debit or credit the member's.

- the role trigger of 0008 (``ledger_role_marks_control``) now marks the account mapped
  to ``shu_members_payable`` too, so a cooperative created from now on, or a role mapped
  to another account later, gets the flag from the database;
- every existing cooperative's account mapped to the role is marked here. It is marked
  whatever it holds: an account that already took manual lines, or a balance the shares
  do not explain (old books' unpaid SHU brought in as one line at a move-in), is marked
  all the same — the migration never fails over data — and the daily reconciliation's
  ``shu`` check shows the difference (lines naming no member), which the year end's
  *SHU belum dibayar dari pembukuan lama* assigns to members
  (``core.yearend.services.shu_old_books_bring_in``).

The flag is kept once set (0008's ``ledger_account_control_kept``), so going back
restores the role trigger without the role and leaves the flags as they are.
"""

from django.db import migrations

ROLES_BEFORE = (
    "loan_receivable",
    "ppap_allowance",
    "savings_pokok",
    "savings_wajib",
    "savings_sukarela",
    "savings_berjangka",
)
ROLES_NOW = (*ROLES_BEFORE, "shu_members_payable")


def _function(roles: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{r}'" for r in roles)
    return rf"""
CREATE OR REPLACE FUNCTION ledger_role_marks_control() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.key IN ({listed}) THEN
    EXECUTE format('UPDATE %I.ledger_account SET is_control = true'
                   ' WHERE id = $1 AND NOT is_control', TG_TABLE_SCHEMA) USING NEW.account_id;
  END IF;
  RETURN NULL;
END $$;
"""


FORWARD = _function(ROLES_NOW) + """
UPDATE ledger_account SET is_control = true
 WHERE NOT is_control
   AND id IN (SELECT account_id FROM ledger_accountrole WHERE key = 'shu_members_payable');
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0027_cash_flow_jasa_ahead_backfill")]

    operations = [migrations.RunSQL(FORWARD, _function(ROLES_BEFORE))]
