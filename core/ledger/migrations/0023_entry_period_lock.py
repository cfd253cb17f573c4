# A posting and a month close at the same moment: the entry's trigger read its month open
# with a plain SELECT, so an insert made while a close had locked the month but not yet
# committed (or a close made while the insert had not yet committed) let both commit,
# and the entry sat in a closed month whose reports and stored cash flow were made
# without it. The trigger now locks the entry's month row FOR SHARE as it checks that it
# is open: a close (``period_close`` locks the row FOR UPDATE; the year close and the
# move-in's go-live UPDATE it) waits for the posting's commit and sees its entry; a
# posting after a close's lock waits for the close's commit, and READ COMMITTED then
# re-checks the locked row, so ``status = 'open'`` is part of the locking query and the
# entry is refused. That refusal, and the one of an entry dated on or before the latest
# closed month (a later month closed after the service's own check), name a constraint
# (``ledger_entry_period_open``, ``ledger_entry_books_closed``), which
# ``core.ledger.services.posting._post`` reads as the usual ``period_closed``. Every
# check of the function is otherwise as in 0018.
#
# The reverse restates 0018's function.

from importlib import import_module

from django.db import migrations

m0018 = import_module("core.ledger.migrations.0018_entry_year_close")

SQL = r"""
CREATE OR REPLACE FUNCTION ledger_entry_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE period_id bigint; closed_until date; year_open boolean;
BEGIN
  IF NEW.fiscal_year <> extract(year FROM NEW.date)::int THEN
    RAISE EXCEPTION 'ledger: tahun buku % tidak cocok dengan tanggal %', NEW.fiscal_year, NEW.date
      USING ERRCODE = 'check_violation';
  END IF;
  EXECUTE format('SELECT p.id FROM %I.ledger_period p WHERE p.start_date <= $1'
                 ' AND $1 <= p.end_date AND p.status = ''open'' FOR SHARE', TG_TABLE_SCHEMA)
    INTO period_id USING NEW.date;
  IF period_id IS NULL THEN
    RAISE EXCEPTION 'ledger: periode untuk tanggal % ditutup atau belum dibuka', NEW.date
      USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_period_open';
  END IF;
  IF NEW.year_close THEN
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.ledger_fiscalyear f WHERE f.end_date = $1'
                   ' AND f.status = ''open'')', TG_TABLE_SCHEMA)
      INTO year_open USING NEW.date;
    IF NOT year_open THEN
      RAISE EXCEPTION 'ledger: jurnal tutup buku bertanggal % bukan akhir tahun buku yang terbuka', NEW.date
        USING ERRCODE = 'check_violation';
    END IF;
  ELSIF NEW.source <> 'closing' THEN
    EXECUTE format('SELECT max(end_date) FROM %I.ledger_period WHERE status = ''closed''',
                   TG_TABLE_SCHEMA) INTO closed_until;
    IF closed_until IS NOT NULL AND NEW.date <= closed_until THEN
      RAISE EXCEPTION 'ledger: buku sudah ditutup sampai %; jurnal bertanggal % ditolak', closed_until, NEW.date
        USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_books_closed';
    END IF;
  END IF;
  RETURN NEW;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0022_cash_flow_reversal_nets"),
    ]

    operations = [
        migrations.RunSQL(SQL, m0018.SQL),
    ]
