"""Provisioning and spare cloning start on a new server connection (tenants.connections)."""

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

from tenants.connections import connection_renew

ALIAS = "renew_test"


def _pid(conn) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        return cur.fetchone()[0]


@pytest.fixture
def own_connection(db):
    """A second wrapper on the test database, in autocommit like a worker's."""
    conn = connections.create_connection(DEFAULT_DB_ALIAS)
    connections[ALIAS] = conn
    try:
        yield conn
    finally:
        conn.close()
        del connections[ALIAS]


def test_outside_a_transaction_the_next_query_gets_a_new_server_process(own_connection):
    before = _pid(own_connection)
    assert connection_renew(using=ALIAS) is True
    after = _pid(own_connection)
    assert after != before


def test_inside_a_transaction_the_connection_is_kept(db):
    assert connection.in_atomic_block  # the test's own transaction
    before = _pid(connection)
    assert connection_renew() is False
    assert _pid(connection) == before


def test_no_open_connection_is_left_alone(own_connection):
    own_connection.close()
    assert connection_renew(using=ALIAS) is False
