"""Smoke run of bench/migrate_bench.py (3 cooperatives, own database) so the harness
never rots: it must finish and report every figure."""

import os
from pathlib import Path

import pytest

from tests.bench_run import bench_run, bench_template_db, smoke_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_migrate_bench_smoke_run():
    with smoke_database("migrate") as db:  # dropped after the run, passed or not
        out = bench_run(
            "migrate_bench.py",
            *["--tenants", "3", "--no-docs"],
            env=dict(
                os.environ,
                BENCH_DB=db,
                BENCH_TEMPLATE_DB=bench_template_db(),  # migrated once per test run
            ),
            timeout=900,
        )
    assert "3 cooperatives" in out
    for line in (
        "no-op, migrate_all_tenants:",
        "of which the plan over 3 schemas:",
        "no-op, migrate_schemas --tenant:",
        "new column, migrate_all_tenants:",
        "new column, migrate_schemas --tenant:",
    ):
        assert line in out, out
    assert not list((ROOT / "core" / "members" / "migrations").glob("9999_*"))
