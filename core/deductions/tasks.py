"""Celery tasks of core.deductions (thin wrappers). Sent from a tenant context,
tenant-schemas-celery runs them in that cooperative's schema."""

from celery import shared_task

from core.users.models import User

from .models import DeductionRun


@shared_task
def deduction_run_generate_task(run_id: int, user_id: int | None = None) -> int:
    """Fill a run's lines (progress is written as it goes; the screen polls it)."""
    # import cycle: deductions.services.start imports this module to enqueue
    from .services import deduction_run_generate

    by = User.objects.filter(pk=user_id).first() if user_id else "system"
    run = DeductionRun.objects.get(pk=run_id)
    # a failure is logged by the service (an unexpected one with its traceback) and kept
    # on the run, which the screen says
    run = deduction_run_generate(run=run, by=by or "system")
    return run.lines.count()


@shared_task
def deduction_run_post_one_task(
    run_id: int, import_id: int, user_id: int | None, on: str | None = None
) -> bool:
    """Post one agency batch queued by ``deduction_run_post_all_start`` (one task per
    agency: the workers post them side by side; progress and results are written on the
    run, which the screen polls), dated ``on`` (ISO date; the run's payday when None).
    True when it was posted."""
    # import cycle: deductions.services.start imports this module to enqueue
    from .services import deduction_run_post_one

    by = User.objects.filter(pk=user_id).first() if user_id else None
    run = DeductionRun.objects.get(pk=run_id)
    return deduction_run_post_one(run=run, import_id=import_id, by=by, on=on)["ok"]


@shared_task
def deduction_run_post_agencies_task(
    run_id: int, import_ids: list[int], user_id: int | None, on: str | None = None
) -> int:
    """Post several agency batches queued by ``deduction_run_post_all_start`` one after
    the other, each in its own transaction with its result and progress recorded as
    ``deduction_run_post_one_task`` does (a few tasks per run instead of one per agency:
    the task's own cost — message, tenant switch, bookkeeping — is paid a few times).
    Safe to run again (a worker killed mid-way): an agency whose result is recorded is
    not counted twice. Returns how many of them are posted (by this run or an earlier)."""
    # import cycle: deductions.services.start imports this module to enqueue
    from .services import deduction_run_post_one

    by = User.objects.filter(pk=user_id).first() if user_id else None
    run = DeductionRun.objects.get(pk=run_id)
    return sum(
        deduction_run_post_one(run=run, import_id=import_id, by=by, on=on)["ok"]
        for import_id in import_ids
    )
