"""Smoke run of bench/deductions_bench.py (40 members, 2 agencies, two months of savings
history, its own database) so the payroll harness never rots: the whole cycle through a real
Celery worker, books reconciled, every figure printed (where the CPU went while posting
included), the history rows written; then bench/payroll_check_bench.py (the check of one
agency's return alone) on the same database."""

import os
import re

import pytest

from tests.bench_run import bench_run, bench_template_db, smoke_database


@pytest.mark.slow
def test_deductions_bench_smoke_run(tmp_path):
    with smoke_database("deductions") as db:  # dropped after the run, passed or not
        env = dict(
            os.environ,
            BENCH_DB=db,
            BENCH_TEMPLATE_DB=bench_template_db(),  # migrated once per test run
            # the worker's broker: a Redis database of its own, apart from the suite's
            BENCH_REDIS_URL=re.sub(
                r"/\d+$", "", os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
            )
            + "/14",
        )
        out = bench_run(
            "deductions_bench.py",
            *["--members", "40", "--agencies", "2", "--history-months", "2"],
            *["--workers", "1", "--no-write"],
            env=env,
            timeout=900,
        )
        # the check-only bench on the same (migrated) database: set up, check, drop
        check = bench_run(
            "payroll_check_bench.py",
            *["--setup", "--members", "40", "--check", "--repeat", "1", "--drop"],
            env=dict(env, BENCH_DIR=str(tmp_path)),
            timeout=600,
        )
    assert re.search(
        r"^xlsx: wall [\d.]+ s, cpu [\d.]+ s, backend [\d.]+ s.*; valid: 40 rows, 0 row errors;",
        check,
        re.M,
    ), check
    assert re.search(r"^csv median of 1: wall [\d.]+ s", check, re.M), check
    figures = dict(re.findall(r"^\s*(\w+): (.+)$", out, re.M))
    assert figures["members"] == "40" and figures["lines"] == "40", out
    assert figures["history_rows"] == "80", out  # 40 wajib accounts × 2 months
    assert figures["reconciled"] == "True", out
    assert figures["post_mode"] == "workers" and float(figures["post_s"]) > 0, out
    assert int(figures["journal_lines"]) > 40, out
    # where the CPU went while posting: the worker's processes and PostgreSQL both counted
    assert float(figures["post_cpu_worker_s"]) > 0 and float(figures["post_cpu_pg_s"]) > 0, out
    assert re.search(r"^\[post\] CPU over [\d.]+ s: [\d.]+ of \d+ cores busy;", out, re.M), out
