"""A deleted cooperative's daily backups and its address.

Deleting a cooperative in the console (``tenant_delete``) sets its backup folder
``BACKUP_DIR/<slug>/`` aside to ``BACKUP_DIR/_deleted/<slug>-<id>-<UTC time>/`` once the
deletion commits (audited). Its address is free for a new sign-up at once; the new
cooperative's daily backups then start in an empty ``BACKUP_DIR/<slug>/``: none of the old
dumps are in it, and the new one's BACKUP_KEEP never trims them.

Real PostgreSQL, pg_dump and commits (the set-aside runs on commit)."""

import shutil
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from billing.models import Subscription
from core.audit.models import AuditEvent
from lumbung.console import services
from tenants.backup import backup_meta, cooperatives_backup_group_scheduled
from tenants.models import Cooperative
from tenants.services import cooperative_create, cooperative_discard
from tenants.signup import slug_availability
from tests.billing.cleanup import billing_rows_drop
from tests.console.conftest import make_operator

pytestmark = pytest.mark.slow

EARLIER = ("20200101T000000Z", "20200102T000000Z")


def _archive(coop: Cooperative) -> None:
    Subscription.objects.filter(cooperative=coop).update(
        status=Subscription.Status.ARCHIVED, suspended_since=timezone.now()
    )
    Cooperative.objects.filter(pk=coop.pk).update(status=Cooperative.Status.ARCHIVED)


def _drop(coop: Cooperative | None) -> None:
    connection.set_schema_to_public()
    if coop is None:
        return
    billing_rows_drop(cooperative=coop)
    if Cooperative.objects.filter(pk=coop.pk).exists():
        cooperative_discard(cooperative=coop)


def test_deleted_cooperatives_backups_are_set_aside_and_a_new_one_at_its_address_starts_clean(
    settings, tmp_path, django_db_setup, django_db_blocker
):
    settings.BACKUP_DIR = str(tmp_path / "backups")
    settings.BACKUP_KEEP = 2
    slug = f"hapus-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "backups" / slug
    old = new = None
    with django_db_blocker.unblock():
        try:
            old = cooperative_create(
                slug=slug, name="KPRI Lama", admin_email=f"admin@{slug}.test", actor="tests"
            ).cooperative
            connection.set_schema_to_public()
            # three daily backups of the old cooperative: today's and two earlier ones
            done = cooperatives_backup_group_scheduled(cooperatives=[old])
            assert done.failed == {}
            today = Path(done.done[slug]["file"])
            for stamp in EARLIER:
                shutil.copy(today, folder / f"{slug}-{stamp}.sql.gz")
            old_files = sorted(p.name for p in folder.iterdir())
            assert len(old_files) == 3

            _archive(old)
            op = make_operator("admin", username=f"hapus-{uuid.uuid4().hex[:8]}@ops.lumbung.test")
            services.tenant_delete(operator=op, cooperative=old, confirm=slug, reason="uji hapus")
            assert not Cooperative.objects.filter(pk=old.pk).exists()

            # its backups are set aside, whole, named after it (address, id, time)
            aside = sorted((tmp_path / "backups" / "_deleted").iterdir())
            assert len(aside) == 1 and aside[0].name.startswith(f"{slug}-{old.pk}-")
            assert sorted(p.name for p in aside[0].iterdir()) == old_files
            assert not folder.exists()
            event = (
                AuditEvent.objects.filter(action="cooperative.backups_set_aside")
                .filter(data__slug=slug)
                .get()
            )
            assert event.data["cooperative_id"] == old.pk
            assert event.data["files"] == old_files
            assert event.data["folder"] == f"_deleted/{aside[0].name}"
            assert event.target_id == str(old.pk)

            # the address is free for a sign-up at once; the new cooperative's backups
            # start in an empty folder and trim only its own
            assert slug_availability(slug) is None
            new = cooperative_create(
                slug=slug, name="KPRI Baru", admin_email=f"baru@{slug}.test", actor="tests"
            ).cooperative
            connection.set_schema_to_public()
            assert new.pk != old.pk and new.schema_name == old.schema_name
            for _ in range(2):
                done = cooperatives_backup_group_scheduled(cooperatives=[new])
                assert done.failed == {}
            files = sorted(folder.iterdir())
            assert 1 <= len(files) <= 2
            for path in files:
                meta = backup_meta(path)
                assert meta["cooperative_id"] == new.pk
                assert meta["profile"]["name"] == "KPRI Baru"
            assert sorted(p.name for p in aside[0].iterdir()) == old_files  # none trimmed
        finally:
            _drop(new)
            _drop(old)


def test_a_failed_set_aside_never_turns_the_committed_deletion_into_an_error(
    db, settings, tmp_path, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    settings.BACKUP_DIR = str(tmp_path)
    coop = cooperative_create(
        slug="hapus-gagal", name="KPRI Gagal", admin_email="a@hapus-gagal.test"
    ).cooperative
    connection.set_schema_to_public()
    (tmp_path / "hapus-gagal").mkdir()
    _archive(coop)

    def full_disk(**kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(services, "cooperative_backups_set_aside", full_disk)
    op = make_operator("admin")
    with django_capture_on_commit_callbacks(execute=True):
        services.tenant_delete(operator=op, cooperative=coop, confirm="hapus-gagal", reason="uji")
    assert not Cooperative.objects.filter(pk=coop.pk).exists()
    assert "Could not set the backups of deleted hapus-gagal aside" in caplog.text
    # left in place: a new cooperative at the address sets it aside at its first prune
    assert (tmp_path / "hapus-gagal").is_dir()
