"""Smoke run of bench/migrate_bench.py (3 cooperatives, own database) so the harness
never rots: it must finish and report every figure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_migrate_bench_smoke_run():
    db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    env = dict(
        os.environ,
        BENCH_DB=f"{db.rsplit('/', 1)[1]}_bench_migrate_smoke",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    )
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "migrate_bench.py"), "--tenants", "3", "--no-docs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
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
