# The cash flow's per-day figures (ledger_cashflowday, migration 0017) left out opening
# entries (source "opening") but counted the reversal of one as a flow: a move-in undone
# (its opening entry reversed) and done again showed the cash brought in twice over. A
# reversal of an opening entry now counts as opening too, as in
# ``core.ledger.reports.OPENING_ENTRY``:
#
# - ledger_lines_cash_flow and ledger_account_cash_changed are restated (CREATE OR
#   REPLACE) with that test in place of ``e.source <> 'opening'``; otherwise as in 0017;
# - REBUILD: the per-day figures rebuilt from the lines (the guard trigger, which lets
#   only the triggers write, set aside for it: ALTER TABLE, after the new rows' deferred
#   checks are made), and a closed month's stored figures
#   (ledger_cashflowmonth) dropped where the month holds such a reversal — the statement
#   then reads that month from the per-day figures.
#
# The reverse restates 0017's functions and rebuilds under its rule.

from django.db import migrations

OPENING = (
    "(e.source = ''opening'' OR (e.source = ''reversal'' AND e.reverses_id IN ("
    "SELECT o.id FROM {s}ledger_journalentry o WHERE o.source = ''opening'')))"
)
OPENING_0017 = "e.source = ''opening''"


def rebuild_select(opening: str) -> str:
    """0017's REBUILD_SELECT with ``opening`` as the test of an opening entry."""
    return (
        " SELECT l.date, l.account_id, sum(l.credit), sum(l.debit)"
        " FROM {s}ledger_journalline l JOIN {s}ledger_journalentry e ON e.id = l.entry_id"
        " WHERE NOT " + opening + " AND l.account_id NOT IN"
        " (SELECT id FROM {s}ledger_account WHERE is_cash AND NOT is_group)"
        " AND EXISTS (SELECT 1 FROM {s}ledger_journalline c WHERE c.entry_id = l.entry_id"
        " AND c.account_id IN (SELECT id FROM {s}ledger_account WHERE is_cash AND NOT is_group))"
        " GROUP BY 1, 2"
    )


FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION ledger_lines_cash_flow() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s text := quote_ident(TG_TABLE_SCHEMA);
BEGIN
  EXECUTE 'LOCK TABLE ' || s || '.ledger_cashflowday IN ROW EXCLUSIVE MODE';
  -- Per entry of the statement (opening entries and their reversals left out): its cash
  -- lines in the table (this statement's included) against this statement's. Equal and
  -- not zero: its first cash line came now, so all its non-cash lines count; more: it
  -- had one before, so this statement's non-cash lines count.
  EXECUTE
       'WITH cash AS (SELECT id FROM ' || s || '.ledger_account WHERE is_cash AND NOT is_group),'
    || ' ne AS (SELECT n.entry_id,'
    || '   count(*) FILTER (WHERE n.account_id IN (SELECT id FROM cash)) AS new_cash'
    || '   FROM new_lines n GROUP BY n.entry_id),'
    || ' tl AS (SELECT l.entry_id, l.date, l.account_id, l.debit, l.credit,'
    || '   l.account_id IN (SELECT id FROM cash) AS is_cash'
    || '   FROM ne JOIN ' || s || '.ledger_journalentry e ON e.id = ne.entry_id'
    || '   AND NOT ' || replace('OPENING', '{s}', s || '.')
    || '   JOIN ' || s || '.ledger_journalline l ON l.entry_id = ne.entry_id),'
    || ' st AS (SELECT entry_id, count(*) FILTER (WHERE is_cash) AS all_cash FROM tl GROUP BY entry_id),'
    || ' flows AS ('
    || '   SELECT tl.date, tl.account_id, tl.credit, tl.debit'
    || '     FROM tl JOIN st USING (entry_id) JOIN ne USING (entry_id)'
    || '    WHERE NOT tl.is_cash AND ne.new_cash > 0 AND st.all_cash = ne.new_cash'
    || '   UNION ALL'
    || '   SELECT n.date, n.account_id, n.credit, n.debit'
    || '     FROM new_lines n JOIN st USING (entry_id) JOIN ne USING (entry_id)'
    || '    WHERE n.account_id NOT IN (SELECT id FROM cash) AND st.all_cash > ne.new_cash)'
    || ' INSERT INTO ' || s || '.ledger_cashflowday AS f (day, account_id, inflow, outflow)'
    || ' SELECT date, account_id, sum(credit), sum(debit) FROM flows'
    || ' GROUP BY 1, 2 ORDER BY 1, 2'
    || ' ON CONFLICT (day, account_id) DO UPDATE'
    || ' SET inflow = f.inflow + EXCLUDED.inflow, outflow = f.outflow + EXCLUDED.outflow';
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION ledger_account_cash_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  s text := quote_ident(TG_TABLE_SCHEMA);
  used boolean;
BEGIN
  EXECUTE 'LOCK TABLE ' || s || '.ledger_cashflowday IN SHARE ROW EXCLUSIVE MODE';
  EXECUTE 'SELECT EXISTS (SELECT 1 FROM ' || s || '.ledger_journalline WHERE account_id = $1)'
    INTO used USING NEW.id;
  IF used THEN
    EXECUTE 'DELETE FROM ' || s || '.ledger_cashflowday';
    EXECUTE 'INSERT INTO ' || s || '.ledger_cashflowday (day, account_id, inflow, outflow)'
      || replace('REBUILD', '{s}', s || '.');
  END IF;
  RETURN NULL;
END $$;
"""

REBUILD_DAYS = """
ALTER TABLE ledger_cashflowday DISABLE TRIGGER ledger_cashflowday_guard;
DELETE FROM ledger_cashflowday;
INSERT INTO ledger_cashflowday (day, account_id, inflow, outflow) BACKFILL;
-- the rows' deferred foreign-key checks made now: a table with pending trigger events
-- cannot be altered
SET CONSTRAINTS ALL IMMEDIATE;
ALTER TABLE ledger_cashflowday ENABLE TRIGGER ledger_cashflowday_guard;
"""

DROP_MONTHS = """
DELETE FROM ledger_cashflowmonth m
 WHERE EXISTS (SELECT 1 FROM ledger_journalentry e JOIN ledger_journalentry o
                 ON o.id = e.reverses_id AND o.source = 'opening'
                WHERE e.source = 'reversal' AND e.date >= m.month
                  AND e.date < m.month + interval '1 month');
"""


def statements(opening: str) -> tuple[str, str]:
    """(the functions restated, the per-day figures rebuilt) under ``opening``."""
    select = rebuild_select(opening)
    functions = FUNCTIONS.replace("REBUILD", select).replace("OPENING", opening)
    days = REBUILD_DAYS.replace("BACKFILL", select.replace("{s}", "").replace("''", "'"))
    return functions, days


SQL, _DAYS = statements(OPENING)
REBUILD = _DAYS + DROP_MONTHS
REVERSE_SQL, REVERSE_DAYS = statements(OPENING_0017)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0018_entry_year_close"),
    ]

    operations = [
        migrations.RunSQL(SQL + REBUILD, REVERSE_SQL + REVERSE_DAYS),
    ]
