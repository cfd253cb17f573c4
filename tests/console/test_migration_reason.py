"""A bulk migration of every cooperative's schema needs a reason, like every other
console action: a post without one (the form's ``required`` is the browser's only) is
refused, queues nothing and writes no audit row."""

import pytest

from core.audit.models import AuditEvent
from lumbung.console.models import MigrationRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("data", [{}, {"reason": "   "}])
def test_bulk_migration_without_a_reason_is_refused(
    op_clients, data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = op_clients["admin"].post("/konsol/migrasi/", data, follow=True)
    assert resp.status_code == 200
    assert "Tuliskan alasan tindakan ini." in resp.content.decode()
    assert not MigrationRun.objects.exists() and not callbacks
    assert not AuditEvent.objects.filter(action="console.migration_started").exists()
