"""A backup file cut short (a copy interrupted, a full disk) is refused on the command
line with a clear message naming the file and saying it is truncated or damaged, and
nothing is restored: no cooperative, no domain, no schema."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.backup import cooperative_backup
from tenants.models import Cooperative, Domain

pytestmark = pytest.mark.slow


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


@pytest.fixture(scope="module")
def whole(django_db_setup, django_db_blocker, tmp_path_factory):
    """One cooperative of its own (committed, dropped at the end) and its backup, made
    once for the module: each cut below is taken from the same whole file (each case
    made a cooperative and backed it up before)."""
    import uuid

    from tenants.services import cooperative_create, cooperative_discard
    from tests.conftest import ADMIN_PASSWORD

    with django_db_blocker.unblock():
        slug = f"utuh-{uuid.uuid4().hex[:8]}"
        coop = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=f"admin@{slug}.test",
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        ).cooperative
        try:
            connection.set_schema_to_public()
            path = tmp_path_factory.mktemp("utuh") / "utuh.sql.gz"
            cooperative_backup(cooperative=coop, out=path)
            yield path
        finally:
            connection.set_schema_to_public()
            cooperative_discard(cooperative=coop)


@pytest.mark.parametrize(
    "keep",
    [
        pytest.param(0.5, id="cut-in-the-middle"),
        pytest.param(-4, id="trailer-cut"),  # gzip's CRC and size trailer incomplete
        pytest.param(-1200, id="cut-near-the-end"),
    ],
)
def test_restore_of_a_truncated_gzip_backup_names_the_file_and_restores_nothing(
    whole, tmp_path, django_db_blocker, keep
):
    with django_db_blocker.unblock():
        data = whole.read_bytes()
        cut = tmp_path / "terpotong.sql.gz"
        cut.write_bytes(data[: int(len(data) * keep)] if keep > 0 else data[:keep])
        before = Cooperative.objects.count()

        with pytest.raises(CommandError) as exc:
            call_command("cooperative_restore", str(cut), slug="terpotong")
        message = str(exc.value)
        assert str(cut) in message
        assert "truncated or damaged" in message
        assert "nothing was restored" in message
        connection.set_schema_to_public()
        assert Cooperative.objects.count() == before
        assert not Cooperative.objects.filter(slug="terpotong").exists()
        assert not Domain.objects.filter(domain__startswith="terpotong.").exists()
        assert not _schema_exists("coop_terpotong")
