# A non-cash pair inside an entry that touches cash (a restructured loan's repayment
# earns part of its deferred jasa: Dr pendapatan jasa ditangguhkan / Cr jasa income, in
# the repayment's own cash entry) showed in the cash flow as a payment on the
# deferred-jasa account and as that much more jasa received: the net was right, the
# lines were not. Such lines are now marked, ``JournalLine.non_cash``, and are no flow:
#
# - the column (false by default: a COPY or insert that names no value gets false);
# - ledger_lines_cash_flow and ledger_account_cash_changed restated (CREATE OR REPLACE)
#   leaving marked lines out; otherwise as in 0022;
# - ledger_line_non_cash_balanced: a deferred constraint trigger, fired only by a marked
#   line, refusing an entry whose marked lines do not balance or sit on a cash account
#   (a pair that would make the statement's total differ from the cash's change).
#
# The lines already posted are marked, and the figures rebuilt, by 0025.
# The reverse restates 0022's functions (the column goes with the field).

from importlib import import_module

from django.db import migrations, models

m0019 = import_module("core.ledger.migrations.0019_cash_flow_opening_reversal")
m0022 = import_module("core.ledger.migrations.0022_cash_flow_reversal_nets")


def rebuild_select(opening: str) -> str:
    """0022's rebuild select, marked lines left out."""
    return (
        " SELECT l.date, l.account_id, " + m0022.SIGNED + ""
        " FROM {s}ledger_journalline l JOIN {s}ledger_journalentry e ON e.id = l.entry_id"
        " WHERE NOT " + opening + " AND NOT l.non_cash AND l.account_id NOT IN"
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
  -- the outflow). Lines marked non_cash (a non-cash pair inside the entry) never count.
  EXECUTE
       'WITH cash AS (SELECT id FROM ' || s || '.ledger_account WHERE is_cash AND NOT is_group),'
    || ' ne AS (SELECT n.entry_id,'
    || '   count(*) FILTER (WHERE n.account_id IN (SELECT id FROM cash)) AS new_cash'
    || '   FROM new_lines n GROUP BY n.entry_id),'
    || ' tl AS (SELECT l.entry_id, l.date, l.account_id, l.debit, l.credit, l.non_cash,'
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
    || '    WHERE NOT tl.is_cash AND NOT tl.non_cash'
    || '      AND ne.new_cash > 0 AND st.all_cash = ne.new_cash'
    || '   UNION ALL'
    || '   SELECT n.date, n.account_id,'
    || '     CASE WHEN st.rev THEN -n.debit ELSE n.credit END,'
    || '     CASE WHEN st.rev THEN -n.credit ELSE n.debit END'
    || '     FROM new_lines n JOIN st USING (entry_id) JOIN ne USING (entry_id)'
    || '    WHERE n.account_id NOT IN (SELECT id FROM cash) AND NOT n.non_cash'
    || '      AND st.all_cash > ne.new_cash)'
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

CHECK = r"""
CREATE FUNCTION ledger_line_non_cash_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE d numeric; c numeric; on_cash boolean;
BEGIN
  EXECUTE format('SELECT coalesce(sum(l.debit), 0), coalesce(sum(l.credit), 0),'
                 ' coalesce(bool_or(a.is_cash), false)'
                 ' FROM %1$I.ledger_journalline l JOIN %1$I.ledger_account a ON a.id = l.account_id'
                 ' WHERE l.entry_id = $1 AND l.non_cash', TG_TABLE_SCHEMA)
    INTO d, c, on_cash USING NEW.entry_id;
  IF d <> c OR on_cash THEN
    RAISE EXCEPTION 'ledger: baris non-kas jurnal % harus seimbang dan bukan akun kas (debit %, kredit %)', NEW.entry_id, d, c
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_line_non_cash_balanced AFTER INSERT ON ledger_journalline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.non_cash)
  EXECUTE FUNCTION ledger_line_non_cash_check();
"""

DROP_CHECK = """
DROP TRIGGER IF EXISTS ledger_line_non_cash_balanced ON ledger_journalline;
DROP FUNCTION IF EXISTS ledger_line_non_cash_check();
"""

SELECT = rebuild_select(m0019.OPENING)
SQL = FUNCTIONS.replace("REBUILD", SELECT).replace("OPENING", m0019.OPENING)
SQL = SQL.replace("REVERSAL", m0022.REVERSAL)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0023_entry_period_lock"),
    ]

    operations = [
        migrations.AddField(
            model_name="journalline",
            name="non_cash",
            field=models.BooleanField(db_default=False, default=False),
        ),
        migrations.RunSQL(SQL + CHECK, DROP_CHECK + m0022.SQL),
    ]
