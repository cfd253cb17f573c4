"""Smoke run of bench/scale_bench.py (3 cooperatives, own database) so the harness never
rots: it must finish and report every figure (two cooperatives made by two processes side
by side, the third one by one and timed), and the fast path must have carried the
schema and RunSQL migrations (and not the RunPython one)."""

import os
from pathlib import Path

import pytest

from tests.bench_run import bench_run, bench_template_db, smoke_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_scale_bench_smoke_run():
    with smoke_database("scale") as db:  # dropped after the run, passed or not
        out = bench_run(
            "scale_bench.py",
            *["--cooperatives", "3", "--make-processes", "2", "--measure-last", "1", "--no-docs"],
            env=dict(
                os.environ,
                BENCH_DB=db,
                BENCH_TEMPLATE_DB=bench_template_db(),  # migrated once per test run
            ),
            timeout=1200,
        )
    assert "3 cooperatives (3 made in" in out
    assert "1 of them one by one and timed" in out  # two made side by side
    for line in (
        "provisioning (cooperative_create): p50",
        "no-op migrate_all_tenants:",
        "column, migrate_all_tenants: ",
        "column, migrate_all_tenants --no-fast-path --plain-executor:",
        "index, migrate_all_tenants --no-fast-path --plain-executor:",
        "data, migrate_all_tenants --no-fast-path --plain-executor:",
        "sql, migrate_all_tenants --no-fast-path --plain-executor:",
        "pg_class rows, database",
        "pg_dump -n one cooperative",
        "backend memory after 3 cooperatives: contexts",
        "uptime:",
    ):
        assert line in out, out
    assert "(3 schemas by the fast path)" in out.split("column, migrate_all_tenants: ")[1]
    assert "(3 schemas by the fast path)" in out.split("index, migrate_all_tenants: ")[1]
    assert "(0 schemas by the fast path)" in out.split("data, migrate_all_tenants: ")[1]
    assert "(3 schemas by the fast path)" in out.split("sql, migrate_all_tenants: ")[1]
    assert not list((ROOT / "core" / "members" / "migrations").glob("9999_*"))
