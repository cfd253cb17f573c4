"""Trigger functions name their tables through ``TG_TABLE_SCHEMA`` (dynamic SQL) instead of
relying on the search_path: the deferred balance check can fire at commit or at
``SET CONSTRAINTS ALL IMMEDIATE`` after the connection has switched back to the public
schema. No schema name is written into a function body, so the schema template can clone
them under any name."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION ledger_entry_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ok boolean;
BEGIN
  IF NEW.fiscal_year <> extract(year FROM NEW.date)::int THEN
    RAISE EXCEPTION 'ledger: tahun buku % tidak cocok dengan tanggal %', NEW.fiscal_year, NEW.date
      USING ERRCODE = 'check_violation';
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.ledger_period p WHERE p.start_date <= $1'
                 ' AND $1 <= p.end_date AND p.status = ''open'')', TG_TABLE_SCHEMA)
    INTO ok USING NEW.date;
  IF NOT ok THEN
    RAISE EXCEPTION 'ledger: periode untuk tanggal % ditutup atau belum dibuka', NEW.date
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION ledger_entry_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE d numeric; c numeric; n bigint;
BEGIN
  EXECUTE format('SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*)'
                 ' FROM %I.ledger_journalline WHERE entry_id = $1', TG_TABLE_SCHEMA)
    INTO d, c, n USING NEW.id;
  IF n < 2 OR d <> c THEN
    RAISE EXCEPTION 'ledger: jurnal % tidak seimbang (debit %, kredit %, % baris)', NEW.id, d, c, n
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_lines_after_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s text := quote_ident(TG_TABLE_SCHEMA);
  bad_id bigint; bad_entry bigint; bad_code text; bad_date date;
BEGIN
  EXECUTE 'SELECT n.id, n.entry_id FROM new_lines n JOIN ' || s || '.ledger_journalentry e'
       || ' ON e.id = n.entry_id WHERE n.date <> e.date OR e.created_at <> now() LIMIT 1'
    INTO bad_id, bad_entry;
  IF bad_id IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: baris % tidak boleh ditambahkan ke jurnal % (jurnal sudah diposting atau tanggal berbeda)', bad_id, bad_entry
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  EXECUTE 'SELECT a.code FROM new_lines n JOIN ' || s || '.ledger_account a ON a.id = n.account_id'
       || ' WHERE a.is_group OR NOT a.is_active LIMIT 1'
    INTO bad_code;
  IF bad_code IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: akun % adalah akun kelompok atau tidak aktif', bad_code
      USING ERRCODE = 'check_violation';
  END IF;
  EXECUTE 'SELECT d.date FROM (SELECT DISTINCT date FROM new_lines) d WHERE NOT EXISTS ('
       || 'SELECT 1 FROM ' || s || '.ledger_period p WHERE p.start_date <= d.date'
       || ' AND d.date <= p.end_date AND p.status = ''open'') LIMIT 1'
    INTO bad_date;
  IF bad_date IS NOT NULL THEN
    RAISE EXCEPTION 'ledger: periode untuk tanggal % ditutup atau belum dibuka', bad_date
      USING ERRCODE = 'check_violation';
  END IF;
  EXECUTE 'INSERT INTO ' || s || '.ledger_accountbalance AS b (account_id, month, debit, credit)'
       || ' SELECT account_id, date_trunc(''month'', date)::date, sum(debit), sum(credit)'
       || ' FROM new_lines GROUP BY 1, 2 ORDER BY 1, 2'
       || ' ON CONFLICT (account_id, month) DO UPDATE'
       || ' SET debit = b.debit + EXCLUDED.debit, credit = b.credit + EXCLUDED.credit';
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_account_before_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE used boolean;
BEGIN
  IF NEW.type <> OLD.type OR NEW.normal_side <> OLD.normal_side
     OR (NEW.is_group AND NOT OLD.is_group) THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.ledger_journalline WHERE account_id = $1)',
                   TG_TABLE_SCHEMA) INTO used USING OLD.id;
    IF used THEN
      RAISE EXCEPTION 'ledger: akun % sudah punya posting; jenis/saldo normal tidak boleh diubah', OLD.code
        USING ERRCODE = 'integrity_constraint_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_entry_created_at_tx")]
    operations = [migrations.RunSQL(SQL, migrations.RunSQL.noop)]
