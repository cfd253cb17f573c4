"""A real Celery worker (prefork, one pool process, a queue of its own) on this session's
test database and Redis. The task posting a payroll batch is held mid-way (the loans it
must lock are held by the test), its pool process is killed with SIGKILL, then the lock is
released: the message comes back (acks_late + reject_on_worker_lost), the task runs again
in a new pool process and the batch is posted exactly once, the books reconciled."""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date

import pytest
from django.db import connection
from django.utils import timezone

from core.loans.schedules import add_months
from tests.faults.helpers import ROOT, raw_connection, record_fault, worker_env

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        return []


def _wait(predicate, timeout: float, what: str, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def test_worker_killed_mid_task_runs_it_again_and_posts_the_batch_once(
    scratch_tenant, django_db_blocker, settings, tmp_path, record_property
):
    from core.deductions import services as svc
    from core.deductions.models import DeductionImport, DeductionRun
    from core.deductions.tasks import deduction_run_post_one_task
    from core.ledger.models import JournalEntry
    from tests.deductions.conftest import assert_reconciled, coop_build, csv_bytes, make_run

    record_fault(record_property, "worker_killed:payroll_batch_task")
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST
    settings.MEDIA_ROOT = tmp_path / "media"
    schema = scratch_tenant.schema_name
    suffix = uuid.uuid4().hex[:8]
    queue = f"faults-{suffix}"
    log = tmp_path / "worker.log"
    with django_db_blocker.unblock():
        connection.set_tenant(scratch_tenant)
        day = min(timezone.localdate().day, 28)
        t = timezone.localdate()
        this = date(t.year, t.month, day)
        built = coop_build(day, (add_months(this, -1), this))
        by = built["by"]
        run = make_run(on=this, by=by)
        ag = built["agencies"][0]
        rows = [(ln.nip, int(ln.total) + 5_000) for ln in run.lines.filter(agency=ag)]
        imp = svc.deduction_import_upload(
            run=run, agency=ag, content=csv_bytes(rows), file_name="a.csv", by=by
        )
        assert svc.deduction_run_post_all_start(run=run, by=by) == [imp.pk]

        locker = raw_connection()
        locker.autocommit = False
        lock_cur = locker.cursor()
        lock_cur.execute(f'SELECT id FROM "{schema}".loans_loan FOR UPDATE')
        locker_pid = locker.get_backend_pid()
        with open(log, "w") as out:
            worker = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "lumbung",
                    "worker",
                    "-P",
                    "prefork",
                    "-c",
                    "1",
                    "-Q",
                    queue,
                    "-n",
                    f"faults-{suffix}@localhost",
                    "-l",
                    "info",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=worker_env(),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deduction_run_post_one_task.apply_async(args=[run.pk, imp.pk, by.pk, None], queue=queue)

            def waiting_backend():
                with raw_connection() as c, c.cursor() as cur:
                    cur.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND pid <> %s",
                        [locker_pid],
                    )
                    row = cur.fetchone()
                    return row and row[0]

            first_backend = _wait(waiting_backend, 60, "the task to wait on the loans", log)
            pool = _children(worker.pid)
            assert len(pool) == 1, pool
            os.kill(pool[0], signal.SIGKILL)  # the pool process, mid-task
            _wait(lambda: pool[0] not in _children(worker.pid), 20, "the pool process to die", log)
            locker.rollback()  # the killed attempt's backend aborts; the new attempt goes on

            def posted():
                imp.refresh_from_db()
                return imp.status == DeductionImport.Status.POSTED

            _wait(posted, 60, "the batch to be posted by the task run again", log)
            run.refresh_from_db()
            _wait(
                lambda: (
                    (run.refresh_from_db() or run.posting_status) == DeductionRun.PostingStatus.DONE
                ),
                20,
                "the run to be marked done",
                log,
            )
            text = log.read_text()
            assert "WorkerLostError" in text or "SIGKILL" in text, text[-3000:]
            assert JournalEntry.objects.filter(source="deduction").count() == 1
            assert run.posting_done == 1 and len(run.posting_results) == 1
            assert run.posting_results[0]["ok"] is True
            assert first_backend != locker_pid
            assert_reconciled()
        finally:
            locker.close()
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait(timeout=10)
            connection.set_schema_to_public()
