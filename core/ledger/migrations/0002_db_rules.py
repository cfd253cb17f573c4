"""The ledger's invariants, enforced by PostgreSQL itself (services check them too).

- posted entries and lines: no UPDATE, DELETE or TRUNCATE;
- each entry balances (sum debit = sum credit, at least two lines): a DEFERRED
  constraint trigger, checked once per entry at commit;
- lines: exactly one positive side (CHECK in 0001), the entry's date, added only in the
  transaction that created the entry, only to active non-group accounts, only into an open
  period;
- ``ledger_accountbalance`` (per account per month) is maintained by a statement-level
  trigger over the inserted lines (so COPY and bulk inserts keep it right), and can only be
  written by that trigger;
- an account with postings cannot change type or normal side or become a group.

Function bodies use unqualified table names (resolved through the cooperative's
search_path when they fire) so the schema template can clone them under any name.
"""

from django.db import migrations

SQL = r"""
CREATE TRIGGER ledger_entry_immutable BEFORE UPDATE OR DELETE ON ledger_journalentry
  FOR EACH ROW EXECUTE FUNCTION lumbung_forbid_change();
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_journalentry
  FOR EACH STATEMENT EXECUTE FUNCTION lumbung_forbid_change();
CREATE TRIGGER ledger_line_immutable BEFORE UPDATE OR DELETE ON ledger_journalline
  FOR EACH ROW EXECUTE FUNCTION lumbung_forbid_change();
CREATE TRIGGER ledger_line_no_truncate BEFORE TRUNCATE ON ledger_journalline
  FOR EACH STATEMENT EXECUTE FUNCTION lumbung_forbid_change();

CREATE FUNCTION ledger_entry_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.fiscal_year <> extract(year FROM NEW.date)::int THEN
    RAISE EXCEPTION 'ledger: tahun buku % tidak cocok dengan tanggal %', NEW.fiscal_year, NEW.date
      USING ERRCODE = 'check_violation';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM ledger_period p
                  WHERE p.start_date <= NEW.date AND NEW.date <= p.end_date AND p.status = 'open') THEN
    RAISE EXCEPTION 'ledger: periode untuk tanggal % ditutup atau belum dibuka', NEW.date
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_entry_before_insert BEFORE INSERT ON ledger_journalentry
  FOR EACH ROW EXECUTE FUNCTION ledger_entry_before_insert();

CREATE FUNCTION ledger_entry_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE d numeric; c numeric; n bigint;
BEGIN
  SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*) INTO d, c, n
    FROM ledger_journalline WHERE entry_id = NEW.id;
  IF n < 2 OR d <> c THEN
    RAISE EXCEPTION 'ledger: jurnal % tidak seimbang (debit %, kredit %, % baris)', NEW.id, d, c, n
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entry_balanced AFTER INSERT ON ledger_journalentry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_entry_check_balanced();

CREATE FUNCTION ledger_lines_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE bad record;
BEGIN
  SELECT n.id, n.entry_id, n.date, e.date AS entry_date INTO bad
    FROM new_lines n JOIN ledger_journalentry e ON e.id = n.entry_id
   WHERE n.date <> e.date OR e.created_at <> now() LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: baris % tidak boleh ditambahkan ke jurnal % (jurnal sudah diposting atau tanggal berbeda)', bad.id, bad.entry_id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  SELECT a.code INTO bad FROM new_lines n JOIN ledger_account a ON a.id = n.account_id
   WHERE a.is_group OR NOT a.is_active LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: akun % adalah akun kelompok atau tidak aktif', bad.code
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT d.date INTO bad FROM (SELECT DISTINCT date FROM new_lines) d
   WHERE NOT EXISTS (SELECT 1 FROM ledger_period p WHERE p.start_date <= d.date
                       AND d.date <= p.end_date AND p.status = 'open') LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger: periode untuk tanggal % ditutup atau belum dibuka', bad.date
      USING ERRCODE = 'check_violation';
  END IF;
  INSERT INTO ledger_accountbalance (account_id, month, debit, credit)
  SELECT account_id, date_trunc('month', date)::date, sum(debit), sum(credit)
    FROM new_lines GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (account_id, month) DO UPDATE
    SET debit = ledger_accountbalance.debit + EXCLUDED.debit,
        credit = ledger_accountbalance.credit + EXCLUDED.credit;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_line_after_insert AFTER INSERT ON ledger_journalline
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_lines_after_insert();

CREATE FUNCTION ledger_balance_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'ledger: % pada saldo akun hanya boleh lewat posting jurnal', TG_OP
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_balance_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger_accountbalance
  FOR EACH ROW EXECUTE FUNCTION ledger_balance_guard();
CREATE TRIGGER ledger_balance_no_truncate BEFORE TRUNCATE ON ledger_accountbalance
  FOR EACH STATEMENT EXECUTE FUNCTION lumbung_forbid_change();

CREATE FUNCTION ledger_account_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.type <> OLD.type OR NEW.normal_side <> OLD.normal_side
      OR (NEW.is_group AND NOT OLD.is_group))
     AND EXISTS (SELECT 1 FROM ledger_journalline WHERE account_id = OLD.id) THEN
    RAISE EXCEPTION 'ledger: akun % sudah punya posting; jenis/saldo normal tidak boleh diubah', OLD.code
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_account_before_update BEFORE UPDATE ON ledger_account
  FOR EACH ROW EXECUTE FUNCTION ledger_account_before_update();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS ledger_account_before_update ON ledger_account;
DROP FUNCTION IF EXISTS ledger_account_before_update();
DROP TRIGGER IF EXISTS ledger_balance_no_truncate ON ledger_accountbalance;
DROP TRIGGER IF EXISTS ledger_balance_guard ON ledger_accountbalance;
DROP FUNCTION IF EXISTS ledger_balance_guard();
DROP TRIGGER IF EXISTS ledger_line_after_insert ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_lines_after_insert();
DROP TRIGGER IF EXISTS ledger_entry_balanced ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_entry_check_balanced();
DROP TRIGGER IF EXISTS ledger_entry_before_insert ON ledger_journalentry;
DROP FUNCTION IF EXISTS ledger_entry_before_insert();
DROP TRIGGER IF EXISTS ledger_line_no_truncate ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_line_immutable ON ledger_journalline;
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_entry_immutable ON ledger_journalentry;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial"), ("audit", "0002_immutable")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
