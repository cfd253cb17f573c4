"""A practice copy's stored files (loan documents, payslips uploaded while practising,
under ``<practice schema>/``) go with it, once the deletion is committed: the admin's
*Hapus*, the 90-day clean-up, *Salin ulang* (the old data's files), and the console's
deletion of its cooperative."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from tests.console.conftest import make_operator

pytestmark = pytest.mark.slow


@pytest.fixture
def practice_with_a_file(pair_coop, pair_practice, settings, tmp_path):
    """The copy (``practice_pair``: one per module) with a stored file, and one of its
    cooperative's."""
    settings.MEDIA_ROOT = str(tmp_path)
    name = default_storage.save(
        f"{pair_practice.schema_name}/loans/2026/01/slip-gaji.pdf", ContentFile(b"%PDF-1.4 x")
    )
    real = default_storage.save(
        f"{pair_coop.schema_name}/loans/2026/01/slip.pdf", ContentFile(b"%PDF-1.4")
    )
    assert default_storage.exists(name)
    return pair_practice, name, real


def test_practice_delete_removes_its_files_and_only_its_own(
    practice_with_a_file, django_capture_on_commit_callbacks
):
    from tenants.practice import practice_delete

    practice, name, real = practice_with_a_file
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        practice_delete(practice=practice, by="tests")
    assert default_storage.exists(name)  # nothing removed before the commit
    for callback in callbacks:
        callback()
    assert not default_storage.exists(name)
    assert default_storage.exists(real)


def test_cleanup_of_an_unused_copy_removes_its_files(
    practice_with_a_file, django_capture_on_commit_callbacks
):
    from tenants.models import Cooperative
    from tenants.practice import practices_cleanup

    practice, name, _real = practice_with_a_file
    now = timezone.now()
    Cooperative.objects.filter(pk=practice.pk).update(practice_used_at=now - timedelta(days=91))
    with django_capture_on_commit_callbacks(execute=True):
        assert practices_cleanup(now=now) == 1
    assert not default_storage.exists(name)


def test_reset_removes_the_old_copys_files(
    practice_with_a_file, pair_coop, django_capture_on_commit_callbacks
):
    from tenants.practice import practice_reset

    _practice, name, real = practice_with_a_file
    with django_capture_on_commit_callbacks(execute=True):
        practice_reset(cooperative=pair_coop, by="tests")
    assert not default_storage.exists(name)
    assert default_storage.exists(real)


def test_deleting_the_cooperative_removes_its_practice_copy_files(
    practice_with_a_file, pair_coop, django_capture_on_commit_callbacks
):
    from lumbung.console import services

    _practice, name, real = practice_with_a_file
    op = make_operator("admin", "admin-pf1@ops.lumbung.test")
    services.tenant_archive(operator=op, cooperative=pair_coop, reason="pindah")
    with django_capture_on_commit_callbacks(execute=True):
        services.tenant_delete(
            operator=op, cooperative=pair_coop, confirm=pair_coop.slug, reason="pindah"
        )
    connection.set_schema_to_public()
    assert not default_storage.exists(name)
    assert not default_storage.exists(real)
