"""Starting the background work of a run: each service changes the run in one
transaction (the step's own service writes the audit row) and queues its Celery task(s)
only once that transaction commits. Called alike by the API and the HTML screens."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from ..models import DeductionRun
from ..tasks import deduction_run_generate_task, deduction_run_post_agencies_task
from .common import posting_date_clean
from .post_all import deduction_run_post_all_start, post_groups
from .runs import deduction_run_create, deduction_run_regenerate, deduction_run_retry


def _user_id(by) -> int | None:
    return getattr(by, "pk", None)


def _generate_after_commit(run: DeductionRun, by) -> None:
    user_id = _user_id(by)
    transaction.on_commit(lambda: deduction_run_generate_task.delay(run.pk, user_id))


@transaction.atomic
def deduction_run_start(*, year: int, month: int, by) -> DeductionRun:
    """Create the month's run and, once committed, queue the task that fills its lines."""
    run = deduction_run_create(year=year, month=month, by=by)
    _generate_after_commit(run, by)
    return run


@transaction.atomic
def deduction_run_regenerate_start(*, run: DeductionRun, by) -> DeductionRun:
    """Empty the run's list again and, once committed, queue the task that refills it."""
    run = deduction_run_regenerate(run=run, by=by)
    _generate_after_commit(run, by)
    return run


@transaction.atomic
def deduction_run_retry_start(*, run: DeductionRun, by) -> DeductionRun:
    """Put a failed run back to "generating" and, once committed, queue its task again."""
    run = deduction_run_retry(run=run, by=by)
    _generate_after_commit(run, by)
    return run


@transaction.atomic
def deduction_run_post_all_enqueue(*, run: DeductionRun, by, on=None) -> DeductionRun:
    """Start posting every ready agency of ``run``: the agencies split into
    ``DEDUCTIONS_POST_TASKS`` Celery tasks of about the same number of members (each
    agency its own transaction), queued at commit, each dated ``on`` (the day the money
    was received; default the payday)."""
    on = posting_date_clean(run, on)
    ids = deduction_run_post_all_start(run=run, by=by, on=on)
    user_id, run_id, day = _user_id(by), run.pk, on.isoformat()
    groups = post_groups(import_ids=ids, tasks=settings.DEDUCTIONS_POST_TASKS)

    def enqueue() -> None:
        for group in groups:  # the workers post the groups side by side
            deduction_run_post_agencies_task.delay(run_id, group, user_id, day)

    transaction.on_commit(enqueue)
    run.refresh_from_db()  # the posting status and totals written by the start step
    return run
