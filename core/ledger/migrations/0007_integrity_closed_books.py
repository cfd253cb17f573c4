"""Closed books stay closed: an entry dated on or before the end of the latest closed
month is refused by the database too (the year close's own ``closing`` entries, dated the
31st of December of the year being closed, excepted). The service checks the same rule
first with a specific message (``period_closed``)."""

from django.db import migrations

SQL = r"""
CREATE OR REPLACE FUNCTION ledger_entry_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE ok boolean; closed_until date;
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
  IF NEW.source <> 'closing' THEN
    EXECUTE format('SELECT max(end_date) FROM %I.ledger_period WHERE status = ''closed''',
                   TG_TABLE_SCHEMA) INTO closed_until;
    IF closed_until IS NOT NULL AND NEW.date <= closed_until THEN
      RAISE EXCEPTION 'ledger: buku sudah ditutup sampai %; jurnal bertanggal % ditolak', closed_until, NEW.date
        USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END $$;
"""

REVERSE = r"""
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
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_drop_redundant_indexes")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
