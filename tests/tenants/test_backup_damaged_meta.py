"""A backup file whose metadata line is damaged, not UTF-8, or of another backup format
is refused with a clear message by cooperative_restore (no traceback, nothing made)."""

import gzip
import json

import pytest
from django.core.management import CommandError, call_command

from tenants.backup import MAGIC
from tenants.models import Cooperative

pytestmark = pytest.mark.django_db


def _write(path, first: bytes, rest: bytes = b"SELECT 1;\n"):
    with gzip.open(path, "wb") as f:
        f.write(first + rest)
    return path


META = {
    "format": 1,
    "slug": "asal",
    "schema": "coop_asal",
    "counts": {},
    "migrations": [],
    "profile": {"name": "KPRI Asal"},
}


@pytest.mark.parametrize(
    "first,says",
    [
        pytest.param(
            (MAGIC + '{"format": 1, "schema": "coop_a').encode() + b"\n",
            "unreadable metadata",
            id="json-cut",
        ),
        pytest.param(b"\xff\xfe\x00garbage\n", "not a Lumbung", id="not-utf8"),
        pytest.param(
            (MAGIC + json.dumps({**META, "format": 2}) + "\n").encode(), "format 2", id="format-2"
        ),
        pytest.param(
            (MAGIC + json.dumps({"format": 1}) + "\n").encode(),
            "unreadable metadata",
            id="no-schema",
        ),
        pytest.param((MAGIC + "[1, 2]\n").encode(), "unreadable metadata", id="not-an-object"),
    ],
)
def test_restore_refuses_a_damaged_or_foreign_metadata_line_clearly(tmp_path, first, says):
    path = _write(tmp_path / "rusak.sql.gz", first)
    with pytest.raises(CommandError) as exc:
        call_command("cooperative_restore", str(path), slug="pulih-rusak")
    assert says in str(exc.value)
    assert not Cooperative.objects.filter(slug="pulih-rusak").exists()
