# The deferred jasa recognitions posted before 0024 (inside a repayment's, payoff's,
# payroll batch's or top-up's cash entry, and inside the reversals of those) are marked
# non_cash, and the cash-flow figures made from them are put right:
#
# - a recognition is found as the repayment services write it: a line on the
#   ``deferred_jasa_income`` account (a debit; a credit in a reversal) followed, within
#   its entry, by the member's credits (debits in a reversal) on ``penalty_income`` and
#   ``loan_interest_income`` that add up to it exactly — the lines
#   ``core.loans.services.repayment.deferred_recognition_lines`` emits, in that order. A
#   deferred line followed by anything else (a top-up's capitalised jasa, a reschedule)
#   is left alone. Only the flag changes: the lines keep their accounts and amounts (the
#   immutability trigger is set aside for this one UPDATE, as no code path may do);
# - a loan written off inside a cash entry (a waiver at a member's exit, in the
#   settlement's entry) is found as ``core.loans.services.writeoff.writeoff_lines_apply``
#   writes it: the lines of one member and memo (the loan's number) on the deferred
#   jasa, PPAP allowance, PPAP expense, loan receivable and jasa receivable accounts,
#   with a debit on PPAP allowance or expense, that balance by themselves;
# - the per-day figures (ledger_cashflowday) are rebuilt from the lines under 0024's
#   rule, and every stored closed month (ledger_cashflowmonth) holding a marked line is
#   recomputed from the lines, with the cash accounts it was stored for, keeping its
#   computed_at (the month stays closed and its figures stay in use).
#
# Nothing to do (no such line) leaves the tables untouched. The reverse unmarks the
# lines and rebuilds the figures under 0022's rule (the statement shows the pairs again).

import json
from importlib import import_module

from django.db import migrations

m0019 = import_module("core.ledger.migrations.0019_cash_flow_opening_reversal")
m0024 = import_module("core.ledger.migrations.0024_line_non_cash")

CASH = "SELECT id FROM ledger_account WHERE is_cash AND NOT is_group"

CANDIDATES = f"""
SELECT e.id, e.source = 'reversal', l.id, l.account_id, l.debit, l.credit, l.member_id
  FROM ledger_journalentry e JOIN ledger_journalline l ON l.entry_id = e.id
 WHERE e.id IN (SELECT d.entry_id FROM ledger_journalline d
                 WHERE d.account_id = %(deferred)s AND NOT d.non_cash)
   AND EXISTS (SELECT 1 FROM ledger_journalline c
                WHERE c.entry_id = e.id AND c.account_id IN ({CASH}))
 ORDER BY e.id, l.id
"""

MONTH_FLOWS = f"""
SELECT l.account_id,
       coalesce(sum(CASE WHEN e.source = 'reversal' THEN -l.debit ELSE l.credit END), 0),
       coalesce(sum(CASE WHEN e.source = 'reversal' THEN -l.credit ELSE l.debit END), 0)
  FROM ledger_journalline l JOIN ledger_journalentry e ON e.id = l.entry_id
 WHERE l.date >= %(f)s AND l.date < %(f)s + interval '1 month'
   AND NOT (l.account_id = ANY(%(cash)s)) AND NOT l.non_cash
   AND l.entry_id IN (
     SELECT c.entry_id FROM ledger_journalline c
      WHERE c.account_id = ANY(%(cash)s)
        AND c.date >= %(f)s AND c.date < %(f)s + interval '1 month')
   AND NOT {m0019.OPENING.replace("{s}", "").replace("''", "'")}
 GROUP BY l.account_id
"""


WRITE_OFF_ROLES = (
    "deferred_jasa_income",
    "ppap_allowance",
    "ppap_expense",
    "loan_receivable",
    "loan_interest_receivable",
)

WRITE_OFF_CANDIDATES = f"""
SELECT l.id, l.account_id, l.debit, l.credit, l.member_id, l.memo, l.entry_id
  FROM ledger_journalline l
 WHERE NOT l.non_cash AND l.account_id = ANY(%(accounts)s)
   AND l.entry_id IN (SELECT w.entry_id FROM ledger_journalline w
                       WHERE w.account_id = ANY(%(ppap)s) AND w.debit > 0 AND NOT w.non_cash)
   AND EXISTS (SELECT 1 FROM ledger_journalline c
                WHERE c.entry_id = l.entry_id AND c.account_id IN ({CASH}))
 ORDER BY l.id
"""


def _role_ids(cur) -> dict[str, int]:
    cur.execute(
        "SELECT key, account_id FROM ledger_accountrole WHERE key IN %s",
        [("penalty_income", "loan_interest_income", *WRITE_OFF_ROLES)],
    )
    return dict(cur.fetchall())


def write_off_line_ids(rows, *, ppap: set[int]) -> list[int]:
    """The ids of the write-off lines among ``rows`` ((id, account, debit, credit,
    member, memo, entry) on the write-off accounts): per entry, member and memo, a group
    with a debit on a PPAP account whose lines balance."""
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row[6], row[4], row[5]), []).append(row)
    out: list[int] = []
    for lines in groups.values():
        if not any(acc in ppap and debit > 0 for _i, acc, debit, *_ in lines):
            continue
        if sum(debit for _i, _a, debit, *_ in lines) == sum(c for _i, _a, _d, c, *_ in lines):
            out += [line[0] for line in lines]
    return out


def recognition_line_ids(rows, *, deferred: int, income: set[int]) -> list[int]:
    """The ids of the recognition lines among ``rows`` (an entry's lines in id order:
    (entry, is_reversal, id, account, debit, credit, member)): each deferred line on its
    recognising side with the member's following income lines on the other side that sum
    to it exactly."""
    out: list[int] = []
    for i, (_e, rev, lid, acc, debit, credit, member) in enumerate(rows):
        if acc != deferred or lid in out:
            continue
        amount = credit if rev else debit
        if amount <= 0:
            continue
        taken, total = [], 0
        for _e2, _r2, lid2, acc2, d2, c2, m2 in rows[i + 1 :]:
            part = d2 if rev else c2
            if acc2 not in income or m2 != member or part <= 0 or total + part > amount:
                break
            taken.append(lid2)
            total += part
            if total == amount:
                break
        if total == amount:
            out += [lid, *taken]
    return out


def mark_non_cash(connection) -> list[int]:
    """Mark the recognitions posted before 0024 and put the figures right (see above).
    Returns the ids marked."""
    with connection.cursor() as cur:
        roles = _role_ids(cur)
        if "deferred_jasa_income" not in roles:
            return []
        deferred = roles["deferred_jasa_income"]
        income = {roles[k] for k in ("penalty_income", "loan_interest_income") if k in roles}
        cur.execute(CANDIDATES, {"deferred": deferred})
        by_entry: dict[int, list] = {}
        for row in cur.fetchall():
            by_entry.setdefault(row[0], []).append(row)
        ids = [
            lid
            for rows in by_entry.values()
            for lid in recognition_line_ids(rows, deferred=deferred, income=income)
        ]
        if all(k in roles for k in WRITE_OFF_ROLES):
            ppap = {roles["ppap_allowance"], roles["ppap_expense"]}
            cur.execute(
                WRITE_OFF_CANDIDATES,
                {"accounts": [roles[k] for k in WRITE_OFF_ROLES], "ppap": list(ppap)},
            )
            ids += write_off_line_ids(cur.fetchall(), ppap=ppap)
        ids = list(dict.fromkeys(ids))
        if not ids:
            return []
        # pending trigger events (the rows' deferred checks) would refuse the ALTER TABLE
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER ledger_line_immutable")
        cur.execute("UPDATE ledger_journalline SET non_cash = true WHERE id = ANY(%s)", [ids])
        cur.execute("ALTER TABLE ledger_journalline ENABLE TRIGGER ledger_line_immutable")
        _figures_rebuild(cur, ids)
    return ids


def _figures_rebuild(cur, ids: list[int]) -> None:
    select = m0024.rebuild_select(m0019.OPENING)
    cur.execute(
        m0019.REBUILD_DAYS.replace("BACKFILL", select.replace("{s}", "").replace("''", "'"))
    )
    cur.execute(
        "SELECT m.month, m.cash_account_ids FROM ledger_cashflowmonth m"
        " WHERE EXISTS (SELECT 1 FROM ledger_journalline l WHERE l.id = ANY(%s)"
        "   AND l.date >= m.month AND l.date < m.month + interval '1 month')",
        [ids],
    )
    for month, cash in cur.fetchall():
        cash = cash if isinstance(cash, list) else json.loads(cash)
        cur.execute(MONTH_FLOWS, {"f": month, "cash": [int(x) for x in cash]})
        flows = {str(a): [str(i), str(o)] for a, i, o in cur.fetchall()}
        cur.execute(
            "UPDATE ledger_cashflowmonth SET flows = %s WHERE month = %s",
            [json.dumps(flows), month],
        )


def forward(apps, schema_editor):
    mark_non_cash(schema_editor.connection)


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT id FROM ledger_journalline WHERE non_cash")
        ids = [r[0] for r in cur.fetchall()]
        if not ids:
            return
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("ALTER TABLE ledger_journalline DISABLE TRIGGER ledger_line_immutable")
        cur.execute("UPDATE ledger_journalline SET non_cash = false WHERE id = ANY(%s)", [ids])
        cur.execute("ALTER TABLE ledger_journalline ENABLE TRIGGER ledger_line_immutable")
        _figures_rebuild(cur, ids)


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0024_line_non_cash"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
