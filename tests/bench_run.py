"""How the smoke tests of the benchmarks run one: ``bench/<script>`` in a subprocess from
the project's root, with the project on PYTHONPATH, failing the test with its output
when it exits non-zero."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]


def bench_run(script: str, *args: str, env: dict | None = None, timeout: int = 900) -> str:
    """Run ``bench/<script> <args>`` with ``env`` (the test's environment when None) and
    the project on PYTHONPATH; returns its standard output."""
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=dict(
            os.environ if env is None else env,
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
        ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def databases_drop(url: str, names: set[str] | list[str]) -> None:
    """Drop the databases ``names`` (if they exist, their connections closed) on the server
    of ``url``: what a smoke run made for itself."""
    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            for name in names:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()
