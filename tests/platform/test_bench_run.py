"""The smoke tests of the benchmarks leave no database behind (tests/bench_run.py): the
one a smoke run's bench makes for itself is dropped when the run ends, passed or failed
(in the background: the end of the test command waits for it)."""

import os

import psycopg2
import pytest

from tests import bench_run
from tests.bench_run import smoke_database, smoke_databases_dropped


def _server() -> str:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    return url.rsplit("/", 1)[0]


def _exists(name: str) -> bool:
    conn = psycopg2.connect(f"{_server()}/postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cur.fetchone() is not None
    finally:
        conn.close()


def _bench_makes(name: str):
    """What a bench does first with $BENCH_DB: make the database, and stay connected."""
    conn = psycopg2.connect(f"{_server()}/postgres")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    # a session still open on it when the run ends (a bench's process killed mid-run)
    return psycopg2.connect(f"{_server()}/{name}")


def test_a_smoke_runs_database_is_dropped_when_the_run_passes():
    with smoke_database("probe") as db:
        left_open = _bench_makes(db)
        assert _exists(db)
    smoke_databases_dropped()
    assert not _exists(db)
    left_open.close()


def test_a_smoke_runs_database_is_dropped_when_the_run_fails():
    with (
        pytest.raises(AssertionError, match="the bench exited 1"),
        smoke_database("probe") as db,
    ):
        left_open = _bench_makes(db)
        raise AssertionError("the bench exited 1")
    smoke_databases_dropped()
    assert not _exists(db)
    left_open.close()


def test_a_smoke_runs_database_is_named_after_the_test_commands():
    name = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    with smoke_database("scale") as db:
        assert db == f"{name.rsplit('/', 1)[1]}_bench_scale_smoke"
    smoke_databases_dropped()


def test_a_drop_that_fails_is_reported_at_the_end(monkeypatch):
    def refused(url, names):
        raise psycopg2.OperationalError("connection refused")

    monkeypatch.setattr(bench_run, "databases_drop", refused)
    with smoke_database("probe") as db:
        pass
    with pytest.raises(RuntimeError, match=f"smoke databases left behind: {db}: connection"):
        smoke_databases_dropped()
    smoke_databases_dropped()  # reported once
