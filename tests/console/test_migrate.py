"""Bulk migration: every schema, progress, a failing tenant reported and skipped."""

import pytest
from django.core.management import CommandError, call_command

from lumbung.console.migrate import SchemaResult, migrate_all, migrate_schema
from lumbung.console.models import MigrationRun

pytestmark = pytest.mark.django_db


def test_bulk_migration_continues_past_a_failing_tenant_and_reports_it(tenant_a, tenant_b):
    seen = []

    def fake(schema):
        if schema == tenant_a.schema_name:
            return SchemaResult(schema, False, 0.01, "ProgrammingError: relation exists")
        return SchemaResult(schema, True, 0.01)

    run = MigrationRun.objects.create(started_by="tests")
    result = migrate_all(
        schemas=[tenant_a.schema_name, tenant_b.schema_name],
        processes=1,
        every_schema=True,  # both are current: open them anyway so the fake runs
        run=run,
        progress=lambda i, n, r: seen.append((i, n, r.schema, r.ok)),
        migrate_one=fake,
    )
    assert seen == [(1, 2, "coop_alpha", False), (2, 2, "coop_beta", True)]
    assert [r.schema for r in result.failed] == ["coop_alpha"]
    run.refresh_from_db()
    assert (run.status, run.total, run.done, run.failed) == ("failed", 2, 2, 1)
    assert "relation exists" in run.failures["coop_alpha"]


def test_migrate_schema_runs_django_tenants_migrate_for_one_schema(tenant_a):
    ok = migrate_schema(tenant_a.schema_name)
    assert ok.ok, ok.error
    missing = migrate_schema("coop_does_not_exist")
    assert not missing.ok and missing.error


def test_command_prints_progress_and_fails_when_a_tenant_fails(tenant_a, capsys):
    with pytest.raises(CommandError):
        call_command(
            "migrate_all_tenants",
            schema=[tenant_a.schema_name, "coop_does_not_exist"],
            processes=1,
        )
    out = capsys.readouterr().out
    assert "2 skema, 1 sudah mutakhir (tidak dibuka), 1 perlu dimigrasikan" in out
    assert "coop_alpha" not in out  # current: not opened
    assert "[1/1] coop_does_not_exist: GAGAL" in out
    assert "1 dari 1 skema gagal" in out
    run = MigrationRun.objects.get()
    assert run.status == MigrationRun.Status.FAILED and run.failed == 1


def test_migration_run_page(op_clients):
    run = MigrationRun.objects.create(
        started_by="x", status="failed", total=3, done=3, failed=1, failures={"coop_x": "boom"}
    )
    html = op_clients["support"].get(f"/konsol/migrasi/{run.pk}/").content.decode()
    assert "coop_x" in html and "boom" in html
