"""A worker keeps its database connection between tasks when DB_CONN_MAX_AGE > 0
(``CELERY_DB_REUSE_MAX`` stops Celery's Django fix-up closing it after every task) and then
applies Django's own rules itself: a failed task, an unusable or too old connection, and one
the server dropped meanwhile all give the next task a new connection.

Each case runs in a thread of its own: its connection is a real one outside the test's
transaction, closed at the end."""

import threading
import time
from types import SimpleNamespace

import pytest
from django.db import connections

from lumbung.celery import _db_after_task, _db_before_task

pytestmark = pytest.mark.django_db

WORKER_TASK = SimpleNamespace(request=SimpleNamespace(is_eager=False))
EAGER_TASK = SimpleNamespace(request=SimpleNamespace(is_eager=True))


def _in_thread(fn):
    out: dict = {}

    def run():
        conn = connections["default"]
        conn.settings_dict = dict(conn.settings_dict, CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
        try:
            out["value"] = fn(conn)
        except BaseException as exc:  # re-raised in the test's thread
            out["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _pid(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


@pytest.fixture
def reuse(settings):
    settings.CELERY_DB_REUSE_MAX = 1000


def test_a_successful_task_keeps_the_connection(reuse):
    def case(conn):
        first = _pid(conn)
        _db_after_task(sender=WORKER_TASK, state="SUCCESS")
        _db_before_task(sender=WORKER_TASK)
        return first, _pid(conn)

    first, second = _in_thread(case)
    assert first == second


@pytest.mark.parametrize("state", ["FAILURE", "RETRY"])
def test_a_failed_task_gets_a_new_connection(reuse, state):
    def case(conn):
        first = _pid(conn)
        _db_after_task(sender=WORKER_TASK, state=state)
        closed = conn.connection is None
        return first, closed, _pid(conn)

    first, closed, second = _in_thread(case)
    assert closed
    assert first != second


def test_a_connection_older_than_conn_max_age_is_closed(reuse):
    def case(conn):
        first = _pid(conn)
        conn.close_at = time.monotonic() - 1
        _db_after_task(sender=WORKER_TASK, state="SUCCESS")
        return first, conn.connection is None, _pid(conn)

    first, closed, second = _in_thread(case)
    assert closed
    assert first != second


def test_a_connection_the_server_dropped_is_replaced_before_the_next_task(reuse):
    def case(conn):
        first = _pid(conn)
        _db_after_task(sender=WORKER_TASK, state="SUCCESS")
        killer = connections.create_connection("default")
        try:
            with killer.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", [first])
        finally:
            killer.close()
        time.sleep(0.2)  # the server ends the backend
        _db_before_task(sender=WORKER_TASK)
        return first, _pid(conn)  # health check: a new connection, no error

    first, second = _in_thread(case)
    assert first != second


def test_in_process_tasks_leave_the_request_connection_alone(reuse):
    def case(conn):
        first = _pid(conn)
        _db_after_task(sender=EAGER_TASK, state="FAILURE")
        return first, conn.connection is not None, _pid(conn)

    first, kept, second = _in_thread(case)
    assert kept
    assert first == second


def test_without_reuse_the_handlers_leave_closing_to_celery(settings):
    settings.CELERY_DB_REUSE_MAX = None

    def case(conn):
        _pid(conn)
        _db_after_task(sender=WORKER_TASK, state="FAILURE")
        return conn.connection is not None

    assert _in_thread(case)
