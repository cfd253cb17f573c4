"""Per-cooperative backup and restore against the real PostgreSQL and pg_dump.

A cooperative with members, savings, loans and a posted payroll batch is backed up
(``cooperative_backup``), then restored under another address in a fresh schema
(``cooperative_restore``): every table has as many rows as the original, the restored
ledger balances (debit = credit, the balances table equals its lines) and its sub-ledgers
equal their control accounts. A restore onto a taken address or schema, or of a damaged
file, leaves nothing behind; the scheduled backup keeps BACKUP_KEEP files."""

import gzip
import shutil
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from core.common.errors import ApplicationError
from core.loans.schedules import add_months
from tenants.backup import (
    BackupError,
    backup_meta,
    backups_prune,
    cooperative_backup,
    cooperative_backup_scheduled,
    cooperative_restore,
    table_counts,
)
from tenants.models import Cooperative, Domain
from tenants.services import cooperative_discard

pytestmark = pytest.mark.slow


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


def populate(coop: Cooperative) -> dict:
    """Members, savings, two disbursed loans and one posted payroll batch per agency."""
    from core.deductions import services as svc
    from tests.deductions.conftest import coop_build, csv_bytes, make_run

    connection.set_tenant(coop)
    day = min(timezone.localdate().day, 28)
    t = timezone.localdate()
    this = date(t.year, t.month, day)
    built = coop_build(day, (add_months(this, -1), this))
    by = built["by"]
    run = make_run(on=this, by=by)
    for ag in built["agencies"]:
        rows = [(ln.nip, int(ln.total) + 5_000) for ln in run.lines.filter(agency=ag)]
        svc.deduction_import_upload(
            run=run, agency=ag, content=csv_bytes(rows), file_name=f"{ag.code}.csv", by=by
        )
    ids = svc.deduction_run_post_all_start(run=run, by=by)
    svc.deduction_run_post_all(run=run, import_ids=ids, by=by)
    connection.set_schema_to_public()
    return built


def assert_books_balanced(schema: str) -> Decimal:
    """In ``schema``: the trial balance balances, the balances table equals the lines,
    and every sub-ledger equals its control accounts."""
    from core.ledger.selectors import balances_check
    from tests.deductions.conftest import assert_reconciled

    with connection.cursor() as cur:
        cur.execute(
            f'SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*) FROM "{schema}".ledger_journalline'
        )
        debit, credit, lines = cur.fetchone()
    assert lines > 0
    assert debit == credit and debit > Decimal(0)
    coop = Cooperative.objects.get(schema_name=schema)
    connection.set_tenant(coop)
    try:
        assert balances_check() == []
        assert_reconciled()
    finally:
        connection.set_schema_to_public()
    return debit


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def restored(django_db_blocker):
    """Cooperatives made by a restore in the test, removed afterwards."""
    made: list[str] = []
    yield made
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for slug in made:
            coop = Cooperative.objects.filter(slug=slug).first()
            if coop is not None:
                from billing.services import billing_records_purge

                billing_records_purge(cooperative=coop)
                cooperative_discard(cooperative=coop)


def test_backup_then_restore_under_another_slug_keeps_every_row_and_balanced_books(
    scratch_tenant, media, tmp_path, restored, django_db_blocker, record_property
):
    with django_db_blocker.unblock():
        populate(scratch_tenant)
        original = table_counts(scratch_tenant.schema_name)
        assert original["members_member"] >= 4
        assert original["loans_loan"] >= 2 and original["ledger_journalentry"] >= 3
        assert original["savings_savingstransaction"] > 0

        path = tmp_path / "backup.sql.gz"
        call_command("cooperative_backup", scratch_tenant.slug, out=str(path))
        meta = backup_meta(path)
        assert meta["schema"] == scratch_tenant.schema_name
        assert meta["counts"] == original

        slug = f"pulih-{scratch_tenant.slug[-8:]}"
        restored.append(slug)
        call_command("cooperative_restore", str(path), slug=slug)
        copy = Cooperative.objects.get(slug=slug)
        assert copy.schema_name == f"coop_{slug.replace('-', '_')}"
        assert copy.status == Cooperative.Status.SUSPENDED
        assert copy.name == scratch_tenant.name
        assert Domain.objects.filter(tenant=copy, is_primary=True).exists()

        # every table, every row; the original untouched
        assert table_counts(copy.schema_name) == original
        assert table_counts(scratch_tenant.schema_name) == original
        # nothing in the copy still points at the original schema
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_proc WHERE pronamespace = %s::regnamespace "
                "AND (prosrc LIKE %s OR array_to_string(proconfig, ',') LIKE %s)",
                [copy.schema_name, *[f"%{scratch_tenant.schema_name}%"] * 2],
            )
            assert cur.fetchone()[0] == 0
        assert_books_balanced(scratch_tenant.schema_name)
        debit = assert_books_balanced(copy.schema_name)
        # figures for docs/reliability.md (bench/reliability_report.py)
        record_property("restore_tables", len(original))
        record_property("restore_rows", sum(original.values()))
        record_property("restore_debit", f"Rp {debit:,.0f}".replace(",", "."))

        # the copy works: its admin is there and its address answers
        from django.test import Client

        from core.users.models import User
        from tenants.services import tenant_host

        connection.set_tenant(copy)
        assert User.objects.filter(username=f"admin@{scratch_tenant.slug}.test").exists()
        connection.set_schema_to_public()
        assert Client(HTTP_HOST=tenant_host(slug)).get("/").status_code in (200, 302)


def test_restore_refuses_a_taken_slug_or_schema_and_a_damaged_file_leaves_nothing(
    scratch_tenant, tmp_path, restored, django_db_blocker
):
    with django_db_blocker.unblock():
        path = tmp_path / "b.sql.gz"
        cooperative_backup(cooperative=scratch_tenant, out=path)
        before = Cooperative.objects.count()

        with pytest.raises(ApplicationError) as taken:
            cooperative_restore(path=path, slug=scratch_tenant.slug)
        assert taken.value.code == "slug_taken"

        with connection.cursor() as cur:
            cur.execute('CREATE SCHEMA "coop_sudah_ada"')
        try:
            with pytest.raises(ApplicationError) as exists:
                cooperative_restore(path=path, slug="sudah-ada")
            assert exists.value.code == "schema_exists"
        finally:
            with connection.cursor() as cur:
                cur.execute('DROP SCHEMA "coop_sudah_ada"')

        # a file cut in the middle of its rows: refused, nothing created
        damaged = tmp_path / "damaged.sql.gz"
        with gzip.open(path, "rt") as src:
            text = src.read()
        cut = text.index("COPY ", text.index("COPY ") + 1) + 300
        with gzip.open(damaged, "wt") as dst:
            dst.write(text[:cut])
        restored.append("rusak-sekali")
        with pytest.raises(BackupError):
            cooperative_restore(path=damaged, slug="rusak-sekali")
        assert not _schema_exists("coop_rusak_sekali")
        assert not Cooperative.objects.filter(slug="rusak-sekali").exists()
        assert not Domain.objects.filter(domain__startswith="rusak-sekali.").exists()
        assert Cooperative.objects.count() == before

        # a row missing from a table's data: the count check refuses it, nothing kept
        lines = text.split("\n")
        start = next(
            i
            for i, ln in enumerate(lines)
            if ln.startswith("COPY ") and ".django_migrations " in ln
        )
        assert lines[start + 1] != "\\."
        del lines[start + 1]
        short = tmp_path / "short.sql.gz"
        with gzip.open(short, "wt") as dst:
            dst.write("\n".join(lines))
        restored.append("kurang-satu")
        with pytest.raises(BackupError, match="row counts differ"):
            cooperative_restore(path=short, slug="kurang-satu")
        assert not _schema_exists("coop_kurang_satu")
        assert not Cooperative.objects.filter(slug="kurang-satu").exists()


def test_scheduled_backup_writes_into_backup_dir_and_keeps_the_newest(
    scratch_tenant, settings, tmp_path, django_db_blocker
):
    from tenants.tasks import cooperatives_backup_task

    settings.BACKUP_DIR = str(tmp_path / "backups")
    settings.BACKUP_KEEP = 2
    folder = tmp_path / "backups" / scratch_tenant.slug
    folder.mkdir(parents=True)
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        (folder / f"{scratch_tenant.slug}-{stamp}.sql.gz").write_bytes(b"old")
    with django_db_blocker.unblock():
        meta = cooperative_backup_scheduled(cooperative=scratch_tenant)
        names = sorted(p.name for p in folder.iterdir())
        assert len(names) == 2
        assert names[0] == f"{scratch_tenant.slug}-20200103T000000Z.sql.gz"
        assert meta["file"].endswith(names[1]) and backup_meta(meta["file"])["counts"]
        assert sorted(meta["pruned"])[0].endswith("20200101T000000Z.sql.gz")
        assert backups_prune(slug=scratch_tenant.slug) == []

        # the beat task: one backup task per live cooperative (eager in tests)
        settings.CELERY_TASK_ALWAYS_EAGER = True
        from lumbung.celery import app

        app.conf.task_always_eager = True
        try:
            queued = cooperatives_backup_task.apply().result["queued"]
        finally:
            app.conf.task_always_eager = False
        live = Cooperative.objects.filter(
            status__in=["trial", "active", "past_due", "suspended"]
        ).exclude(schema_name="public")
        assert queued == live.count()
        assert (tmp_path / "backups" / scratch_tenant.slug).is_dir()
        shutil.rmtree(tmp_path / "backups")


def test_backup_dir_empty_turns_scheduled_backups_off(settings, db):
    from tenants.tasks import cooperatives_backup_task

    settings.BACKUP_DIR = ""
    assert cooperatives_backup_task.apply().result == {"queued": 0}
