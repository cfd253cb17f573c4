"""Celery tasks of core.deductions (thin wrappers). Sent from a tenant context,
tenant-schemas-celery runs them in that cooperative's schema."""

import logging

from lumbung.celery import app

log = logging.getLogger(__name__)


@app.task
def deduction_run_generate_task(run_id: int, user_id: int | None = None) -> int:
    """Fill a run's lines (progress is written as it goes; the screen polls it)."""
    from core.users.models import User

    from .models import DeductionRun
    from .services import deduction_run_generate

    by = User.objects.filter(pk=user_id).first() if user_id else "system"
    run = DeductionRun.objects.get(pk=run_id)
    try:
        run = deduction_run_generate(run=run, by=by or "system")
    except Exception:
        log.exception("Deduction run %s failed", run_id)
        raise
    return run.lines.count()


@app.task
def deduction_run_post_all_task(run_id: int, import_ids: list[int], user_id: int | None) -> int:
    """Post the agency batches queued by ``deduction_run_post_all_start`` (progress and
    results are written on the run; the screen polls them). Returns how many posted."""
    from core.users.models import User

    from .models import DeductionRun
    from .services import deduction_run_post_all

    by = User.objects.filter(pk=user_id).first() if user_id else None
    run = deduction_run_post_all(
        run=DeductionRun.objects.get(pk=run_id), import_ids=import_ids, by=by
    )
    return sum(1 for r in run.posting_results if r.get("ok"))
