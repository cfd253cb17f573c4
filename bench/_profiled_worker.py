"""A Celery worker whose pool processes profile themselves (cProfile, CPU time) from
start to shutdown and save ``<dir>/worker-<pid>.prof`` for pstats: what a task costs
besides its service (the message, the tenant switch, the signals, the progress).

    python bench/_profiled_worker.py <dir> -A lumbung worker ...

Started by ``bench/deductions_bench.py`` when BENCH_WORKER_PROFILE=<dir> is set."""

from __future__ import annotations

import cProfile
import os
import sys
import time

from celery.signals import worker_process_init, worker_process_shutdown

OUT = sys.argv.pop(1)
_prof: cProfile.Profile | None = None


@worker_process_init.connect
def _start(**kwargs) -> None:
    global _prof
    _prof = cProfile.Profile(time.process_time)
    _prof.enable()


@worker_process_shutdown.connect
def _stop(**kwargs) -> None:
    if _prof is not None:
        _prof.disable()
        _prof.dump_stats(os.path.join(OUT, f"worker-{os.getpid()}.prof"))


if __name__ == "__main__":
    from celery.__main__ import main

    sys.argv[0] = "celery"
    main()
