# The jasa paid ahead that a payoff, top-up or exit settlement counted toward the
# principal (Dr jasa income / Cr loan receivable inside its cash entry) is now a marked
# non-cash pair (``core.loans.services.repayment.jasa_ahead_lines``). Before, the
# receivable's credit was one line of the whole principal: the pair cannot be separated
# after posting, and those entries are left as they were (the jasa paid ahead shows as a
# payment of jasa and as principal received; the net is right). Only where the jasa paid
# ahead covered all the principal left was the receivable's credit a line of its own,
# equal to the jasa debit; those pairs are marked here:
#
# - found as the services wrote them: an unmarked debit on ``loan_interest_income``
#   followed, next within its entry, by an unmarked credit on ``loan_receivable`` of the
#   same amount, member and memo (the loan's number), in an entry with a cash line; in a
#   reversal the mirror (credit then debit). Only the flag changes (the immutability
#   trigger set aside for this one UPDATE, as in 0025);
# - the per-day figures are rebuilt and every stored closed month holding a marked line
#   recomputed, keeping its computed_at (0025's ``_figures_rebuild``).
#
# Nothing found leaves the tables untouched. The reverse is a no-op: 0025's reverse
# unmarks every line.

from importlib import import_module

from django.db import migrations

m0025 = import_module("core.ledger.migrations.0025_cash_flow_non_cash_backfill")

CANDIDATES = f"""
SELECT e.source = 'reversal', l.id, l.account_id, l.debit, l.credit, l.member_id, l.memo,
       n.id, n.account_id, n.debit, n.credit, n.member_id, n.memo
  FROM ledger_journalline l
  JOIN ledger_journalentry e ON e.id = l.entry_id
  JOIN LATERAL (SELECT x.* FROM ledger_journalline x
                 WHERE x.entry_id = l.entry_id AND x.id > l.id
                 ORDER BY x.id LIMIT 1) n ON true
 WHERE l.account_id = %(income)s AND n.account_id = %(receivable)s
   AND NOT l.non_cash AND NOT n.non_cash
   AND EXISTS (SELECT 1 FROM ledger_journalline c
                WHERE c.entry_id = l.entry_id AND c.account_id IN ({m0025.CASH}))
 ORDER BY l.id
"""


def pair_line_ids(rows) -> list[int]:
    """The ids of the jasa-ahead pairs among ``rows`` ((is_reversal, id, account, debit,
    credit, member, memo, next id, next account, next debit, next credit, next member,
    next memo)): the income line on its debit side (credit in a reversal) and the next
    line the receivable's credit (debit in a reversal) of the same amount, member and
    memo."""
    out: list[int] = []
    for rev, lid, _a, d, c, m, memo, nid, _na, nd, nc, nm, nmemo in rows:
        amount, other = (c, nd) if rev else (d, nc)
        wrong = (d if rev else c) != 0 or (nc if rev else nd) != 0
        if amount > 0 and amount == other and not wrong and m == nm and memo == nmemo:
            out += [lid, nid]
    return out


def mark_jasa_ahead(connection) -> list[int]:
    """Mark the separable jasa-ahead pairs posted before and put the figures right (see
    above). Returns the ids marked."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT key, account_id FROM ledger_accountrole WHERE key IN %s",
            [("loan_interest_income", "loan_receivable")],
        )
        roles = dict(cur.fetchall())
        if len(roles) < 2:
            return []
        cur.execute(
            CANDIDATES,
            {"income": roles["loan_interest_income"], "receivable": roles["loan_receivable"]},
        )
        ids = list(dict.fromkeys(pair_line_ids(cur.fetchall())))
        if not ids:
            return []
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER ledger_line_immutable")
        cur.execute("UPDATE ledger_journalline SET non_cash = true WHERE id = ANY(%s)", [ids])
        cur.execute("ALTER TABLE ledger_journalline ENABLE TRIGGER ledger_line_immutable")
        m0025._figures_rebuild(cur, ids)
    return ids


def forward(apps, schema_editor):
    mark_jasa_ahead(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0026_fiscal_year_closed_by_year_end"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
