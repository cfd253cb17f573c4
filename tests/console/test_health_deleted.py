"""The health page's per-schema job rows (JobRun) go with their cooperative: deleting it
in the console, or a practice copy (its admin's *Hapus*, the 90-day clean-up), deletes
them; rows left for a schema that no longer exists are not shown or counted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lumbung.console import services
from lumbung.console.jobs import job_record
from lumbung.console.models import JobRun
from lumbung.console.selectors import health
from tests.console.conftest import make_operator
from tests.tenants.conftest import practice_a, practice_template  # noqa: F401

pytestmark = pytest.mark.django_db

TASK = "core.ledger.tasks.subledgers_reconcile_task"


@pytest.fixture(autouse=True)
def _no_other_job_rows():
    """Only this test's rows: a real Celery worker started by another test on this
    xdist worker (tests/platform, the bench smoke runs) commits JobRun rows of its own
    schemas, which a health count here would include. Deleted inside the test's
    transaction, so rolled back with it."""
    JobRun.objects.all().delete()


def _summary(h) -> dict:
    [summary] = [s for s in h["job_summary"] if s["task"] == TASK]
    return summary


def test_deleting_a_cooperative_deletes_its_job_rows(tenant_a, tenant_b):
    job_record(task=TASK, schema=tenant_a.schema_name, ok=True)
    JobRun.objects.filter(schema_name=tenant_a.schema_name).update(
        last_success_at=timezone.now() - timedelta(days=3)
    )
    job_record(task=TASK, schema=tenant_b.schema_name, ok=True)
    op = make_operator("admin", "admin-hd1@ops.lumbung.test")
    services.tenant_archive(operator=op, cooperative=tenant_a, reason="pindah")
    services.tenant_delete(operator=op, cooperative=tenant_a, confirm="alpha", reason="pindah")

    assert not JobRun.objects.filter(schema_name=tenant_a.schema_name).exists()
    h = health()
    assert _summary(h)["schemas"] == 1
    assert [r.schema_name for r in h["runs"]] == [tenant_b.schema_name]


def test_health_ignores_rows_of_schemas_that_no_longer_exist(tenant_b):
    job_record(task=TASK, schema="coop_sudah_dihapus", ok=True)
    JobRun.objects.filter(schema_name="coop_sudah_dihapus").update(
        last_success_at=timezone.now() - timedelta(days=30)
    )
    job_record(task=TASK, schema=tenant_b.schema_name, ok=True)
    job_record(task="lumbung.console.tasks.console_stats_refresh_task", schema="public", ok=True)
    h = health()
    assert _summary(h)["schemas"] == 1
    shown = {r.schema_name for r in h["runs"]}
    assert "coop_sudah_dihapus" not in shown
    assert {tenant_b.schema_name, "public"} <= shown


@pytest.mark.slow
def test_deleting_a_practice_copy_deletes_its_job_rows(practice_a, tenant_a):  # noqa: F811
    from tenants.practice import practice_delete

    job_record(task=TASK, schema=practice_a.schema_name, ok=True)
    job_record(task=TASK, schema=tenant_a.schema_name, ok=True)
    practice_delete(practice=practice_a, by="tests")
    assert not JobRun.objects.filter(schema_name=practice_a.schema_name).exists()
    assert JobRun.objects.filter(schema_name=tenant_a.schema_name).exists()


@pytest.mark.slow
def test_deleting_a_cooperative_deletes_its_practice_copys_job_rows(
    practice_a,  # noqa: F811
    tenant_a,
):
    job_record(task=TASK, schema=practice_a.schema_name, ok=True)
    op = make_operator("admin", "admin-hd2@ops.lumbung.test")
    services.tenant_archive(operator=op, cooperative=tenant_a, reason="pindah")
    services.tenant_delete(operator=op, cooperative=tenant_a, confirm="alpha", reason="pindah")
    assert not JobRun.objects.filter(schema_name=practice_a.schema_name).exists()
