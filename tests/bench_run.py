"""How the smoke tests of the benchmarks run one: ``bench/<script>`` in a subprocess from
the project's root, with the project on PYTHONPATH, failing the test with its output
when it exits non-zero."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parents[1]

_MIGRATE = (
    "import django; django.setup(); from django.core.management import call_command; "
    "call_command('migrate_schemas', executor='standard', interactive=False, verbosity=0)"
)


def bench_run(script: str, *args: str, env: dict | None = None, timeout: int = 900) -> str:
    """Run ``bench/<script> <args>`` with ``env`` (the test's environment when None) and
    the project on PYTHONPATH; returns its standard output. The caller's own PYTHONPATH
    entries follow the project's (under a fake clock, the shim of ``tests/tools/faketime_site``
    must reach the bench and its Celery worker, whose ``time.sleep`` fails without it)."""
    env = os.environ if env is None else env
    own = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    path = [str(ROOT), str(ROOT / "platform")]
    proc = subprocess.run(
        [sys.executable, "-W", "ignore", str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env=dict(env, PYTHONPATH=os.pathsep.join(path + [p for p in own if p not in path])),
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


_drops: dict[str, threading.Thread] = {}
_drop_errors: list[str] = []


@contextmanager
def smoke_database(kind: str) -> Iterator[str]:
    """The name of a smoke run's own database, ``<$DATABASE_URL's name>_bench_<kind>_smoke``
    (pass it to the bench as $BENCH_DB: the bench makes it), dropped when the block ends,
    whether the run passed, failed or timed out. The drop runs in a thread of its own: a
    DROP DATABASE waits for a checkpoint (seconds on a busy server), which the test need
    not wait for; the end of the run does (``smoke_databases_dropped``, tests/conftest.py)."""
    server, name = _server_db()
    db = f"{name}_bench_{kind}_smoke"
    if db in _drops:  # the same smoke again in this process: its last drop done first
        _drops.pop(db).join()
    try:
        yield db
    finally:
        _drops[db] = threading.Thread(target=_drop, args=(f"{server}/{db}", db), name=db)
        _drops[db].start()


def _drop(url: str, db: str) -> None:
    try:
        databases_drop(url, [db])
    except Exception as exc:  # reported by smoke_databases_dropped
        _drop_errors.append(f"{db}: {exc}")


def smoke_databases_dropped() -> None:
    """Wait until the databases of this process's smoke runs (``smoke_database``) are
    dropped; raise naming any that could not be."""
    while _drops:
        _drops.popitem()[1].join()
    if _drop_errors:
        errors = ", ".join(_drop_errors)
        _drop_errors.clear()
        raise RuntimeError(f"smoke databases left behind: {errors}")


def _server_db() -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    server, name = url.rsplit("/", 1)
    return server, name


def _template_paths() -> tuple[str, Path, Path]:
    name = f"{_server_db()[1]}_bench_template"
    lock = Path(tempfile.gettempdir()) / f"lumbung-{name}.lock"
    return name, lock, lock.with_suffix(".run")


def _run_id() -> str:
    # one id for all xdist workers of a run (and the controller); the process without xdist
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


def bench_template_db() -> str:
    """A database migrated from scratch as a bench's own is (``migrate_schemas``, nothing
    else), made once per test run for every bench smoke test that passes it as
    $BENCH_TEMPLATE_DB (their benches copy it: ``CREATE DATABASE … TEMPLATE``): the first
    xdist worker to ask makes it under a file lock, the others wait and reuse it. Dropped
    at the end of the run (``bench_template_drop``, from tests/conftest.py)."""
    server, _ = _server_db()
    name, lock, stamp = _template_paths()
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text() == _run_id() and _database_exists(server, name):
            return name
        databases_drop(f"{server}/{name}", [name])
        conn = psycopg2.connect(f"{server}/postgres")
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        env = dict(
            os.environ,
            DATABASE_URL=f"{server}/{name}",
            DJANGO_SETTINGS_MODULE="lumbung.settings",
            DJANGO_DEBUG="false",
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
        )
        proc = subprocess.run(
            [sys.executable, "-W", "ignore", "-c", _MIGRATE],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        stamp.write_text(_run_id())
        return name


def bench_template_drop() -> None:
    """Drop the bench template database, if one was made (the end of the run: called by the
    process that ran the tests, or xdist's controller once its workers are done)."""
    server, _ = _server_db()
    name, lock, stamp = _template_paths()
    if not stamp.exists():
        return
    databases_drop(f"{server}/{name}", [name])
    stamp.unlink(missing_ok=True)


def _database_exists(server: str, name: str) -> bool:
    conn = psycopg2.connect(f"{server}/postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cur.fetchone() is not None
    finally:
        conn.close()
