# The cash flow counted a reversal's lines as flows of their own: a receipt typed wrong
# and cancelled showed as a receipt (the entry) and as a payment (its reversal) of the
# same money, inflating both. A reversal now takes back what the entry it reverses
# showed: its debit on a non-cash account lowers the inflows, its credit the outflows
# (``core.ledger.reports.FLOW_IN`` / ``FLOW_OUT``). Reversals of opening entries stay
# outside the flows (0019).
#
# - ledger_lines_cash_flow and ledger_account_cash_changed are restated (CREATE OR
#   REPLACE) with the signed figures; otherwise as in 0019;
# - the per-day figures are rebuilt from the lines, and a closed month's stored figures
#   (ledger_cashflowmonth) are dropped where the month holds a reversal — the statement
#   then reads that month from the per-day figures.
#
# The reverse restates 0019's functions and rebuilds under its rule.

from importlib import import_module

from django.db import migrations

m0019 = import_module("core.ledger.migrations.0019_cash_flow_opening_reversal")

REVERSAL = "e.source = ''reversal''"
SIGNED = (
    "sum(CASE WHEN " + REVERSAL + " THEN -l.debit ELSE l.credit END),"
    " sum(CASE WHEN " + REVERSAL + " THEN -l.credit ELSE l.debit END)"
)


def rebuild_select(opening: str) -> str:
    """0019's rebuild select with the reversal's figures signed."""
    return (
        " SELECT l.date, l.account_id, " + SIGNED + ""
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
  -- had one before, so this statement's non-cash lines count. A reversal's lines count
  -- against the flows of the entry it reverses (its debit lowers the inflow, its credit
  -- the outflow).
  EXECUTE
       'WITH cash AS (SELECT id FROM ' || s || '.ledger_account WHERE is_cash AND NOT is_group),'
    || ' ne AS (SELECT n.entry_id,'
    || '   count(*) FILTER (WHERE n.account_id IN (SELECT id FROM cash)) AS new_cash'
    || '   FROM new_lines n GROUP BY n.entry_id),'
    || ' tl AS (SELECT l.entry_id, l.date, l.account_id, l.debit, l.credit,'
    || '   l.account_id IN (SELECT id FROM cash) AS is_cash, REVERSAL AS rev'
    || '   FROM ne JOIN ' || s || '.ledger_journalentry e ON e.id = ne.entry_id'
    || '   AND NOT ' || replace('OPENING', '{s}', s || '.')
    || '   JOIN ' || s || '.ledger_journalline l ON l.entry_id = ne.entry_id),'
    || ' st AS (SELECT entry_id, count(*) FILTER (WHERE is_cash) AS all_cash,'
    || '   bool_or(rev) AS rev FROM tl GROUP BY entry_id),'
    || ' flows AS ('
    || '   SELECT tl.date, tl.account_id,'
    || '     CASE WHEN tl.rev THEN -tl.debit ELSE tl.credit END AS inflow,'
    || '     CASE WHEN tl.rev THEN -tl.credit ELSE tl.debit END AS outflow'
    || '     FROM tl JOIN st USING (entry_id) JOIN ne USING (entry_id)'
    || '    WHERE NOT tl.is_cash AND ne.new_cash > 0 AND st.all_cash = ne.new_cash'
    || '   UNION ALL'
    || '   SELECT n.date, n.account_id,'
    || '     CASE WHEN st.rev THEN -n.debit ELSE n.credit END,'
    || '     CASE WHEN st.rev THEN -n.credit ELSE n.debit END'
    || '     FROM new_lines n JOIN st USING (entry_id) JOIN ne USING (entry_id)'
    || '    WHERE n.account_id NOT IN (SELECT id FROM cash) AND st.all_cash > ne.new_cash)'
    || ' INSERT INTO ' || s || '.ledger_cashflowday AS f (day, account_id, inflow, outflow)'
    || ' SELECT date, account_id, sum(inflow), sum(outflow) FROM flows'
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

DROP_MONTHS = """
DELETE FROM ledger_cashflowmonth m
 WHERE EXISTS (SELECT 1 FROM ledger_journalentry e
                WHERE e.source = 'reversal' AND e.date >= m.month
                  AND e.date < m.month + interval '1 month');
"""

select = rebuild_select(m0019.OPENING)
SQL = FUNCTIONS.replace("REBUILD", select).replace("OPENING", m0019.OPENING)
SQL = SQL.replace("REVERSAL", REVERSAL)
DAYS = m0019.REBUILD_DAYS.replace("BACKFILL", select.replace("{s}", "").replace("''", "'"))
REVERSE_SQL, REVERSE_DAYS = m0019.statements(m0019.OPENING)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0021_entry_description_2000"),
    ]

    operations = [
        migrations.RunSQL(SQL + DAYS + DROP_MONTHS, REVERSE_SQL + REVERSE_DAYS + DROP_MONTHS),
    ]
