"""The NIK koperasi on a restore (tenants.backup._nik_koperasi_kept, through the
operator's ``manage.py cooperative_restore``): a cooperative whose record has no NIK
koperasi (empty, or a backup whose profile has none: made before the NIK was kept, or
null) is restored without one, with no warning, as often as asked (an empty NIK is
nobody's); one with separators is kept as its digits; the NIK of the live original
stays the original's: the copy is restored without it, said in a warning."""

import gzip
import io
import json
import uuid

import pytest
from django.core.management import call_command

from tenants.backup import MAGIC, cooperative_backup
from tenants.models import Cooperative

from .test_backup_restore import restored  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def _restore(path, slug: str, restored) -> tuple[Cooperative, str]:  # noqa: F811
    restored.append(slug)
    out = io.StringIO()
    call_command("cooperative_restore", str(path), slug=slug, stdout=out)
    return Cooperative.objects.get(slug=slug), out.getvalue()


def _with_profile(path, out, change) -> None:
    """A copy of the backup at ``path`` at ``out`` whose metadata profile ``change``
    changed (in place)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        first = f.readline()
        rest = f.read()
    meta = json.loads(first[len(MAGIC) :])
    change(meta["profile"])
    with gzip.open(out, "wt", encoding="utf-8") as f:
        f.write(MAGIC + json.dumps(meta) + "\n" + rest)


def test_a_cooperative_without_a_nik_koperasi_is_restored_without_one_twice(
    scratch_tenant,
    tmp_path,
    restored,  # noqa: F811
    django_db_blocker,
):
    with django_db_blocker.unblock():
        assert scratch_tenant.nik_koperasi == ""
        path = tmp_path / "backup.sql.gz"
        cooperative_backup(cooperative=scratch_tenant, out=path)
        first, said = _restore(path, f"pulih-{uuid.uuid4().hex[:8]}", restored)
        assert first.nik_koperasi == ""
        assert "NIK" not in said
        second, said = _restore(path, f"pulih-{uuid.uuid4().hex[:8]}", restored)
        assert second.nik_koperasi == ""
        assert "NIK" not in said
        assert first.status == second.status == Cooperative.Status.SUSPENDED


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda profile: profile.pop("nik_koperasi"), id="no-nik-key"),
        pytest.param(lambda profile: profile.update(nik_koperasi=None), id="nik-null"),
    ],
)
def test_a_backup_whose_record_has_no_nik_koperasi_is_restored(
    scratch_tenant,
    tmp_path,
    restored,  # noqa: F811
    django_db_blocker,
    change,
):
    with django_db_blocker.unblock():
        path = tmp_path / "backup.sql.gz"
        cooperative_backup(cooperative=scratch_tenant, out=path)
        older = tmp_path / "older.sql.gz"
        _with_profile(path, older, change)
        copy, said = _restore(older, f"pulih-{uuid.uuid4().hex[:8]}", restored)
        assert copy.nik_koperasi == ""
        assert copy.name == scratch_tenant.name
        assert "NIK" not in said


def test_the_live_originals_nik_stays_its_own_and_separators_are_dropped(
    scratch_tenant,
    tmp_path,
    restored,  # noqa: F811
    django_db_blocker,
):
    with django_db_blocker.unblock():
        Cooperative.objects.filter(pk=scratch_tenant.pk).update(nik_koperasi="6271010020002")
        scratch_tenant.refresh_from_db()
        path = tmp_path / "backup.sql.gz"
        cooperative_backup(cooperative=scratch_tenant, out=path)
        copy, said = _restore(path, f"pulih-{uuid.uuid4().hex[:8]}", restored)
        assert copy.nik_koperasi == ""
        assert f"NIK koperasi 6271010020002 belongs to '{scratch_tenant.slug}'" in said
        scratch_tenant.refresh_from_db()
        assert scratch_tenant.nik_koperasi == "6271010020002"

        other = tmp_path / "other.sql.gz"
        _with_profile(path, other, lambda p: p.update(nik_koperasi="6271.0100.2000-9"))
        copy, said = _restore(other, f"pulih-{uuid.uuid4().hex[:8]}", restored)
        assert copy.nik_koperasi == "6271010020009"
        assert "NIK" not in said
