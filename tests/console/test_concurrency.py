"""Two operators acting on one cooperative at once. Each console action locks the
subscription row before it checks the state: the second one waits for the first, then
sees what the first committed and refuses (one status change, one audit row).

The first operator is a raw psycopg2 connection of its own that locks the row and
changes the status inside an open transaction; the console action runs in a thread on
Django's own connection. The test waits until that thread is blocked on the row lock
(pg_stat_activity), then commits the raw transaction."""

import threading
import time
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Subscription
from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from lumbung.console import services
from lumbung.console.audit import ConsoleAudit
from tenants.models import Cooperative
from tests.console.conftest import make_operator
from tests.faults.helpers import raw_connection

S = Subscription.Status


def _blocked_on_a_lock(raw_pid: int, timeout: float = 20) -> int:
    """The pid of the backend (other than ``raw_pid``) waiting on a lock, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with raw_connection() as c, c.cursor() as cur:
            cur.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> %s",
                [raw_pid],
            )
            row = cur.fetchone()
        if row:
            return row[0]
        time.sleep(0.05)
    raise AssertionError("the console action never waited for the row lock")


CASES = [
    # (action, status before, status the first operator commits, the console audit)
    ("suspend", S.TRIAL, S.SUSPENDED, ConsoleAudit.CONSOLE_TENANT_SUSPENDED),
    ("archive", S.TRIAL, S.ARCHIVED, ConsoleAudit.CONSOLE_TENANT_ARCHIVED),
    ("reactivate", S.SUSPENDED, S.ACTIVE, ConsoleAudit.CONSOLE_TENANT_REACTIVATED),
]


@pytest.mark.parametrize("action,before,committed,audit", CASES, ids=[c[0] for c in CASES])
def test_second_operator_waits_for_the_first_and_refuses(
    scratch_tenant, action, before, committed, audit
):
    connection.set_schema_to_public()
    op = make_operator("admin", username=f"race-{uuid.uuid4().hex[:8]}@ops.lumbung.test")
    held = before in (S.SUSPENDED, S.ARCHIVED)
    Subscription.objects.filter(cooperative=scratch_tenant).update(
        status=before, suspended_since=timezone.now() if held else None
    )
    Cooperative.objects.filter(pk=scratch_tenant.pk).update(status=before)
    call = {
        "suspend": lambda: services.tenant_suspend(
            operator=op, cooperative=scratch_tenant, reason="uji balapan"
        ),
        "archive": lambda: services.tenant_archive(
            operator=op, cooperative=scratch_tenant, reason="uji balapan"
        ),
        "reactivate": lambda: services.tenant_reactivate(
            operator=op, cooperative=scratch_tenant, reason="uji balapan", days=7
        ),
    }[action]

    raw = raw_connection()
    raw.autocommit = False
    outcome: dict = {}

    def second_operator():
        try:
            connection.set_schema_to_public()
            outcome["result"] = call()
        except Exception as exc:  # judged below
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=second_operator)
    try:
        with raw.cursor() as cur:
            table = Subscription._meta.db_table
            cur.execute(
                f'SELECT id FROM public."{table}" WHERE cooperative_id = %s FOR UPDATE',
                [scratch_tenant.pk],
            )
            # what the first operator's action commits (an operator's suspension is
            # marked as such: tenant_suspend)
            cur.execute(
                f'UPDATE public."{table}" SET status = %s, suspended_since = '
                "CASE WHEN %s THEN now() END, suspended_by_operator = %s "
                "WHERE cooperative_id = %s",
                [
                    committed,
                    committed in (S.SUSPENDED, S.ARCHIVED),
                    committed == S.SUSPENDED,
                    scratch_tenant.pk,
                ],
            )
            cur.execute(
                f'UPDATE public."{Cooperative._meta.db_table}" SET status = %s WHERE id = %s',
                [committed, scratch_tenant.pk],
            )
        thread.start()
        _blocked_on_a_lock(raw.get_backend_pid())
        raw.commit()
        thread.join(30)
        assert not thread.is_alive()
    finally:
        raw.close()

    error = outcome.get("error")
    assert isinstance(error, ApplicationError), outcome
    assert error.code == services.ConsoleErrors.STATE
    assert Subscription.objects.get(cooperative=scratch_tenant).status == committed
    assert not AuditEvent.objects.filter(action=audit, actor=op).exists()
    assert not AuditEvent.objects.filter(action="billing.status_changed", actor=op).exists()
