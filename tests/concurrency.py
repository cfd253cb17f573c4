"""Threads on their own connections, for tests of what two people (or workers) do at the
same moment in one cooperative (with ``scratch_tenant``: writes that really commit).

- ``in_thread``: start one thread running a function in the tenant's schema, its outcome
  recorded for the caller's assertion; ``join_all`` waits for the threads.
- ``two_clerks``: the race of two clerks, one holding an uncommitted transaction while
  the other does the same thing.
"""

import threading
from collections.abc import Callable

from django.db import connection, transaction

from core.common.errors import ApplicationError


def in_thread(tenant, key, fn: Callable[[], object], outcome: dict) -> threading.Thread:
    """Start a thread that runs ``fn()`` on its own connection in ``tenant``'s schema (a
    separate transaction that really commits, as a Celery worker's does), records what it
    returned, or the exception it raised as its repr, as ``outcome[key]``, then closes that
    connection. The caller joins it and asserts on ``outcome``."""

    def run():
        try:
            connection.set_tenant(tenant)
            outcome[key] = fn()
        except Exception as e:  # reported to the caller's assertion
            outcome[key] = repr(e)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def join_all(threads: list[threading.Thread], timeout: float = 60) -> None:
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), f"a thread still runs after {timeout} s"


def two_clerks(
    tenant, first: Callable[[], object], second: Callable[[], object], *, hold: float = 1.0
) -> dict[str, object]:
    """Clerk 1 runs ``first()`` inside a transaction and keeps it open, uncommitted; once
    it has, clerk 2 runs ``second()`` (its own connection and transaction). Clerk 1
    commits when clerk 2 is done or ``hold`` seconds have passed, whichever comes first:
    a service that locks what it checks (the member row, a unique index's row) makes
    clerk 2 wait for clerk 1's commit and then see clerk 1's write; one that lost its
    lock lets clerk 2 finish on what it read before that write.

    Returns each clerk's outcome, ``{"1": ..., "2": ...}``: "ok", the
    ``ApplicationError``'s code (a refusal), or the repr of any other exception (a
    server error)."""
    started, release = threading.Event(), threading.Event()
    results: dict[str, object] = {}

    def outcome(key: str, fn: Callable[[], object]) -> None:
        try:
            fn()
            results[key] = "ok"
        except ApplicationError as e:
            results[key] = e.code
        except Exception as e:  # reported to the caller's assertion
            results[key] = repr(e)

    def clerk_1():
        def hold_open():
            with transaction.atomic():
                first()
                started.set()
                release.wait(timeout=10)

        try:
            connection.set_tenant(tenant)
            outcome("1", hold_open)
        finally:
            started.set()  # clerk 1 failed before its write: clerk 2 goes anyway
            connection.close()

    def clerk_2():
        try:
            connection.set_tenant(tenant)
            started.wait(timeout=10)
            outcome("2", second)
        finally:
            connection.close()

    threads = [threading.Thread(target=clerk_1), threading.Thread(target=clerk_2)]
    for t in threads:
        t.start()
    started.wait(timeout=10)
    threads[1].join(timeout=hold)  # without the lock clerk 2 is done by now
    release.set()
    join_all(threads, timeout=30)
    return results


class PausePoint:
    """A place inside clerk 1's work where it stops, its transaction open and every lock
    it took so far held, while clerk 2 runs (``paused_race``). The test patches the code
    it wants to stop in to call ``stop()``; only the thread that ``arm()``-ed it stops,
    once."""

    def __init__(self) -> None:
        self._mine = threading.local()
        self.inside = threading.Event()
        self.go = threading.Event()

    def arm(self) -> None:
        self._mine.pause = True

    def stop(self) -> None:
        if getattr(self._mine, "pause", False):
            self._mine.pause = False
            self.inside.set()
            self.go.wait(timeout=10)


def paused_race(
    tenant,
    first: Callable[[], object],
    second: Callable[[], object],
    pause: PausePoint,
    *,
    second_wait: float,
    record: Callable[[object], object] = lambda _value: "ok",
) -> dict[str, object]:
    """Clerk 1 runs ``first()`` until it reaches ``pause`` (see ``PausePoint``); clerk 2
    then runs ``second()`` for at most ``second_wait`` seconds (done, or waiting for a
    lock clerk 1 holds); clerk 1 goes on. Each clerk's outcome: ``record`` of what its
    function returned ("ok" unless given), the ``ApplicationError``'s code, or the repr
    of any other exception (a deadlock PostgreSQL broke is one)."""
    results: dict[str, object] = {}

    def clerk(key: str, fn: Callable[[], object], arm: bool) -> threading.Thread:
        def run():
            try:
                connection.set_tenant(tenant)
                if arm:
                    pause.arm()
                results[key] = record(fn())
            except ApplicationError as e:
                results[key] = e.code
            except Exception as e:  # reported to the caller's assertion
                results[key] = repr(e)
            finally:
                pause.inside.set()  # clerk 1 failed before its pause: clerk 2 goes anyway
                connection.close()

        return threading.Thread(target=run)

    one = clerk("1", first, True)
    one.start()
    assert pause.inside.wait(timeout=10)
    two = clerk("2", second, False)
    two.start()
    two.join(timeout=second_wait)
    pause.go.set()
    join_all([one, two], timeout=30)
    connection.set_tenant(tenant)
    return results


def clerk_connection(tenant, *, autocommit: bool = False):
    """A plain psycopg2 connection of its own to the test database, in ``tenant``'s
    schema (for as long as it is open): another clerk's transaction, outside Django."""
    import psycopg2

    conn = psycopg2.connect(**connection.get_connection_params())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT set_config('search_path', %s, false)", [tenant.schema_name])
    conn.autocommit = autocommit
    return conn


class Deadlock:
    """A real deadlock between the code under test and another clerk's transaction.

    The clerk (a plain connection of its own, in ``tenant``'s schema) runs ``first`` (SQL
    and its parameters): locking rows the code will need. ``run(fn)`` starts ``fn`` in a thread on its own
    Django connection (as a request or a worker has) and, once that connection waits for
    one of the clerk's locks, the clerk runs ``second``: a lock the code holds by then.
    Each now waits for the other; PostgreSQL finds the cycle and ends the code's
    transaction with 40P01 (the clerk's own check waits ``deadlock_timeout`` = 30 s, the
    code's the server's 1 s, so it is the code's side that is ended), the clerk gets its
    lock and rolls back. If the code never waits for the clerk, ``run`` fails the test.

    ``run`` returns ``{"value": what fn returned}`` or ``{"error": the exception}``."""

    def __init__(self, tenant, *, first: tuple[str, list], second: tuple[str, list]) -> None:
        self.tenant, self.first, self.second = tenant, first, second

    def _connect(self, *, autocommit: bool):
        return clerk_connection(self.tenant, autocommit=autocommit)

    def run(self, fn: Callable[[], object], *, wait: float = 10) -> dict[str, object]:
        import time

        outcome: dict[str, object] = {}
        clerk = self._connect(autocommit=False)
        watcher = self._connect(autocommit=True)
        try:
            with clerk.cursor() as cur:
                cur.execute("SET LOCAL deadlock_timeout = '30s'")
                cur.execute(*self.first)
                clerk_pid = clerk.get_backend_pid()

            def code():
                try:
                    connection.set_tenant(self.tenant)
                    outcome["value"] = fn()
                except Exception as e:  # reported to the caller's assertion
                    outcome["error"] = e
                finally:
                    connection.close()

            thread = threading.Thread(target=code)
            thread.start()
            deadline = time.monotonic() + wait
            waiting = False
            while not waiting and thread.is_alive() and time.monotonic() < deadline:
                with watcher.cursor() as cur:
                    cur.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE %s = ANY(pg_blocking_pids(pid))",
                        [clerk_pid],
                    )
                    waiting = cur.fetchone()[0] > 0
                if not waiting:
                    time.sleep(0.02)
            assert waiting, f"the code never waited for the clerk's locks: {outcome}"
            with clerk.cursor() as cur:
                cur.execute(*self.second)  # waits until the code's side ends
            clerk.rollback()
            join_all([thread], timeout=30)
        finally:
            clerk.close()
            watcher.close()
        connection.set_tenant(self.tenant)
        return outcome
