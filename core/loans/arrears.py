"""The daily arrears run: days past due per running loan, kolektibilitas by the
cooperative's thresholds, the PPAP each loan needs, and one journal entry for the change
in the allowance. Set-based SQL (one UPDATE over all loans), so 20,000 loans take
seconds. Grades and amounts agree with ``schedules.kolektibilitas`` / ``ppap_amount``
(tested)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils.translation import gettext as _

from core.audit.services import audit_log

from .models import ArrearsRun, Loan, LoanSettings

ZERO = Decimal("0")

UPDATE_SQL = """
WITH open_rows AS (
    SELECT i.loan_id, MIN(i.due_date) AS oldest
    FROM loans_instalment i
    JOIN loans_loan l ON l.id = i.loan_id AND l.status = 'disbursed'
    WHERE i.is_current AND NOT i.settled AND i.due_date < %(on)s
    GROUP BY i.loan_id
),
graded AS (
    SELECT l.id,
           COALESCE(%(on)s::date - o.oldest, 0) AS dpd
    FROM loans_loan l LEFT JOIN open_rows o ON o.loan_id = l.id
    WHERE l.status = 'disbursed'
),
target AS (
    SELECT g.id, g.dpd,
           CASE WHEN g.dpd <= %(t1)s THEN 'lancar'
                WHEN g.dpd <= %(t2)s THEN 'kurang_lancar'
                WHEN g.dpd <= %(t3)s THEN 'diragukan'
                ELSE 'macet' END AS grade
    FROM graded g
)
UPDATE loans_loan l
SET days_past_due = t.dpd,
    kolektibilitas = t.grade,
    ppap_amount = ROUND(l.principal_outstanding * (CASE t.grade
                    WHEN 'lancar' THEN %(r1)s WHEN 'kurang_lancar' THEN %(r2)s
                    WHEN 'diragukan' THEN %(r3)s ELSE %(r4)s END) / 100, 0)
FROM target t
WHERE l.id = t.id
  AND (l.days_past_due, l.kolektibilitas, l.ppap_amount) IS DISTINCT FROM
      (t.dpd, t.grade, ROUND(l.principal_outstanding * (CASE t.grade
                    WHEN 'lancar' THEN %(r1)s WHEN 'kurang_lancar' THEN %(r2)s
                    WHEN 'diragukan' THEN %(r3)s ELSE %(r4)s END) / 100, 0))
"""

RELEASE_SQL = """
UPDATE loans_loan SET ppap_amount = 0, days_past_due = 0
WHERE status <> 'disbursed' AND (ppap_amount <> 0 OR days_past_due <> 0)
"""


@transaction.atomic
def loans_arrears_update(*, on: date, by="system") -> ArrearsRun:
    """Update days past due, kolektibilitas and PPAP for all loans as of ``on``, and
    post the change in the PPAP allowance (expense up, or released back)."""
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, journal_post

    started = time.perf_counter()
    st = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]
    before = Loan.objects.aggregate(s=_sum("ppap_amount"))["s"] or ZERO
    t1, t2, t3 = st.thresholds
    rates = st.ppap_rates
    params = {
        "on": on,
        "t1": t1,
        "t2": t2,
        "t3": t3,
        "r1": rates["lancar"],
        "r2": rates["kurang_lancar"],
        "r3": rates["diragukan"],
        "r4": rates["macet"],
    }
    with connection.cursor() as cur:
        cur.execute(UPDATE_SQL, params)
        changed = cur.rowcount
        cur.execute(RELEASE_SQL)
        changed += cur.rowcount
        cur.execute(
            "SELECT COUNT(*), COALESCE(SUM(ppap_amount), 0) FROM loans_loan WHERE status = 'disbursed'"
        )
        running, _running_ppap = cur.fetchone()
    after = Loan.objects.aggregate(s=_sum("ppap_amount"))["s"] or ZERO
    run = ArrearsRun.objects.create(on=on, loans=running, ppap_before=before, ppap_after=after)
    diff = after - before
    if diff != 0:
        expense = account_for_role("ppap_expense")
        allowance = account_for_role("ppap_allowance")
        if diff > 0:
            lines = [LineSpec(expense, debit=diff), LineSpec(allowance, credit=diff)]
            desc = _("Penyisihan PPAP per %s") % on.isoformat()
        else:
            lines = [LineSpec(allowance, debit=-diff), LineSpec(expense, credit=-diff)]
            desc = _("Pemulihan PPAP per %s") % on.isoformat()
        run.entry = journal_post(
            on=on, description=desc, lines=lines, source="loan", source_ref=f"ppap:{run.pk}", by=by
        )
    st.last_arrears_run = on
    st.save(update_fields=["last_arrears_run"])
    run.seconds = Decimal(str(round(time.perf_counter() - started, 3)))
    run.save(update_fields=["entry", "seconds"])
    audit_log(
        actor=by,
        action="loan.arrears.run",
        target=run,
        data={
            "on": on.isoformat(),
            "loans": running,
            "changed": changed,
            "ppap_before": str(before),
            "ppap_after": str(after),
        },
    )
    return run


def _sum(field: str):
    from django.db.models import Sum

    return Sum(field)
