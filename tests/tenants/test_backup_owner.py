"""Backups belong to one cooperative, not to an address.

A cooperative deleted, then another signed up at the same address (same slug, same
schema name ``coop_<slug>``, another id): a backup carries the id of the cooperative it
was made of (``cooperative_id`` in its metadata line; a backup made before that is judged
by its schema and time: made before the cooperative existed, it is not its). So:

- a restore for the new cooperative (``cooperative_restore --of <slug>``, or a file taken
  from its folder ``BACKUP_DIR/<slug>/``) never offers or accepts the deleted one's dump;
- the new cooperative's daily prune (BACKUP_KEEP) never trims the deleted one's dumps
  left in its folder (by a deletion before backups were set aside): it sets them aside;
- set-aside folders are removed by the daily task after BACKUP_DELETED_KEEP_DAYS
  (audited); a folder of an address no cooperative holds is left alone."""

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
from tenants import tasks
from tenants.backup import (
    MAGIC,
    backup_meta,
    backup_owner_matches,
    backup_path_for,
    cooperative_backup,
    cooperative_backup_scheduled,
    cooperative_restore,
)
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
            # named a minute back: a backup the test makes next never has the same name
            new_file = backup_path_for(new, when=timezone.now() - timedelta(minutes=1))
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


def test_the_new_cooperative_never_restores_from_nor_prunes_the_deleted_ones_dumps(
    same_address, restored, settings, django_db_blocker, capsys
):
    """One test for both checks on the same two cooperatives (each made them, and their
    backups, anew before): the restore's, then the prune's."""
    _restore_never_offers_or_accepts_the_deleted_ones_dump(
        same_address, restored, django_db_blocker, capsys
    )
    _prune_never_trims_the_deleted_ones_dumps(same_address, settings, django_db_blocker)


def _restore_never_offers_or_accepts_the_deleted_ones_dump(
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
            made = datetime.fromisoformat(backup_meta(path)["created_at"]).astimezone(UTC)
            assert f"({whose})" in said and f"{made:%Y-%m-%d %H:%M} UTC" in said
            assert not Cooperative.objects.filter(slug=pulih).exists()

        # the service, with the target named, wherever the file is
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


def _prune_never_trims_the_deleted_ones_dumps(same_address, settings, django_db_blocker):
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


def test_daily_task_removes_set_aside_backups_after_their_days(settings, tmp_path, db):
    settings.BACKUP_DIR = str(tmp_path)
    settings.BACKUP_DELETED_KEEP_DAYS = 30
    aside = tmp_path / "_deleted"
    now = timezone.now()
    expired = aside / f"kpri-lama-41-{now - timedelta(days=31):%Y%m%dT%H%M%SZ}"
    kept = aside / f"kpri-lama-42-{now - timedelta(days=29):%Y%m%dT%H%M%SZ}"
    strange = aside / "salinan-manual"  # not a set-aside name: left alone, said so
    for d in (expired, kept, strange):
        d.mkdir(parents=True)
        (d / "x.sql.gz").write_bytes(b"x")
    # a folder no cooperative holds: maybe one the database does not know yet (restored
    # from an older copy), whose backups are the ones to bring it back: never touched
    gone = tmp_path / "belum-dikenal"
    gone.mkdir()
    (gone / "belum-dikenal-20200101T000000Z.sql.gz").write_bytes(b"x")

    assert tasks.backups_deleted_remove_task.apply().result == [expired.name]
    assert not expired.exists() and kept.is_dir() and strange.is_dir()
    assert (gone / "belum-dikenal-20200101T000000Z.sql.gz").exists()

    removed = AuditEvent.objects.filter(action="cooperative.backups_removed").get(
        data__folder=f"_deleted/{expired.name}"
    )
    assert removed.data["cooperative_id"] == 41 and removed.data["slug"] == "kpri-lama"
    assert removed.data["files"] == ["x.sql.gz"]

    # a second run the same day: nothing more to do
    assert tasks.backups_deleted_remove_task.apply().result == [] and kept.is_dir()

    # in the beat schedule, daily
    entry = settings.CELERY_BEAT_SCHEDULE["cooperatives-backups-deleted-remove"]
    assert entry["task"] == "tenants.tasks.backups_deleted_remove_task"
    assert entry["schedule"] == 24 * 3600


def test_owner_is_the_id_and_creation_time_or_for_older_backups_the_schema_and_time():
    born = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    coop = Cooperative(pk=7, slug="kpri-x", schema_name="coop_kpri_x", created_at=born)
    base = {"schema": "coop_kpri_x", "created_at": (born + timedelta(days=2)).isoformat()}
    mine = {**base, "cooperative_id": 7, "cooperative_created_at": born.isoformat()}
    assert backup_owner_matches(mine, cooperative=coop)
    # the same id given again by a database made anew: another cooperative
    reborn = {**mine, "cooperative_created_at": (born - timedelta(days=90)).isoformat()}
    assert not backup_owner_matches(reborn, cooperative=coop)
    assert not backup_owner_matches({**mine, "cooperative_id": 6}, cooperative=coop)
    # made before backups carried the id: its schema, made after the cooperative was
    assert backup_owner_matches(base, cooperative=coop)
    before = {**base, "created_at": (born - timedelta(seconds=1)).isoformat()}
    assert not backup_owner_matches(before, cooperative=coop)
    assert not backup_owner_matches({**base, "schema": "coop_lain"}, cooperative=coop)
    assert not backup_owner_matches({**base, "created_at": "bukan tanggal"}, cooperative=coop)
