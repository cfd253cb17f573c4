"""lumbung.db_backend in transaction-pooling mode, on a direct connection (no pooler):
each statement runs with its own cooperative's path and leaves none behind."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from lumbung.db_backend.base import DatabaseWrapper

pytestmark = pytest.mark.django_db


@pytest.fixture
def txmode(django_db_blocker, tenant_a):
    settings_dict = dict(connections["default"].settings_dict, POOL_MODE="transaction")
    wrapper = DatabaseWrapper(settings_dict, alias="txmode")
    with django_db_blocker.unblock():
        yield wrapper
        wrapper.close()


def _session_path(wrapper) -> str:
    """The server connection's own (session) search_path, read without our cursor."""
    with wrapper.connection.cursor() as raw:
        raw.execute("SHOW search_path")
        return raw.fetchone()[0]


def test_autocommit_statement_carries_its_path_and_leaves_none(txmode, tenant_a):
    txmode.set_tenant(tenant_a)
    with txmode.cursor() as cur:
        cur.execute("SELECT current_schema()")
        assert cur.fetchone()[0] == tenant_a.schema_name
        cur.execute("SELECT count(*) FROM members_member WHERE id > %s", [0])
        assert cur.fetchone()[0] >= 0
    assert tenant_a.schema_name not in _session_path(txmode)


def test_transaction_sets_local_path_once_and_again_after_a_switch(txmode, tenant_a, tenant_b):
    txmode.set_tenant(tenant_a)
    txmode.set_autocommit(False)
    try:
        with txmode.cursor() as cur:
            cur.execute("SELECT current_schema()")
            assert cur.fetchone()[0] == tenant_a.schema_name
            txmode.set_tenant(tenant_b)
            cur.execute("SELECT current_schema()")
            assert cur.fetchone()[0] == tenant_b.schema_name
        txmode.commit()
    finally:
        txmode.set_autocommit(True)
    assert tenant_b.schema_name not in _session_path(txmode)


def test_savepoint_rollback_restores_the_path(txmode, tenant_a):
    txmode.set_tenant(tenant_a)
    txmode.set_autocommit(False)
    try:
        sid = txmode.savepoint()
        with txmode.cursor() as cur:
            cur.execute("SELECT 1")
        txmode.savepoint_rollback(sid)  # undoes the SET LOCAL issued after the savepoint
        with txmode.cursor() as cur:
            cur.execute("SELECT current_schema()")
            assert cur.fetchone()[0] == tenant_a.schema_name
        txmode.rollback()
    finally:
        txmode.set_autocommit(True)


def test_copy_in_autocommit_runs_in_its_own_transaction_with_the_path(txmode, tenant_a):
    txmode.set_tenant(tenant_a)
    buf = io.StringIO()
    with txmode.cursor() as cur:
        cur.cursor.copy_expert("COPY (SELECT current_schema()) TO STDOUT", buf)
    assert buf.getvalue().strip() == tenant_a.schema_name
    assert txmode.connection.get_transaction_status() == 0  # idle: BEGIN … COMMIT done


def test_percent_in_a_statement_with_parameters_survives_the_prefix(txmode, tenant_a):
    txmode.set_tenant(tenant_a)
    with txmode.cursor() as cur:
        cur.execute("SELECT %s || '%%'", ["50"])
        assert cur.fetchone()[0] == "50%"


def test_server_side_cursors_are_refused(txmode, tenant_a):
    txmode.set_tenant(tenant_a)
    txmode.ensure_connection()
    with pytest.raises(ImproperlyConfigured, match="Server-side cursors"):
        txmode.create_cursor(name="named")


def test_session_mode_is_django_tenants_behaviour(django_db_blocker, tenant_a):
    wrapper = DatabaseWrapper(dict(connections["default"].settings_dict), alias="sess")
    with django_db_blocker.unblock():
        try:
            wrapper.set_tenant(tenant_a)
            with wrapper.cursor() as cur:
                cur.execute("SELECT current_schema()")
                assert cur.fetchone()[0] == tenant_a.schema_name
            # django-tenants' session-level SET stays on the connection.
            assert tenant_a.schema_name in _session_path(wrapper)
        finally:
            wrapper.close()


def test_pool_mode_setting_is_validated():
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DB_POOL_MODE']='transactoin';"
            "os.environ['DJANGO_SETTINGS_MODULE']='lumbung.settings'; django.setup()",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0
    assert "DB_POOL_MODE='transactoin'" in out.stderr
