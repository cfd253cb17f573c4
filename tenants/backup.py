"""Backup and restore of one cooperative: its schema only.

A backup is ``pg_dump --schema=<schema>`` (plain SQL, no owners or privileges) gzipped, with
one first line of metadata: ``-- lumbung-backup: {json}`` (slug, name and profile of the
cooperative, schema, the rows of every table at dump time, the applied migrations). The
dump is one consistent snapshot (pg_dump's own transaction).

A restore loads a backup into a **fresh schema under another slug**: the schema name in
the dump's statements (never in the rows' data) is rewritten to the new one, and every
statement, the rows (COPY) and the public rows (cooperative, domain, billing trial through
the provisioning hooks) run in **one transaction**: a failure anywhere leaves nothing
behind. An existing slug or schema is refused. After loading, the row count of every
table is compared with the metadata (inside the transaction: a difference rolls back).

``cooperatives_backup`` (a Celery beat task, see tenants.tasks) writes a backup of every
live cooperative to ``BACKUP_DIR`` and keeps the newest ``BACKUP_KEEP`` per cooperative.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from tenants.audit import TenantAudit
from tenants.errors import TenantErrors

from .models import Cooperative, Domain
from .schema_template import expected_migrations, qi
from .services import provisioned_hooks, schema_name_for, tenant_host
from .validators import validate_slug

log = logging.getLogger(__name__)

MAGIC = "-- lumbung-backup: "
LIVE_STATUSES = (
    Cooperative.Status.TRIAL,
    Cooperative.Status.ACTIVE,
    Cooperative.Status.PAST_DUE,
    Cooperative.Status.SUSPENDED,
)
PROFILE_FIELDS = (
    "name",
    "kind",
    "legal_number",
    "nik_koperasi",
    "province",
    "regency",
    "contact_name",
    "email",
    "phone",
)


class BackupError(Exception):
    """pg_dump missing or failed, or an unreadable backup file."""


# ------------------------------------------------------------------------------- backup


def table_counts(schema: str, *, cur=None) -> dict[str, int]:
    """Rows of every table of ``schema`` (exact counts), read with ``cur`` (a cursor of
    the default connection when None)."""
    if cur is None:
        with connection.cursor() as django_cur:
            return table_counts(schema, cur=django_cur)
    cur.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
        [schema],
    )
    out = {}
    for (table,) in cur.fetchall():
        cur.execute(f"SELECT count(*) FROM {qi(schema)}.{qi(table)}")
        out[table] = cur.fetchone()[0]
    return out


def _pg_dump_cmd(schema: str, *, snapshot: str | None = None) -> tuple[list[str], dict]:
    binary = shutil.which(settings.PG_DUMP)
    if binary is None:
        raise BackupError(f"pg_dump not found (PG_DUMP={settings.PG_DUMP!r})")
    db = settings.DATABASES["default"]
    env = os.environ | {"PGPASSWORD": str(db.get("PASSWORD") or "")}
    cmd = [
        binary,
        "--schema",
        schema,
        "--no-owner",
        "--no-privileges",
        "--lock-wait-timeout=30s",
        "--host",
        str(db.get("HOST") or "localhost"),
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        str(db.get("USER") or "postgres"),
    ]
    if snapshot:
        cmd += ["--snapshot", snapshot]
    return [*cmd, str(db["NAME"])], env


def cooperative_backup(*, cooperative: Cooperative, out: str | Path) -> dict:
    """Write a backup of ``cooperative`` to ``out`` (gzip; written to a temporary file
    beside it and renamed, so ``out`` is either complete or absent). Returns the
    metadata. The row counts and the dump come from one snapshot: they agree."""
    if cooperative.is_public:
        raise BackupError("the public schema is not a cooperative")
    schema = cooperative.schema_name
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # A connection of its own in a repeatable-read transaction exports its snapshot:
    # pg_dump dumps that very state and the counts are read in it, so the metadata
    # describes exactly the dump.
    snap_conn = connection.get_new_connection(connection.get_connection_params())
    try:
        snap_conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with snap_conn.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
            cur.execute(f"SELECT app, name FROM {qi(schema)}.django_migrations ORDER BY id")
            migrations = [f"{a}.{n}" for a, n in cur.fetchall()]
            counts = table_counts(schema, cur=cur)
        meta = {
            "format": 1,
            "slug": cooperative.slug,
            "schema": schema,
            "created_at": timezone.now().isoformat(),
            "profile": {f: getattr(cooperative, f) for f in PROFILE_FIELDS},
            "legal_date": cooperative.legal_date.isoformat() if cooperative.legal_date else None,
            "counts": counts,
            "migrations": migrations,
        }
        cmd, env = _pg_dump_cmd(schema, snapshot=snapshot)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb") as gz:
                gz.write((MAGIC + json.dumps(meta, sort_keys=True) + "\n").encode())
                with tempfile.TemporaryFile() as errors:
                    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=errors)
                    shutil.copyfileobj(proc.stdout, gz, 1024 * 1024)
                    if proc.wait(timeout=3600) != 0:
                        errors.seek(0)
                        text = errors.read().decode(errors="replace")[:2000]
                        raise BackupError(f"pg_dump failed ({proc.returncode}): {text}")
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        snap_conn.close()
    meta["bytes"] = out.stat().st_size
    meta["file"] = str(out)
    log.info("Backed up %s to %s (%s bytes)", schema, out, meta["bytes"])
    return meta


def backup_meta(path: str | Path) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        first = f.readline()
    if not first.startswith(MAGIC):
        raise BackupError(f"{path}: not a Lumbung cooperative backup")
    return json.loads(first[len(MAGIC) :])


# ------------------------------------------------------------------------------ restore


@dataclass
class RestoreResult:
    cooperative: Cooperative
    source_schema: str
    counts: dict[str, int]
    statements: int = 0
    warnings: list[str] = field(default_factory=list)


_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")
_SET = re.compile(r"^SET (?!LOCAL )", re.IGNORECASE)
_SET_CONFIG = re.compile(r"set_config\(('[^']*'), ('[^']*'), false\)")
_COPY = re.compile(r"^COPY .* FROM stdin;$")


class _CopyData(io.RawIOBase):
    """The data lines of one COPY block, read until ``\\.``, as a file for copy_expert."""

    def __init__(self, lines):
        self._lines = lines
        self._buf = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while not self._done and len(self._buf) < len(b):
            line = next(self._lines, None)
            if line is None:
                raise BackupError("backup truncated inside a COPY block")
            if line == "\\.\n":
                self._done = True
                break
            self._buf += line.encode()
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _statements(lines, rename):
    """Yield ("sql", text) and ("copy", header, lines) from a plain pg_dump, with the
    schema renamed (``rename``) outside the COPY data; psql meta-commands (``\\restrict``)
    and comments are skipped; session settings become transaction-local."""
    buf: list[str] = []
    tag: str | None = None  # inside a dollar-quoted body
    for line in lines:
        if not buf and tag is None:
            stripped = line.strip()
            if not stripped or stripped.startswith(("--", "\\")):
                continue
            if _COPY.match(stripped):
                yield ("copy", rename(stripped), lines)
                continue
        buf.append(line)
        for m in _DOLLAR.finditer(line):
            if tag is None:
                tag = m.group(0)
            elif m.group(0) == tag:
                tag = None
        if tag is None and line.rstrip().endswith(";"):
            sql = rename("".join(buf))
            buf = []
            sql = _SET.sub("SET LOCAL ", sql)
            sql = _SET_CONFIG.sub(r"set_config(\1, \2, true)", sql)
            yield ("sql", sql)
    if buf and "".join(buf).strip():
        raise BackupError("backup truncated in the middle of a statement")


def _renamer(old: str, new: str):
    pattern = re.compile(rf"(?<![A-Za-z0-9_$]){re.escape(old)}(?![A-Za-z0-9_$])")
    return lambda text: pattern.sub(new, text)


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cur.fetchone() is not None


def cooperative_restore(
    *,
    path: str | Path,
    slug: str,
    status: str = Cooperative.Status.SUSPENDED,
    actor: str = "system",
) -> RestoreResult:
    """Restore the backup at ``path`` as a new cooperative ``slug`` (schema
    ``coop_<slug>``), all or nothing (see the module docstring)."""
    validate_slug(slug)
    meta = backup_meta(path)
    old = meta["schema"]
    new = schema_name_for(slug)
    if (
        Cooperative.objects.filter(slug=slug).exists()
        or Cooperative.objects.filter(schema_name=new).exists()
    ):
        raise ApplicationError(
            TenantErrors.SLUG_TAKEN,
            _("Alamat '%(slug)s' sudah dipakai.") % {"slug": slug},
            fields={"slug": [_("Alamat sudah dipakai.")]},
        )
    if _schema_exists(new):
        raise ApplicationError(
            TenantErrors.SCHEMA_EXISTS,
            _("Skema %(schema)s sudah ada.") % {"schema": new},
            status=409,
        )
    unknown = sorted(
        set(meta.get("migrations", [])) - {f"{a}.{n}" for a, n in expected_migrations()}
    )
    if unknown:
        raise ApplicationError(
            TenantErrors.BACKUP_NEWER,
            _("Cadangan berasal dari versi Lumbung yang lebih baru (migrasi tidak dikenal: %(m)s).")
            % {"m": ", ".join(unknown[:5])},
        )
    rename = _renamer(old, new)
    result = RestoreResult(cooperative=None, source_schema=old, counts={})  # type: ignore[arg-type]
    missing = sorted(
        {f"{a}.{n}" for a, n in expected_migrations()} - set(meta.get("migrations", []))
    )
    if missing:
        result.warnings.append(
            f"{len(missing)} migration(s) newer than the backup: run "
            f"`manage.py migrate_schemas --schema={new}` after the restore"
        )
    connection.set_schema_to_public()
    try:
        with transaction.atomic():
            with gzip.open(path, "rt", encoding="utf-8") as f:
                f.readline()  # the metadata line
                lines = iter(f)
                with connection.cursor() as wrapper:
                    cur = wrapper.cursor  # psycopg2's: COPY and no % interpolation
                    try:
                        for item in _statements(lines, rename):
                            if item[0] == "sql":
                                cur.execute(item[1])
                            else:
                                cur.copy_expert(item[1], io.BufferedReader(_CopyData(item[2])))
                            result.statements += 1
                    except (DatabaseError, psycopg2.Error) as exc:
                        raise BackupError(
                            f"restore failed at statement {result.statements + 1}: {exc}"
                        ) from exc
            connection.set_schema_to_public()  # django-tenants sets the path again
            if not _schema_exists(new):
                raise BackupError("the backup did not create the cooperative's schema")
            counts = table_counts(new)
            if counts != meta["counts"]:
                diff = {
                    t: (meta["counts"].get(t), counts.get(t))
                    for t in set(counts) | set(meta["counts"])
                    if counts.get(t) != meta["counts"].get(t)
                }
                raise BackupError(f"row counts differ after the restore: {diff}")
            profile = dict(meta.get("profile") or {})
            coop = Cooperative(
                slug=slug,
                schema_name=new,
                status=status,
                legal_date=meta.get("legal_date"),
                **{k: v for k, v in profile.items() if k in PROFILE_FIELDS},
            )
            coop.auto_create_schema = False
            coop.save()
            Domain.objects.create(domain=tenant_host(slug), tenant=coop, is_primary=True)
            for hook in provisioned_hooks():
                hook(cooperative=coop)
            audit_log(
                actor=actor,
                action=TenantAudit.COOPERATIVE_RESTORED,
                target=coop,
                data={
                    "from_slug": meta.get("slug"),
                    "from_schema": old,
                    "backup_created_at": meta.get("created_at"),
                    "tables": len(counts),
                    "rows": sum(counts.values()),
                },
            )
    except Exception:
        log.exception("Restoring %s as %s failed; nothing was kept", path, slug)
        connection.set_schema_to_public()
        raise
    connection.set_schema_to_public()
    result.cooperative = coop
    result.counts = counts
    return result


# ------------------------------------------------------------------- scheduled backups


def backup_dir() -> Path:
    return Path(settings.BACKUP_DIR)


def backup_path_for(cooperative: Cooperative, *, when=None) -> Path:
    when = when or timezone.now()
    return backup_dir() / cooperative.slug / f"{cooperative.slug}-{when:%Y%m%dT%H%M%SZ}.sql.gz"


def backups_prune(*, slug: str, keep: int | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` (BACKUP_KEEP) backups of ``slug``."""
    keep = settings.BACKUP_KEEP if keep is None else keep
    folder = backup_dir() / slug
    if keep < 1 or not folder.is_dir():
        return []
    files = sorted(folder.glob(f"{slug}-*.sql.gz"), reverse=True)  # names sort by time
    gone = files[keep:]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


def cooperative_backup_scheduled(*, cooperative: Cooperative) -> dict:
    """One scheduled backup: written, then the older ones beyond BACKUP_KEEP pruned."""
    meta = cooperative_backup(cooperative=cooperative, out=backup_path_for(cooperative))
    meta["pruned"] = [p.name for p in backups_prune(slug=cooperative.slug)]
    return meta
