"""The daily arrears run: days past due per running loan, kolektibilitas by the
cooperative's thresholds, the PPAP each loan needs, and one journal entry for the change
in the allowance. Set-based SQL (one UPDATE over all loans), so 20,000 loans take
seconds. Grades and amounts agree with ``schedules.kolektibilitas`` / ``ppap_amount``
(tested)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.loans.audit import LoanAudit

from . import schedules as S
from .models import ArrearsRun, Instalment, Loan, LoanSettings, Reschedule

ZERO = Decimal("0")

# PPAP is on the principal outstanding net of deferred jasa (capitalised at a
# restructuring; a liability, not money the cooperative lent), so restructuring does not
# grow the allowance by the jasa it has not earned. ``base``: that difference, as the
# statement names it (the loan's columns, or an as-of reading's).
PPAP_SQL = """ROUND(({base}) * (CASE {grade}
        WHEN 'lancar' THEN %(r_lancar)s WHEN 'dpk' THEN %(r_dpk)s
        WHEN 'kurang_lancar' THEN %(r_kurang_lancar)s
        WHEN 'diragukan' THEN %(r_diragukan)s ELSE %(r_macet)s END) / 100, 0)"""

# Grades by days past due (four grades: the DPK band is empty, t_dpk = t_lancar); a
# restructured loan's grade is then corrected by ``_restructured_regrade``. ``scope``
# (a CTE the statement defines first: id, outstanding, deferred_jasa) holds the loans
# graded; ``{open}`` says which of their current rows are still open on ``on``. The daily
# run and the run as of a past day (``loans_arrears_as_of``) share it, so both count days
# and grade alike.
GRADE_CTES = """
open_rows AS (
    SELECT i.loan_id, MIN(i.due_date) AS oldest
    FROM loans_instalment i
    JOIN scope s ON s.id = i.loan_id
    WHERE i.is_current AND {open} AND i.due_date < %(on)s
    GROUP BY i.loan_id
),
graded AS (
    SELECT s.id, s.outstanding, s.deferred_jasa,
           COALESCE(%(on)s::date - o.oldest, 0) AS dpd
    FROM scope s LEFT JOIN open_rows o ON o.loan_id = s.id
),
target AS (
    SELECT g.id, g.dpd, g.outstanding, g.deferred_jasa,
           CASE WHEN g.dpd <= %(t_lancar)s THEN 'lancar'
                WHEN g.dpd <= %(t_dpk)s THEN 'dpk'
                WHEN g.dpd <= %(t_kurang_lancar)s THEN 'kurang_lancar'
                WHEN g.dpd <= %(t_diragukan)s THEN 'diragukan'
                ELSE 'macet' END AS grade
    FROM graded g
)"""

TARGET_PPAP = PPAP_SQL.format(base="t.outstanding - t.deferred_jasa", grade="t.grade")

UPDATE_SQL = (
    """
WITH scope AS (
    SELECT id, principal_outstanding AS outstanding, deferred_jasa
    FROM loans_loan WHERE status = 'disbursed'
),"""
    + GRADE_CTES.format(open="NOT i.settled")
    + """
UPDATE loans_loan l
SET days_past_due = t.dpd,
    kolektibilitas = t.grade,
    ppap_amount = """
    + TARGET_PPAP
    + """
FROM target t
WHERE l.id = t.id
  AND (l.days_past_due, l.kolektibilitas, l.ppap_amount) IS DISTINCT FROM
      (t.dpd, t.grade, """
    + TARGET_PPAP
    + """)
"""
)

RELEASE_SQL = """
UPDATE loans_loan SET ppap_amount = 0, days_past_due = 0
WHERE status <> 'disbursed' AND (ppap_amount <> 0 OR days_past_due <> 0)
"""

# The grades of a run dated a month's last day, kept for reports as of that day (the
# RAT's collectibility as of 31 December); a re-run of the date replaces them
SNAPSHOT_DELETE_SQL = 'DELETE FROM loans_loangradesnapshot WHERE "on" = %(on)s'
SNAPSHOT_SQL = """
INSERT INTO loans_loangradesnapshot ("on", loan_id, kolektibilitas, days_past_due,
       principal_outstanding, ppap_amount, deferred_jasa, restructured)
SELECT %(on)s, id, kolektibilitas, days_past_due, principal_outstanding, ppap_amount,
       deferred_jasa, restructured_grade <> ''
  FROM loans_loan WHERE status = 'disbursed' AND disbursed_on <= %(on)s
"""


# Days past due of some running loans, as the daily run counts them (``open_rows`` and
# ``graded`` above), read at once after a payment (counter or payroll batch) changed their
# open rows; the grade and the PPAP stay the daily run's. Driven by the ids (one index walk
# of ``loans_inst_current_idx`` per loan), not by a filter over every running loan (which
# grows with the cooperative), and written by the caller's own UPDATE of the loans, not by
# a second one.
DPD_SQL = """
SELECT x.id,
       COALESCE(%(on)s::date - (
           SELECT MIN(i.due_date) FROM loans_instalment i
           WHERE i.loan_id = x.id AND i.is_current AND NOT i.settled
             AND i.due_date < %(on)s), 0)
FROM unnest(%(ids)s::bigint[]) AS x(id)
"""


def loans_days_past_due_set(*, loans: Sequence[Loan], on: date | None = None) -> None:
    """Set ``days_past_due`` on these loan objects as the daily arrears run would as of
    ``on`` (today), from their open rows as already written (one statement); a loan not
    running (closed, written off) gets 0. The caller then saves the field with its own
    write of the loans, so the loan page's "hari tunggakan" agrees with its arrears right
    after a payment or a reversal."""
    on = on or timezone.localdate()
    running = [ln for ln in loans if ln.status == Loan.Status.DISBURSED]
    for ln in loans:
        if ln.status != Loan.Status.DISBURSED:
            ln.days_past_due = 0
    if not running:
        return
    with connection.cursor() as cur:
        cur.execute(DPD_SQL, {"on": on, "ids": [ln.pk for ln in running]})
        dpd = dict(cur.fetchall())
    for ln in running:
        ln.days_past_due = dpd[ln.pk]


@transaction.atomic
def loans_arrears_update(*, on: date, by="system") -> ArrearsRun:
    """Update days past due, kolektibilitas and PPAP for all loans as of ``on``, and
    post the change in the PPAP allowance (expense up, or released back)."""
    started = time.perf_counter()
    st = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]
    before = Loan.objects.aggregate(s=_sum("ppap_amount"))["s"] or ZERO
    params = grade_params(st)
    params["on"] = on
    with connection.cursor() as cur:
        cur.execute(UPDATE_SQL, params)
        changed = cur.rowcount
        cur.execute(RELEASE_SQL)
        changed += cur.rowcount
        changed += _restructured_regrade(st, params, on)
        cur.execute(
            "SELECT COUNT(*), COALESCE(SUM(ppap_amount), 0) FROM loans_loan WHERE status = 'disbursed'"
        )
        running, _running_ppap = cur.fetchone()
        if (on + timedelta(days=1)).day == 1:  # a month's last day: keep the grades
            cur.execute(SNAPSHOT_DELETE_SQL, {"on": on})
            cur.execute(SNAPSHOT_SQL, {"on": on})
    after = Loan.objects.aggregate(s=_sum("ppap_amount"))["s"] or ZERO
    run = ArrearsRun.objects.create(
        on=on, kind=ArrearsRun.Kind.DAILY, loans=running, ppap_before=before, ppap_after=after
    )
    diff = after - before
    if diff != 0:
        lines, desc = ppap_change_lines(diff=diff, on=on)
        run.entry = journal_post(
            on=on, description=desc, lines=lines, source="loan", source_ref=f"ppap:{run.pk}", by=by
        )
    st.last_arrears_run = on
    st.save(update_fields=["last_arrears_run"])
    run.seconds = Decimal(str(round(time.perf_counter() - started, 3)))
    run.save(update_fields=["entry", "seconds"])
    audit_log(
        actor=by,
        action=LoanAudit.ARREARS_RUN,
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


def ppap_change_lines(*, diff: Decimal, on: date) -> tuple[list[LineSpec], str]:
    """The lines and description of the allowance's change by ``diff`` (PPAP after less
    before) on ``on``: an expense raising the allowance, or the allowance released back
    to the expense. ``diff`` is not 0. The as-of run's turning back swaps the sides."""
    expense = account_for_role("ppap_expense")
    allowance = account_for_role("ppap_allowance")
    if diff > 0:
        lines = [LineSpec(expense, debit=diff), LineSpec(allowance, credit=diff)]
        return lines, _("Penyisihan PPAP per %s") % on.isoformat()
    lines = [LineSpec(allowance, debit=-diff), LineSpec(expense, credit=-diff)]
    return lines, _("Pemulihan PPAP per %s") % on.isoformat()


def grade_params(st: LoanSettings) -> dict:
    """The SQL's thresholds and rates of the scheme in force."""
    t = st.thresholds
    if st.is_five:
        limits = dict(zip(("lancar", "dpk", "kurang_lancar", "diragukan"), t, strict=True))
    else:
        limits = dict(zip(("lancar", "kurang_lancar", "diragukan"), t, strict=True))
        limits["dpk"] = limits["lancar"]  # no DPK band
    rates = {g.value: st.ppap_rates.get(g, ZERO) for g in S.KOLEK_ORDER}
    return {f"t_{k}": v for k, v in limits.items()} | {f"r_{k}": v for k, v in rates.items()}


def _restructured_regrade(st: LoanSettings, params: dict, on: date) -> int:
    """Restructured loans keep the grade they had when restructured until they have paid
    the set number of instalments on time in a row, then improve one grade at a time
    (``schedules.restructured_grade``): the days-past-due grade just written is raised to
    that floor where it is better. Few loans; read and written one by one."""
    loans = list(
        Loan.objects.filter(status=Loan.Status.DISBURSED)
        .exclude(restructured_grade="")
        .only(
            "id", "kolektibilitas", "restructured_grade", "principal_outstanding", "deferred_jasa"
        )
        .order_by("pk")
    )
    if not loans:
        return 0
    grades = restructured_grades(
        st, {ln.pk: (ln.restructured_grade, ln.kolektibilitas) for ln in loans}, on
    )
    changed = 0
    for loan in loans:
        grade = grades[loan.pk]
        if grade == loan.kolektibilitas:
            continue
        rate = params[f"r_{grade.value}"]
        ppap = S.ppap_amount(loan.principal_outstanding - loan.deferred_jasa, grade, {grade: rate})
        Loan.objects.filter(pk=loan.pk).update(kolektibilitas=grade, ppap_amount=ppap)
        changed += 1
    return changed


def restructured_grades(
    st: LoanSettings, loans: dict[int, tuple[str, str]], on: date
) -> dict[int, S.Kolektibilitas]:
    """The grade on ``on`` of each restructured loan ``{id: (grade at restructuring,
    days-past-due grade)}`` (``schedules.restructured_grade``), from the rows of its
    latest schedule; a row settled after ``on`` counts as not settled then (a run as of
    a past day)."""
    rows = _restructured_rows(list(loans), on)
    return {
        pk: S.restructured_grade(
            grade_at_restructure=at_restructure,
            dpd_grade=dpd_grade,
            rows=rows.get(pk, []),
            on=on,
            probation=st.restructure_probation_instalments,
            grades=st.grades,
        )
        for pk, (at_restructure, dpd_grade) in loans.items()
    }


def restructured_on_probation(loan: Loan, on: date) -> bool:
    """Whether the restructured ``loan`` is still on probation on ``on``: the grade it
    keeps (``schedules.restructured_grade``, days past due aside) is not yet back to the
    best grade, or it has not yet paid the set number of instalments on time in a row (a
    loan restructured while Lancar). False for a loan never restructured."""
    if not loan.restructured_grade:
        return False
    st = LoanSettings.get()
    return not S.restructured_probation_ended(
        grade_at_restructure=loan.restructured_grade,
        rows=_restructured_rows([loan.pk], on).get(loan.pk, []),
        on=on,
        probation=st.restructure_probation_instalments,
        grades=st.grades,
    )


def _restructured_rows(loan_ids: list[int], on: date) -> dict[int, list]:
    """``{id: [(due_date, settled_on), ...]}``: the rows of each loan's latest schedule in
    order, a row settled after ``on`` as not settled then."""
    # the rows of each loan's latest schedule (settled rows of earlier versions stay
    # current too; they are not the new terms)
    since = dict(
        Reschedule.objects.filter(loan_id__in=loan_ids)
        .values("loan_id")
        .annotate(v=Max("version_to"))
        .values_list("loan_id", "v")
    )
    rows: dict[int, list] = {}
    for loan_id, version, due, settled_on in (
        Instalment.objects.filter(loan_id__in=loan_ids, is_current=True)
        .order_by("loan_id", "number")
        .values_list("loan_id", "version", "due_date", "settled_on")
    ):
        if version >= since.get(loan_id, 0):
            settled = settled_on if settled_on is not None and settled_on <= on else None
            rows.setdefault(loan_id, []).append((due, settled))
    return rows


def _sum(field: str):
    return Sum(field)
