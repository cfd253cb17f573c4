"""The one fan-out helper for periodic per-cooperative tasks (tenants.tasks)."""

import pytest
from celery.exceptions import NotRegistered
from django.db import connection

from lumbung.celery import app
from tenants.models import Cooperative
from tenants.tasks import every_cooperative_task, tasks_for_every_cooperative


@pytest.fixture
def eager(monkeypatch):
    monkeypatch.setattr(app.conf, "task_always_eager", True)
    monkeypatch.setattr(app.conf, "task_eager_propagates", True)


def test_each_cooperative_gets_its_own_copy_in_its_own_schema(
    tenant_a, tenant_b, eager, monkeypatch
):
    from core.ledger.tasks import subledgers_reconcile_task

    seen = []
    monkeypatch.setattr(
        subledgers_reconcile_task, "run", lambda: seen.append(connection.schema_name) or {}
    )
    out = every_cooperative_task.run("core.ledger.tasks.subledgers_reconcile_task")
    assert sorted(seen) == sorted(set(seen))  # once each
    assert {tenant_a.schema_name, tenant_b.schema_name} <= set(seen)
    assert "public" not in seen
    assert out["failed"] == []


def test_statuses_choose_the_cooperatives(tenant_a, tenant_b, eager, monkeypatch):
    from core.ledger.tasks import subledgers_reconcile_task

    Cooperative.objects.filter(pk=tenant_b.pk).update(status="suspended")
    seen = []
    monkeypatch.setattr(
        subledgers_reconcile_task, "run", lambda: seen.append(connection.schema_name) or {}
    )
    out = every_cooperative_task.run(
        "core.ledger.tasks.subledgers_reconcile_task", ["trial", "active", "past_due"]
    )
    assert tenant_b.schema_name not in seen and tenant_b.slug not in out["queued"]
    assert tenant_a.schema_name in seen


def test_a_misspelt_task_name_fails_loudly(tenant_a):
    with pytest.raises(NotRegistered):
        tasks_for_every_cooperative("core.ledger.tasks.no_such_task")


def test_every_beat_entry_names_a_registered_task():
    from django.conf import settings

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        if entry["task"] == "tenants.tasks.every_cooperative_task":
            assert entry["args"][0] in app.tasks, name
