"""Per-cooperative backup and restore against the real PostgreSQL and pg_dump.

A cooperative with members, savings, loans and a posted payroll batch is backed up
(``cooperative_backup``), then restored under another address in a fresh schema
(``cooperative_restore``): every table has as many rows as the original, the restored
ledger balances (debit = credit, the balances table equals its lines) and its sub-ledgers
equal their control accounts. A restore onto a taken address or schema, or of a damaged
file, leaves nothing behind; the scheduled backup keeps BACKUP_KEEP files.

The daily backup works by groups (``cooperatives_backup_group``: one pg_dump for several
cooperatives, one file each extracted by pg_restore): a grouped file holds the same SQL
and metadata as the single path's, restores the same rows, and one member's failure
keeps the others' files."""

import gzip
import math
import os
import re
import shutil
import time
import uuid
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
    cooperatives_backup_group,
    table_counts,
)
from tenants.models import Cooperative, Domain
from tenants.services import cooperative_create, cooperative_discard

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


@pytest.fixture(scope="module")
def populated(django_db_setup, django_db_blocker, tmp_path_factory):
    """A cooperative of its own with members, savings, loans and a posted payroll batch
    (``populate``), made once for the module's tests that only back it up and read it,
    and committed; dropped at the end. (Each of them made and filled its own before.)"""
    from django.test import override_settings

    from tests.conftest import ADMIN_PASSWORD

    with django_db_blocker.unblock():
        slug = f"isi-{uuid.uuid4().hex[:8]}"
        coop = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        ).cooperative
        try:
            with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
                populate(coop)
            connection.set_schema_to_public()
            yield coop
        finally:
            connection.set_schema_to_public()
            cooperative_discard(cooperative=coop)


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
                from tests.billing.cleanup import billing_rows_drop

                billing_rows_drop(cooperative=coop)
                cooperative_discard(cooperative=coop)


def test_backup_then_restore_under_another_slug_keeps_every_row_and_balanced_books(
    populated, media, tmp_path, restored, django_db_blocker, record_property
):
    with django_db_blocker.unblock():
        original = table_counts(populated.schema_name)
        assert original["members_member"] >= 4
        assert original["loans_loan"] >= 2 and original["ledger_journalentry"] >= 3
        assert original["savings_savingstransaction"] > 0

        path = tmp_path / "backup.sql.gz"
        call_command("cooperative_backup", populated.slug, out=str(path))
        meta = backup_meta(path)
        assert meta["schema"] == populated.schema_name
        assert meta["counts"] == original

        slug = f"pulih-{populated.slug[-8:]}"
        restored.append(slug)
        call_command("cooperative_restore", str(path), slug=slug)
        copy = Cooperative.objects.get(slug=slug)
        assert copy.schema_name == f"coop_{slug.replace('-', '_')}"
        assert copy.status == Cooperative.Status.SUSPENDED
        assert copy.name == populated.name
        assert Domain.objects.filter(tenant=copy, is_primary=True).exists()

        # every table, every row; the original untouched
        assert table_counts(copy.schema_name) == original
        assert table_counts(populated.schema_name) == original
        # nothing in the copy still points at the original schema
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_proc WHERE pronamespace = %s::regnamespace "
                "AND (prosrc LIKE %s OR array_to_string(proconfig, ',') LIKE %s)",
                [copy.schema_name, *[f"%{populated.schema_name}%"] * 2],
            )
            assert cur.fetchone()[0] == 0
        assert_books_balanced(populated.schema_name)
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
        assert User.objects.filter(username=f"admin@{populated.slug}.test").exists()
        connection.set_schema_to_public()
        assert Client(HTTP_HOST=tenant_host(slug)).get("/").status_code in (200, 302)


def test_restore_refuses_a_taken_slug_or_schema_and_a_damaged_file_leaves_nothing(
    populated, tmp_path, restored, django_db_blocker
):
    with django_db_blocker.unblock():
        path = tmp_path / "b.sql.gz"
        cooperative_backup(cooperative=populated, out=path)
        before = Cooperative.objects.count()

        with pytest.raises(ApplicationError) as taken:
            cooperative_restore(path=path, slug=populated.slug)
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
    populated, settings, tmp_path, django_db_blocker
):
    from tenants.tasks import cooperatives_backup_task

    settings.BACKUP_DIR = str(tmp_path / "backups")
    settings.BACKUP_KEEP = 2
    folder = tmp_path / "backups" / populated.slug
    folder.mkdir(parents=True)
    for stamp in ("20200101T000000Z", "20200102T000000Z", "20200103T000000Z"):
        (folder / f"{populated.slug}-{stamp}.sql.gz").write_bytes(b"old")
    with django_db_blocker.unblock():
        meta = cooperative_backup_scheduled(cooperative=populated)
        names = sorted(p.name for p in folder.iterdir())
        assert len(names) == 2
        assert names[0] == f"{populated.slug}-20200103T000000Z.sql.gz"
        assert meta["file"].endswith(names[1]) and backup_meta(meta["file"])["counts"]
        assert sorted(meta["pruned"])[0].endswith("20200101T000000Z.sql.gz")
        assert backups_prune(cooperative=populated) == []

        # the beat task: one group task per BACKUP_GROUP_SIZE live cooperatives (eager here)
        settings.CELERY_TASK_ALWAYS_EAGER = True
        from lumbung.celery import app

        app.conf.task_always_eager = True
        try:
            result = cooperatives_backup_task.apply().result
        finally:
            app.conf.task_always_eager = False
        live = Cooperative.objects.filter(
            status__in=["trial", "active", "past_due", "suspended"]
        ).exclude(schema_name="public")
        assert result["queued"] == live.count()
        assert result["groups"] == -(-live.count() // settings.BACKUP_GROUP_SIZE)
        assert (tmp_path / "backups" / populated.slug).is_dir()
        # the group task wrote a new file for the cooperative, and pruned to BACKUP_KEEP
        names = sorted(p.name for p in folder.iterdir())
        assert len(names) == 2 and names[-1] >= meta["file"].rsplit("/", 1)[1]
        newest = backup_meta(folder / names[-1])
        assert newest["counts"] == table_counts(populated.schema_name)
        shutil.rmtree(tmp_path / "backups")


def test_backup_dir_empty_turns_scheduled_backups_off(settings, db):
    from tenants.tasks import cooperatives_backup_task

    settings.BACKUP_DIR = ""
    assert cooperatives_backup_task.apply().result == {"queued": 0}


# ------------------------------------------------------------------------ group backups


@pytest.fixture(scope="module")
def more_tenants(django_db_setup, django_db_blocker):
    """Two more cooperatives (as sign-up makes them) whose writes commit, made once for
    the module's group tests (which only back them up); dropped after."""
    made: list[Cooperative] = []
    with django_db_blocker.unblock():
        for _ in range(2):
            slug = f"grup-{uuid.uuid4().hex[:8]}"
            made.append(
                cooperative_create(
                    slug=slug, name=f"KPRI {slug}", admin_email=f"admin@{slug}.test", actor="tests"
                ).cooperative
            )
        connection.set_schema_to_public()
    yield made
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for coop in made:
            cooperative_discard(cooperative=coop)


_RESTRICT = re.compile(r"^\\(un)?restrict \S+$", re.MULTILINE)


def _sql(path) -> str:
    """The SQL of a backup file after its metadata line, psql's per-dump random
    ``\\restrict`` key blanked (the one thing two dumps of the same state differ in)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        f.readline()
        return _RESTRICT.sub(r"\\\1restrict KEY", f.read())


def test_group_backup_writes_each_cooperative_the_single_dumps_sql_and_restores_alike(
    populated, more_tenants, media, tmp_path, restored, django_db_blocker
):
    with django_db_blocker.unblock():
        coops = [populated, *more_tenants]
        result = cooperatives_backup_group(cooperatives=coops, out_dir=tmp_path / "group")
        assert result.failed == {}
        assert sorted(result.done) == sorted(c.slug for c in coops)
        for coop in coops:
            grouped = result.done[coop.slug]
            path = tmp_path / "group" / coop.slug / grouped["file"].rsplit("/", 1)[1]
            assert str(path) == grouped["file"] and path.stat().st_size == grouped["bytes"]
            single = cooperative_backup(cooperative=coop, out=tmp_path / f"{coop.slug}.sql.gz")
            # same metadata (but the time) in the file and returned, same SQL statement
            # for statement: schema, functions, triggers, sequences, every row
            on_disk = backup_meta(path)
            for key in ("slug", "schema", "profile", "legal_date", "counts", "migrations"):
                assert on_disk[key] == grouped[key] == single[key], key
            assert on_disk["counts"] == table_counts(coop.schema_name)
            sql = _sql(path)
            assert f"CREATE SCHEMA {coop.schema_name};" in sql
            assert sql == _sql(single["file"])
            # nothing of the group's other cooperatives in it
            for other in coops:
                if other is not coop:
                    assert other.schema_name not in sql
        assert list((tmp_path / "group").glob(".*")) == []  # no archive or part left

        # a grouped file restores like any backup: every row, balanced books
        slug = f"grup-pulih-{populated.slug[-6:]}"
        restored.append(slug)
        copy = cooperative_restore(path=result.done[populated.slug]["file"], slug=slug)
        assert table_counts(copy.cooperative.schema_name) == table_counts(populated.schema_name)
        assert_books_balanced(copy.cooperative.schema_name)


def test_group_backup_reports_the_failing_cooperative_and_keeps_the_others(
    populated, more_tenants, tmp_path, django_db_blocker, monkeypatch
):
    import tenants.backup as backup

    with django_db_blocker.unblock():
        ok, blocked = more_tenants
        # a cooperative whose schema is gone (deleted after the list was made), and one
        # whose file cannot be written (a file where its folder should be)
        gone = Cooperative(slug="sudah-hilang", schema_name="coop_sudah_hilang")
        out = tmp_path / "group"
        out.mkdir()
        (out / blocked.slug).write_text("not a folder")
        result = cooperatives_backup_group(cooperatives=[populated, gone, blocked, ok], out_dir=out)
        assert sorted(result.done) == sorted([populated.slug, ok.slug])
        assert sorted(result.failed) == sorted([gone.slug, blocked.slug])
        assert "coop_sudah_hilang" in result.failed[gone.slug]
        for coop in (populated, ok):
            assert backup_meta(result.done[coop.slug]["file"])["counts"] == table_counts(
                coop.schema_name
            )
        assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []

        # the archive a killed run left (hours old) is removed by the next run; a running
        # group's (written a minute ago) is not. Both ages are set by the clock the task
        # reads (time.time()), not left to the file system's, which a faked clock (CI under
        # another date) does not move
        old, running = out / ".group-killed", out / ".group-running"
        for work in (old, running):
            work.mkdir()
            (work / "group.dump").write_bytes(b"PGDMP")
        os.utime(old, (time.time() - 7 * 3600,) * 2)
        os.utime(running, (time.time() - 60,) * 2)
        assert sorted(cooperatives_backup_group(cooperatives=[ok], out_dir=out).done) == [ok.slug]
        assert not old.exists() and running.is_dir()

        # pg_dump itself failing fails the whole group, and leaves no file at all
        real = backup._pg_dump_cmd

        def broken(*args, **kwargs):
            cmd, env = real(*args, **kwargs)
            return [*cmd[:-1], "--no-such-option", cmd[-1]], env

        monkeypatch.setattr(backup, "_pg_dump_cmd", broken)
        out2 = tmp_path / "group2"
        result = cooperatives_backup_group(cooperatives=[populated, ok], out_dir=out2)
        assert result.done == {}
        assert sorted(result.failed) == sorted([populated.slug, ok.slug])
        assert "pg_dump failed" in result.failed[ok.slug]
        assert list(out2.rglob("*")) == []


def test_beat_task_queues_one_group_task_per_backup_group_size(
    settings, tenant_a, tenant_b, monkeypatch
):
    from tenants import tasks

    settings.BACKUP_DIR = "/nonexistent/backups"  # not written: the group tasks are not run
    live = list(
        Cooperative.objects.filter(status__in=["trial", "active", "past_due", "suspended"])
        .exclude(schema_name="public")
        .order_by("pk")
        .values_list("slug", flat=True)
    )
    assert len(live) >= 2
    for size in (1, 2, len(live) - 1, 100):
        settings.BACKUP_GROUP_SIZE = size
        sent: list[list[str]] = []
        monkeypatch.setattr(tasks.cooperatives_backup_group_task, "delay", sent.append)
        result = tasks.cooperatives_backup_task.apply().result
        assert result == {"queued": len(live), "groups": math.ceil(len(live) / size)}
        assert len(sent) == math.ceil(len(live) / size)
        assert all(len(group) <= size for group in sent)
        assert [slug for group in sent for slug in group] == live


def test_group_task_queues_each_failed_cooperative_alone(settings, tenant_a, tenant_b, monkeypatch):
    from tenants import tasks
    from tenants.backup import GroupBackupResult

    sent: list[tuple] = []
    monkeypatch.setattr(
        tasks.cooperative_backup_task, "apply_async", lambda args, **kw: sent.append(args)
    )
    slugs = [tenant_a.slug, tenant_b.slug, "tidak-ada"]

    def one_fails(*, cooperatives):
        assert [c.slug for c in cooperatives] == [tenant_a.slug, tenant_b.slug]
        return GroupBackupResult(
            done={tenant_a.slug: {"file": "x"}}, failed={tenant_b.slug: "pg_restore failed"}
        )

    monkeypatch.setattr(tasks, "cooperatives_backup_group_scheduled", one_fails)
    result = tasks.cooperatives_backup_group_task.apply(args=[slugs]).result
    assert result == {"done": [tenant_a.slug], "failed": [tenant_b.slug], "gone": ["tidak-ada"]}
    assert sent == [(tenant_b.slug,)]

    # the group as a whole failing (say the disk is full): each one is queued alone
    def all_fail(*, cooperatives):
        raise OSError("No space left on device")

    sent.clear()
    monkeypatch.setattr(tasks, "cooperatives_backup_group_scheduled", all_fail)
    result = tasks.cooperatives_backup_group_task.apply(args=[slugs]).result
    assert result["done"] == [] and result["failed"] == sorted([tenant_a.slug, tenant_b.slug])
    assert sorted(sent) == sorted([(tenant_a.slug,), (tenant_b.slug,)])


def test_a_restored_cooperative_takes_no_session_or_api_key_of_the_original(
    scratch_tenant, tmp_path, restored, django_db_blocker
):
    """A restore makes another cooperative at another address; the sessions and API keys
    in the backup are the original's credentials and sign nobody in there: a key revoked
    at the original after the backup, a session stolen and since ended there (password
    changed, login deactivated) would otherwise open the copy. Every key of the copy is
    revoked (its admin makes new ones: the address is new anyway) and every session
    deleted, counted in the restore's audit row (the copy's tables keep the backup's
    rows: the table counts still match); the people's own logins and passwords stay. Failed
    before: the original's key and session cookie read the copy (200)."""
    from django.test import Client

    from core.audit.models import AuditEvent
    from core.users import apikeys
    from core.users.models import ApiKey, User
    from tenants.services import tenant_host

    with django_db_blocker.unblock():
        connection.set_tenant(scratch_tenant)
        admin = User.objects.get(username=f"admin@{scratch_tenant.slug}.test")
        made = apikeys.api_key_create(by=admin, name="Sistem gaji", role="bendahara")
        connection.set_schema_to_public()
        key = {"HTTP_AUTHORIZATION": f"Api-Key {made.raw}"}
        original = Client(HTTP_HOST=tenant_host(scratch_tenant.slug))
        login = {"username": admin.username, "password": "Rahasia-123!"}
        assert original.post("/masuk/", login).status_code == 302
        assert original.get("/api/v1/me/", **key).status_code == 200

        path = tmp_path / "backup.sql.gz"
        cooperative_backup(cooperative=scratch_tenant, out=path)
        slug = f"pulih-{uuid.uuid4().hex[:8]}"
        restored.append(slug)
        copy_pk = cooperative_restore(path=path, slug=slug).cooperative.pk
        connection.set_schema_to_public()

        copy = Client(HTTP_HOST=tenant_host(slug))
        refused = copy.get("/api/v1/me/", **key)
        assert refused.status_code == 401  # a refused key: 401 with WWW-Authenticate
        assert refused["WWW-Authenticate"] == "Api-Key"
        error = refused.json()["error"]
        assert error["code"] == "authentication_failed"
        assert error["message"] == "Kunci API tidak valid atau sudah dicabut."
        stolen = original.cookies["sessionid"].value  # the original's session cookie
        copy.cookies["sessionid"] = stolen
        page = copy.get("/anggota/")
        assert page.status_code == 302 and page["Location"].startswith("/masuk/")
        # the people sign in there with their own passwords, as before
        fresh = Client(HTTP_HOST=tenant_host(slug))
        assert fresh.post("/masuk/", login).status_code == 302
        assert fresh.get("/anggota/").status_code == 200

        event = AuditEvent.objects.get(action="cooperative.restored", target_id=str(copy_pk))
        assert event.data["sessions_ended"] == 1 and event.data["api_keys_revoked"] == 1
        connection.set_tenant(Cooperative.objects.get(slug=slug))
        assert not ApiKey.objects.filter(revoked_at__isnull=True).exists()
        assert not User.objects.get(pk=made.api_key.user_id).is_active
        connection.set_schema_to_public()
        # the original keeps its key and session
        assert original.get("/api/v1/me/", **key).status_code == 200
        assert original.get("/anggota/").status_code == 200


def test_a_restore_beside_a_cooperative_with_its_legal_number_stays_suspended(
    scratch_tenant, tmp_path, restored, django_db_blocker
):
    """A copy of a live cooperative (restored beside it to look at or to take rows back)
    is made suspended, as by default; made in trial or active it would be a second space
    and a second bill for one cooperative: refused (409), naming the one that has the number
    (the operator's tool). After the original is deleted the number is free again."""
    with django_db_blocker.unblock():
        Cooperative.objects.filter(pk=scratch_tenant.pk).update(legal_number="77/BH/XII/2021")
        scratch_tenant.refresh_from_db()
        path = tmp_path / "backup.sql.gz"
        cooperative_backup(cooperative=scratch_tenant, out=path)
        slug = f"pulih-{uuid.uuid4().hex[:8]}"
        restored.append(slug)
        with pytest.raises(ApplicationError) as err:
            cooperative_restore(path=path, slug=slug, status=Cooperative.Status.TRIAL)
        assert err.value.code == "legal_number_taken"
        assert err.value.status_code == 409  # a conflict with that cooperative
        assert scratch_tenant.slug in err.value.message
        assert "ditangguhkan" in err.value.message
        assert not Cooperative.objects.filter(slug=slug).exists()
        assert not _schema_exists(f"coop_{slug.replace('-', '_')}")

        copy = cooperative_restore(path=path, slug=slug).cooperative
        assert copy.status == Cooperative.Status.SUSPENDED
        assert copy.legal_number == "77/BH/XII/2021"
