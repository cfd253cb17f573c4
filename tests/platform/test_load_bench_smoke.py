"""Smoke run of bench/load_bench.py (2 cooperatives, 2 users, a few seconds, own
database) so the harness never rots: gunicorn comes up, every page is requested and
answers 200 (locust counts anything else as an error)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_load_bench_smoke_run():
    db = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    env = dict(
        os.environ,
        BENCH_DB=f"{db.rsplit('/', 1)[1]}_bench_load_smoke",
        BENCH_REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
    )
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "load_bench.py"), "--cooperatives", "2"]
        + ["--users", "2", "--seconds", "8", "--port", "8799", "--no-docs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for page in ("dashboard", "member list", "loan page", "trial balance"):
        row = re.search(rf"^\| {page} \| (\d+) \| (\d+) \|", out, re.M)
        assert row, out
        assert int(row[1]) > 0 and int(row[2]) == 0, out
    assert re.search(r"overall: p50 \d+ ms, p95 \d+ ms, [\d.]+ req/s, 0 errors", out), out
