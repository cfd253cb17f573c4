"""Behind PgBouncer in transaction mode no statement runs with another cooperative's path.

A real PgBouncer (``pool_mode = transaction``, 3 server connections) sits in front of the
test database. Worker processes, each with several threads that keep one connection and
serve both cooperatives in turn, read and write through the ORM, raw cursors, COPY,
iterator() and atomic blocks (tests/platform/leak_worker.py). Every row read must belong
to the cooperative asked for, and every row written must land in its schema.

With ``DB_POOL_MODE=transaction`` (lumbung.db_backend) there is no leak; with the
session-mode behaviour (django-tenants' own: one session-level ``SET search_path`` per
cursor) the same run leaks, which proves the test can fail.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

from tests.platform.pgbouncer import pgbouncer_binary, pgbouncer_running

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = 2
THREADS = 4
OPS = int(os.environ.get("LEAK_TEST_OPS", "800"))  # per thread

pytestmark = [
    pytest.mark.slow,
    # Asks pytest-django to set the test database up; the workers' rows commit through
    # their own connections and are read back here.
    pytest.mark.django_db,
    pytest.mark.skipif(
        pgbouncer_binary() is None,
        reason="pgbouncer is not installed (apt-get install pgbouncer; .ci/run installs it)",
    ),
]


@pytest.fixture(scope="module")
def two_cooperatives(django_db_setup, django_db_blocker):
    from core.audit.models import AuditEvent
    from tenants.services import cooperative_create, cooperative_discard

    made = []
    with django_db_blocker.unblock():
        try:
            for _ in range(2):
                slug = f"leak-{uuid.uuid4().hex[:8]}"
                coop = cooperative_create(
                    slug=slug,
                    name=f"KPRI {slug}",
                    admin_email=f"admin@{slug}.test",
                    admin_password="Rahasia-123!",
                    actor="tests",
                ).cooperative
                made.append(coop)
                connection.set_tenant(coop)
                AuditEvent.objects.create(
                    action="leakprobe.marker", data={"schema": coop.schema_name}
                )
                connection.set_schema_to_public()
            yield made
        finally:
            connection.set_schema_to_public()
            for coop in made:
                cooperative_discard(cooperative=coop)


def _run(mode: str, schemas: list[str], bouncer_port: int, ops: int = OPS) -> dict:
    db = connection.settings_dict
    env = dict(
        os.environ,
        DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@127.0.0.1:{bouncer_port}/{db['NAME']}",
        DB_POOL_MODE=mode,
        DB_CONN_MAX_AGE="0",
        DJANGO_SETTINGS_MODULE="lumbung.settings",
    )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.platform.leak_worker",
                *schemas,
                "--threads",
                str(THREADS),
                "--ops",
                str(ops),
                "--seed",
                str(i + 1),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    total = {"statements": 0, "leaks": 0, "errors": 0}
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        assert result["mode"] == mode
        for k in total:
            total[k] += result[k]
    return total


def _misplaced_writes(cooperatives) -> int:
    """Rows written by the workers that landed in the other cooperative's schema."""
    from core.audit.models import AuditEvent

    wrong = 0
    for coop in cooperatives:
        connection.set_tenant(coop)
        wrong += (
            AuditEvent.objects.filter(action="leakprobe.write")
            .exclude(data__schema=coop.schema_name)
            .count()
        )
    connection.set_schema_to_public()
    return wrong


def _bouncer():
    db = connection.settings_dict
    return pgbouncer_running(
        host=db["HOST"] or "127.0.0.1",
        port=int(db["PORT"] or 5432),
        user=db["USER"] or "postgres",
        pool_mode="transaction",
        pool_size=3,
    )


def test_transaction_mode_backend_never_runs_a_statement_in_another_cooperative(
    two_cooperatives, django_db_blocker
):
    schemas = [c.schema_name for c in two_cooperatives]
    with django_db_blocker.unblock(), _bouncer() as port:
        before = _misplaced_writes(two_cooperatives)
        result = _run("transaction", schemas, port)
        misplaced = _misplaced_writes(two_cooperatives) - before
    assert result["statements"] >= PROCESSES * THREADS * OPS, result
    assert (result["leaks"], result["errors"], misplaced) == (0, 0, 0), result


def test_session_mode_behind_a_transaction_pooler_leaks(two_cooperatives, django_db_blocker):
    """Today's behaviour (django-tenants' session-level SET) under the same load leaks:
    the leak test above can fail."""
    schemas = [c.schema_name for c in two_cooperatives]
    with django_db_blocker.unblock(), _bouncer() as port:
        before = _misplaced_writes(two_cooperatives)
        result = _run("session", schemas, port, ops=60)
        misplaced = _misplaced_writes(two_cooperatives) - before
    assert result["leaks"] + misplaced > 0, result


def test_management_commands_and_migrations_run_through_a_transaction_pooler(
    two_cooperatives, django_db_blocker
):
    """The migration runner (django-tenants' migrate_schemas over every schema) and a
    per-tenant management command work behind PgBouncer in transaction mode."""
    db = connection.settings_dict
    with django_db_blocker.unblock(), _bouncer() as port:
        env = dict(
            os.environ,
            DATABASE_URL=f"postgres://{db['USER'] or 'postgres'}@127.0.0.1:{port}/{db['NAME']}",
            DB_POOL_MODE="transaction",
            DJANGO_SETTINGS_MODULE="lumbung.settings",
        )
        schema = two_cooperatives[0].schema_name
        for args in (
            ["migrate_schemas", "--executor=standard", "-v", "0"],
            [
                "tenant_command",
                "shell",
                "-s",
                schema,
                "-c",
                "from django.db import connection as c; cur = c.cursor(); "
                "cur.execute('SELECT current_schema()'); print(cur.fetchone()[0])",
            ],
        ):
            out = subprocess.run(
                [sys.executable, str(ROOT / "manage.py"), *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert out.returncode == 0, out.stderr[-3000:]
        assert out.stdout.strip().splitlines()[-1] == schema
