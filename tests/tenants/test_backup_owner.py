"""Backups belong to one cooperative, not to an address.

A cooperative deleted, then another signed up at the same address (same slug, same
schema name ``coop_<slug>``, another id): a backup carries the id of the cooperative it
was made of (``cooperative_id`` in its metadata line; a backup made before that is judged
by its schema and time: made before the cooperative existed, it is not its). So:

- a restore for the new cooperative (``cooperative_restore --of <slug>``, or a file taken
  from its folder ``BACKUP_DIR/<slug>/``) never offers or accepts the deleted one's dump;
- the new cooperative's daily prune (BACKUP_KEEP) never trims the deleted one's dumps
  left in its folder (by a deletion before backups were set aside): it sets them aside;
- set-aside folders are removed by the daily task after BACKUP_DELETED_KEEP_DAYS, and a
  folder whose cooperative is gone is set aside by it (audited)."""

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from tenants.backup import MAGIC, backup_meta, backup_path_for, cooperative_backup
from tenants.models import Cooperative
from tenants.services import cooperative_create, cooperative_discard
from tests.billing.cleanup import billing_rows_drop

pytestmark = pytest.mark.slow


def _drop(coop: Cooperative) -> None:
    connection.set_schema_to_public()
    billing_rows_drop(cooperative=coop)
    if Cooperative.objects.filter(pk=coop.pk).exists():
        cooperative_discard(cooperative=coop)


def _without_owner(src, dst) -> None:
    """A copy of backup ``src`` as a backup made before backups carried the
    cooperative's id (its metadata line without ``cooperative_*``)."""
    with gzip.open(src, "rt", encoding="utf-8") as f:
        first, rest = f.readline(), f.read()
    meta = {k: v for k, v in json.loads(first[len(MAGIC) :]).items() if not k.startswith("coop")}
    with gzip.open(dst, "wt", encoding="utf-8") as f:
        f.write(MAGIC + json.dumps(meta, sort_keys=True) + "\n" + rest)


@pytest.fixture
def same_address(settings, tmp_path, django_db_setup, django_db_blocker):
    """An old cooperative backed up then deleted (before backups were set aside on
    deletion: its dumps stay in BACKUP_DIR/<slug>/), and a new one signed up at the same
    address, backed up once. All committed, dropped afterwards."""
    settings.BACKUP_DIR = str(tmp_path / "backups")
    slug = f"sama-{uuid.uuid4().hex[:8]}"
    made: list[Cooperative] = []
    with django_db_blocker.unblock():
        try:
            old = cooperative_create(
                slug=slug, name="KPRI Lama", admin_email=f"a@{slug}.test", actor="tests"
            ).cooperative
            made.append(old)
            connection.set_schema_to_public()
            when = datetime(2020, 1, 5, tzinfo=UTC)
            old_file = backup_path_for(old, when=when)
            cooperative_backup(cooperative=old, out=old_file)
            legacy_file = backup_path_for(old, when=when - timedelta(days=1))
            _without_owner(old_file, legacy_file)
            _drop(old)

            new = cooperative_create(
                slug=slug, name="KPRI Baru", admin_email=f"b@{slug}.test", actor="tests"
            ).cooperative
            made.append(new)
            connection.set_schema_to_public()
            new_file = backup_path_for(new)
            cooperative_backup(cooperative=new, out=new_file)
            yield {
                "slug": slug,
                "old_pk": old.pk,
                "new": new,
                "old_file": old_file,
                "legacy_file": legacy_file,
                "new_file": new_file,
                "aside_dir": tmp_path / "backups" / "_deleted",
            }
        finally:
            for coop in made:
                _drop(coop)


@pytest.fixture
def restored(django_db_blocker):
    made: list[str] = []
    yield made
    with django_db_blocker.unblock():
        for slug in made:
            coop = Cooperative.objects.filter(slug=slug).first()
            if coop is not None:
                _drop(coop)


def test_restore_for_the_new_cooperative_never_offers_or_accepts_the_deleted_ones_dump(
    same_address, restored, django_db_blocker, capsys
):
    s = same_address
    pulih = f"pulih-{s['slug'][-8:]}"
    restored.append(pulih)
    with django_db_blocker.unblock():
        # a file from the new cooperative's folder that is the deleted one's: refused,
        # saying whose it is, nothing made
        for path, whose in ((s["old_file"], f"id {s['old_pk']}"), (s["legacy_file"], "id ?")):
            with pytest.raises(CommandError) as refused:
                call_command("cooperative_restore", str(path), slug=pulih)
            said = str(refused.value)
            assert "backup_other_cooperative" in said
            assert f"bukan milik koperasi {s['slug']} (id {s['new'].pk})" in said
            assert f"({whose})" in said and "2020-01-0" in said
            assert not Cooperative.objects.filter(slug=pulih).exists()

        # the service, with the target named, wherever the file is
        from tenants.backup import cooperative_restore

        with pytest.raises(ApplicationError) as refused:
            cooperative_restore(path=s["old_file"], slug=pulih, of=s["new"])
        assert refused.value.code == "backup_other_cooperative"
        assert f"id {s['old_pk']}" in refused.value.message
        assert not Cooperative.objects.filter(slug=pulih).exists()

        # its backups offered: only its own
        call_command("cooperative_restore", of=s["slug"], list=True)
        listed = capsys.readouterr().out
        assert s["new_file"].name in listed
        assert s["old_file"].name not in listed and s["legacy_file"].name not in listed

        # restore "the newest of <slug>": the new one's, never the older dumps of the old
        call_command("cooperative_restore", of=s["slug"], slug=pulih)
        copy = Cooperative.objects.get(slug=pulih)
        assert copy.name == "KPRI Baru"
        event = AuditEvent.objects.filter(action="cooperative.restored", target_id=str(copy.pk))
        assert event.get().data["from_cooperative_id"] == s["new"].pk

        # the deleted one's dump is still restorable under a free address (to bring it back)
        assert backup_meta(s["old_file"])["cooperative_id"] == s["old_pk"]


def test_the_new_cooperatives_prune_never_trims_the_deleted_ones_dumps(
    same_address, settings, django_db_blocker
):
    from tenants.backup import cooperative_backup_scheduled

    s = same_address
    settings.BACKUP_KEEP = 1
    folder = s["new_file"].parent
    old_names = sorted([s["old_file"].name, s["legacy_file"].name])
    with django_db_blocker.unblock():
        meta = cooperative_backup_scheduled(cooperative=s["new"])
        # its own older backup trimmed (BACKUP_KEEP 1), nothing of the deleted one's
        assert meta["pruned"] == [s["new_file"].name]
        assert sorted(p.name for p in folder.iterdir()) == [meta["file"].rsplit("/", 1)[1]]
        # the deleted one's dumps are set aside, whole, by the id they carry (or "lama")
        aside = {p.name: sorted(f.name for f in p.iterdir()) for p in s["aside_dir"].iterdir()}
        by_owner = {name.split("-")[-2]: files for name, files in aside.items()}
        assert by_owner == {
            str(s["old_pk"]): [s["old_file"].name],
            "lama": [s["legacy_file"].name],
        }
        assert sorted(f for files in aside.values() for f in files) == old_names
        events = AuditEvent.objects.filter(action="cooperative.backups_set_aside").filter(
            data__slug=s["slug"]
        )
        assert sorted(e.data["files"][0] for e in events) == old_names


def test_daily_task_removes_set_aside_backups_after_their_days_and_sets_orphans_aside(
    settings, tmp_path, db, monkeypatch
):
    from tenants import tasks

    settings.BACKUP_DIR = str(tmp_path)
    settings.BACKUP_DELETED_KEEP_DAYS = 30
    monkeypatch.setattr(tasks.cooperatives_backup_group_task, "delay", lambda group: None)
    aside = tmp_path / "_deleted"
    now = timezone.now()
    expired = aside / f"kpri-lama-41-{now - timedelta(days=31):%Y%m%dT%H%M%SZ}"
    kept = aside / f"kpri-lama-42-{now - timedelta(days=29):%Y%m%dT%H%M%SZ}"
    strange = aside / "salinan-manual"  # not a set-aside name: left alone, said so
    for d in (expired, kept, strange):
        d.mkdir(parents=True)
        (d / "x.sql.gz").write_bytes(b"x")
    # a folder whose cooperative is gone (deleted before backups were set aside)
    gone = tmp_path / "sudah-dihapus"
    gone.mkdir()
    (gone / "sudah-dihapus-20200101T000000Z.sql.gz").write_bytes(b"x")

    result = tasks.cooperatives_backup_task.apply().result
    assert result["deleted_removed"] == [expired.name]
    assert not expired.exists() and kept.is_dir() and strange.is_dir()
    assert not gone.exists()
    moved = [p for p in aside.iterdir() if p.name.startswith("sudah-dihapus-lama-")]
    assert len(moved) == 1 and (moved[0] / "sudah-dihapus-20200101T000000Z.sql.gz").exists()

    removed = AuditEvent.objects.filter(action="cooperative.backups_removed").get(
        data__folder=f"_deleted/{expired.name}"
    )
    assert removed.data["cooperative_id"] == 41 and removed.data["slug"] == "kpri-lama"
    assert removed.data["files"] == ["x.sql.gz"]
    assert AuditEvent.objects.filter(
        action="cooperative.backups_set_aside", data__slug="sudah-dihapus"
    ).exists()

    # a second run the same day: nothing more to do
    again = tasks.cooperatives_backup_task.apply().result
    assert again["deleted_removed"] == [] and kept.is_dir()
