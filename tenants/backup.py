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
The backup's sessions are then deleted and its API keys revoked in the new schema (counted
in the restore's audit row): they are the original cooperative's credentials, not the
copy's; the logins, passwords and authenticators stay.

``cooperatives_backup_task`` (a Celery beat task, see tenants.tasks) writes a backup of
every live cooperative to ``BACKUP_DIR`` and keeps the newest ``BACKUP_KEEP`` per
cooperative. It works by groups of ``BACKUP_GROUP_SIZE`` (``cooperatives_backup_group``):
pg_dump reads the catalogue of the whole database at start whatever ``--schema`` says (29 s
at 3,410 cooperatives), so a group is ONE ``pg_dump --format=custom --schema=s1
--schema=s2 …`` and each cooperative's file is extracted from that archive by
``pg_restore`` with the archive's entries of its schema: the same plain SQL as
``pg_dump --schema=<schema>`` (only the random key of psql's ``\\restrict`` line differs),
so such a file is restored like any other.

A backup belongs to one cooperative, not to an address: its metadata carries the
cooperative's id and creation time (``cooperative_id``, ``cooperative_created_at``; a
backup made before they did is judged by its schema and its time: one made before the
cooperative existed is not its). A deleted cooperative's folder is set aside to
``BACKUP_DIR/_deleted/<slug>-<id>-<UTC time>/`` (``cooperative_backups_set_aside``, when
the console's deletion commits) and removed by the daily task after
``BACKUP_DELETED_KEEP_DAYS`` (``backups_deleted_remove``), so a new cooperative signed up at
the same address starts with an empty folder. A restore for a cooperative (``of``, or a
file taken from its folder) refuses another cooperative's backup, and the daily prune of a
cooperative never trims another's: it sets it aside.
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
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.users.services import user_credentials_end_all
from tenants.audit import TenantAudit
from tenants.errors import TenantErrors

from .models import Cooperative, Domain
from .schema_template import expected_migrations, qi
from .services import (
    LEGAL_NUMBER,
    NIK_KOPERASI,
    identifier_claim,
    identifier_holder,
    identifier_lock,
    provisioned_hooks,
    schema_name_for,
    slug_held_by_signup,
    slug_in_use,
    slug_taken_error,
    tenant_host,
)
from .validators import validate_slug

log = logging.getLogger(__name__)

MAGIC = "-- lumbung-backup: "
BACKUP_FORMAT = 1  # the metadata line's "format"; a restore refuses any other
_META_REQUIRED = ("schema", "counts", "migrations")
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


# What reading a gzip file that was cut short or corrupted raises: the stream ends before
# its end marker (EOFError), its CRC/size trailer is wrong (BadGzipFile), bad deflate data.
GZIP_DAMAGE = (EOFError, gzip.BadGzipFile, zlib.error)


def _damaged(path, exc: BaseException) -> BackupError:
    return BackupError(
        f"{path}: the backup file is truncated or damaged ({exc}); nothing was restored. "
        "Restore from an intact copy of the backup."
    )


# ------------------------------------------------------------------------------- backup


def table_counts(schema: str, *, cur=None) -> dict[str, int]:
    """Rows of every table of ``schema`` (exact counts), read with ``cur`` (a cursor of
    the default connection when None)."""
    if cur is None:
        with connection.cursor() as django_cur:
            return table_counts(schema, cur=django_cur)
    return _counts(schema, _tables_by_schema([schema], cur=cur)[schema], cur=cur)


def _tables_by_schema(schemas: list[str], *, cur) -> dict[str, list[str]]:
    """The tables (information_schema's BASE TABLEs) of each schema, by name, in ONE read
    of pg_class: a read per schema scans the whole pg_class each time (no index on the
    namespace alone), ≈ 1 s at 3,410 cooperatives."""
    cur.execute(
        "SELECT n.nspname, c.relname FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = ANY(%s) AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
        [list(schemas)],
    )
    out: dict[str, list[str]] = {s: [] for s in schemas}
    for schema, table in cur.fetchall():
        out[schema].append(table)
    return out


def _counts(schema: str, tables: list[str], *, cur) -> dict[str, int]:
    """Exact row counts of ``tables`` of ``schema``, in one statement."""
    if not tables:
        return {}
    cur.execute(
        " UNION ALL ".join(
            f"SELECT {i}, count(*) FROM {qi(schema)}.{qi(t)}" for i, t in enumerate(tables)
        )
    )
    counts = dict(cur.fetchall())
    return {t: counts[i] for i, t in enumerate(tables)}


def _pg_binary(name: str) -> str:
    """The path of pg_dump (``PG_DUMP``) or of the pg_restore beside it (same version)."""
    dump = shutil.which(settings.PG_DUMP)
    if dump is None:
        raise BackupError(f"pg_dump not found (PG_DUMP={settings.PG_DUMP!r})")
    if name == "pg_dump":
        return dump
    sibling = Path(dump).with_name(name)
    if not sibling.exists():
        raise BackupError(f"{name} not found beside {dump}")
    return str(sibling)


def _pg_dump_cmd(
    schema: str | list[str], *, snapshot: str | None = None, archive: str | Path | None = None
) -> tuple[list[str], dict]:
    """pg_dump of one schema (plain SQL on stdout), or of several into a custom-format
    ``archive`` (uncompressed: each cooperative's file is gzipped when extracted)."""
    db = settings.DATABASES["default"]
    env = os.environ | {"PGPASSWORD": str(db.get("PASSWORD") or "")}
    schemas = [schema] if isinstance(schema, str) else list(schema)
    cmd = [_pg_binary("pg_dump")]
    for s in schemas:
        cmd += ["--schema", s]
    cmd += [
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
    if archive is not None:
        cmd += ["--format=custom", "--compress=0", "--file", str(archive)]
    return [*cmd, str(db["NAME"])], env


def _snapshot_connection():
    """A connection of its own in a read-only repeatable-read transaction, and the
    snapshot it exports: pg_dump dumps that very state and the metadata is read in it, so
    the metadata describes exactly the dump."""
    snap_conn = connection.get_new_connection(connection.get_connection_params())
    snap_conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
    with snap_conn.cursor() as cur:
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
    return snap_conn, snapshot


def _backup_meta_read(cooperative: Cooperative, *, cur, tables: list[str] | None = None) -> dict:
    """The metadata line of ``cooperative``'s backup, read with ``cur`` (in the dump's
    snapshot); ``tables``: its tables when already read."""
    schema = cooperative.schema_name
    cur.execute(f"SELECT app, name FROM {qi(schema)}.django_migrations ORDER BY id")
    migrations = [f"{a}.{n}" for a, n in cur.fetchall()]
    if tables is None:
        tables = _tables_by_schema([schema], cur=cur)[schema]
    counts = _counts(schema, tables, cur=cur)
    return {
        "format": BACKUP_FORMAT,
        "slug": cooperative.slug,
        # which cooperative, not only which address: a slug (and its schema name) is
        # free again once its cooperative is deleted (backup_owner_matches)
        "cooperative_id": cooperative.pk,
        "cooperative_created_at": (
            cooperative.created_at.isoformat() if cooperative.created_at else None
        ),
        "schema": schema,
        "created_at": timezone.now().isoformat(),
        "profile": {f: getattr(cooperative, f) for f in PROFILE_FIELDS},
        "legal_date": cooperative.legal_date.isoformat() if cooperative.legal_date else None,
        "counts": counts,
        "migrations": migrations,
    }


def _backup_file_write(*, out: Path, meta: dict, cmd: list[str], env: dict, what: str) -> None:
    """Write ``out``: gzip of the metadata line and the plain SQL that ``cmd`` prints, to a
    temporary file beside it renamed at the end (``out`` is complete or absent)."""
    out.parent.mkdir(parents=True, exist_ok=True)
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
                    raise BackupError(f"{what} failed ({proc.returncode}): {text}")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cooperative_backup(*, cooperative: Cooperative, out: str | Path) -> dict:
    """Write a backup of ``cooperative`` to ``out`` (gzip; written to a temporary file
    beside it and renamed, so ``out`` is either complete or absent). Returns the
    metadata. The row counts and the dump come from one snapshot: they agree."""
    if cooperative.is_public:
        raise BackupError("the public schema is not a cooperative")
    schema = cooperative.schema_name
    out = Path(out)
    snap_conn, snapshot = _snapshot_connection()
    try:
        with snap_conn.cursor() as cur:
            meta = _backup_meta_read(cooperative, cur=cur)
        cmd, env = _pg_dump_cmd(schema, snapshot=snapshot)
        _backup_file_write(out=out, meta=meta, cmd=cmd, env=env, what="pg_dump")
    finally:
        snap_conn.close()
    meta["bytes"] = out.stat().st_size
    meta["file"] = str(out)
    log.info("Backed up %s to %s (%s bytes)", schema, out, meta["bytes"])
    return meta


# One entry of `pg_restore --list`: "<id>; <catalog> <oid> <TYPE WORDS> <schema or -> <rest>".
_TOC_ENTRY = re.compile(r"^\d+; \d+ \d+ ((?:[A-Z]+ )+)(\S+) (.*)$")
_TOC_SCHEMA = re.compile(r"^\d+; \d+ \d+ SCHEMA - ")


def _toc_by_schema(archive: Path, schemas: set[str]) -> dict[str, list[str]]:
    """The entries of ``archive``'s table of contents that ``pg_dump --schema=<s>`` would
    have dumped, per schema ``s``: the schema itself and every object in it (the
    archive's order, which is the dependency order, is kept)."""
    proc = subprocess.run(
        [_pg_binary("pg_restore"), "--list", str(archive)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_restore --list failed ({proc.returncode}): {proc.stderr[:2000]}")
    out: dict[str, list[str]] = {s: [] for s in schemas}
    for line in proc.stdout.splitlines():
        if not line or line.startswith(";"):
            continue
        m = _TOC_ENTRY.match(line)
        if m is None:
            raise BackupError(f"unexpected pg_restore --list line: {line[:200]}")
        kind, namespace, rest = m.group(1).strip(), m.group(2), m.group(3)
        if namespace in out:
            out[namespace].append(line)
        elif namespace == "-":
            # the schema's own entry ("SCHEMA - coop_x owner") or a comment on it
            name = rest.split(" ")[1] if rest.startswith("SCHEMA ") else rest.split(" ")[0]
            if kind in ("SCHEMA", "COMMENT") and name in out:
                out[name].append(line)
    return out


STALE_WORK_SECONDS = 6 * 3600  # far beyond a group task's time limit (CELERY_TASK_TIME_LIMIT)


def _stale_work_dirs_remove(base: Path) -> None:
    """Remove the group archives (``.group-*``) a killed run left behind in ``base``: a
    task's hard time limit kills its process before the temporary folder is removed."""
    cutoff = time.time() - STALE_WORK_SECONDS
    for work in base.glob(".group-*"):
        try:
            if work.is_dir() and work.stat().st_mtime < cutoff:
                shutil.rmtree(work, ignore_errors=True)
                log.warning("Removed %s, left by an interrupted group backup", work)
        except OSError:  # another worker removed it first
            continue


@dataclass
class GroupBackupResult:
    done: dict[str, dict] = field(default_factory=dict)  # slug -> metadata (as cooperative_backup)
    failed: dict[str, str] = field(default_factory=dict)  # slug -> error


def cooperatives_backup_group(
    *, cooperatives: list[Cooperative], out_dir: str | Path | None = None
) -> GroupBackupResult:
    """Back up several cooperatives with ONE pg_dump, so the whole database's catalogue
    (which pg_dump reads at start whatever the schema filter) is read once for the group.

    Each cooperative gets its own file ``<out_dir>/<slug>/<slug>-<UTC time>.sql.gz``
    (``out_dir`` defaults to BACKUP_DIR) in exactly the format of ``cooperative_backup``:
    the metadata line, then the plain SQL that ``pg_dump --schema=<schema>`` prints,
    extracted here by ``pg_restore`` from a custom-format archive of the group (no
    database connection). Metadata and archive come from one exported snapshot. Each file
    is complete or absent. A cooperative that fails (its schema gone, its extraction) is
    in ``failed`` and the others are written; if pg_dump itself fails, every cooperative of
    the group is in ``failed``."""
    base = Path(out_dir) if out_dir is not None else backup_dir()
    result = GroupBackupResult()
    todo: list[tuple[Cooperative, dict]] = []
    if not cooperatives:
        return result
    base.mkdir(parents=True, exist_ok=True)
    _stale_work_dirs_remove(base)
    snap_conn, snapshot = _snapshot_connection()
    try:
        with snap_conn.cursor() as cur:
            tables = _tables_by_schema([c.schema_name for c in cooperatives], cur=cur)
            for coop in cooperatives:
                if coop.is_public:
                    result.failed[coop.slug] = "the public schema is not a cooperative"
                    continue
                # Each cooperative in a savepoint rolled back afterwards: its error does
                # not end the snapshot's transaction, and the locks its counts took are
                # released (pg_dump will lock every table of the group already).
                cur.execute("SAVEPOINT coop_meta")
                try:
                    meta = _backup_meta_read(coop, cur=cur, tables=tables[coop.schema_name])
                    todo.append((coop, meta))
                except psycopg2.Error as exc:
                    result.failed[coop.slug] = f"reading its metadata: {exc}".strip()
                finally:
                    cur.execute("ROLLBACK TO SAVEPOINT coop_meta")
        if not todo:
            return result
        with tempfile.TemporaryDirectory(dir=base, prefix=".group-") as work:
            archive = Path(work) / "group.dump"
            cmd, env = _pg_dump_cmd(
                [c.schema_name for c, _ in todo], snapshot=snapshot, archive=archive
            )
            proc = subprocess.run(cmd, env=env, capture_output=True, timeout=3600)
            snap_conn.close()  # pg_dump has finished with the snapshot
            if proc.returncode != 0:
                error = proc.stderr.decode(errors="replace")[:2000]
                for coop, _meta in todo:
                    result.failed[coop.slug] = f"pg_dump failed ({proc.returncode}): {error}"
                return result
            toc = _toc_by_schema(archive, {c.schema_name for c, _ in todo})
            restore = _pg_binary("pg_restore")
            for coop, meta in todo:
                entries = toc[coop.schema_name]
                if not any(_TOC_SCHEMA.match(e) for e in entries):
                    result.failed[coop.slug] = "its schema is not in the dump (deleted?)"
                    continue
                listing = Path(work) / "entries.list"
                listing.write_text("\n".join(entries) + "\n")
                out = backup_path_for(coop, base=base)
                cmd = [
                    restore,
                    "--no-owner",
                    "--no-privileges",
                    "--use-list",
                    str(listing),
                    "--file=-",
                    str(archive),
                ]
                try:
                    _backup_file_write(out=out, meta=meta, cmd=cmd, env=env, what="pg_restore")
                except (BackupError, OSError, subprocess.SubprocessError) as exc:
                    log.exception("Backing up %s in a group failed", coop.schema_name)
                    result.failed[coop.slug] = str(exc)
                    continue
                meta["bytes"] = out.stat().st_size
                meta["file"] = str(out)
                result.done[coop.slug] = meta
    finally:
        snap_conn.close()
    log.info(
        "Backed up %s cooperatives in one pg_dump (%s failed)",
        len(result.done),
        len(result.failed),
    )
    return result


def backup_meta(path: str | Path) -> dict:
    """The metadata line of the backup at ``path``; BackupError when the file is not a
    readable Lumbung backup of this format (not gzip, not UTF-8, a damaged line)."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            first = f.readline()
    except EOFError as exc:  # ends before its first line is whole
        raise _damaged(path, exc) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path}: not a Lumbung cooperative backup ({exc})") from exc
    if not first.startswith(MAGIC):
        raise BackupError(f"{path}: not a Lumbung cooperative backup")
    try:
        meta = json.loads(first[len(MAGIC) :])
    except ValueError as exc:
        raise BackupError(f"{path}: unreadable metadata line ({exc})") from exc
    if not isinstance(meta, dict) or any(k not in meta for k in _META_REQUIRED):
        raise BackupError(f"{path}: unreadable metadata line (missing {_META_REQUIRED})")
    if meta.get("format") != BACKUP_FORMAT:
        raise BackupError(
            f"{path}: backup format {meta.get('format')} is not supported "
            f"(this version reads format {BACKUP_FORMAT})"
        )
    return meta


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


class _Lines:
    """The lines of the backup being restored; remembers a gzip stream that ends early
    or fails its check (``damage``), which psycopg2 otherwise reports only as a failed
    COPY when it happens while a table's rows are being read."""

    def __init__(self, f):
        self._f = f
        self.damage: BaseException | None = None

    def __iter__(self):
        return self

    def __next__(self) -> str:
        try:
            return next(self._f)
        except GZIP_DAMAGE as exc:
            self.damage = exc
            raise


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


def _legal_number_check(meta: dict, *, slug: str, status: str) -> None:
    """A restore beside the cooperative that has the backup's legal number (the original,
    still live) makes a suspended copy only: in trial or active it would be a second
    space and a second bill for one cooperative: refused with a 409 (a conflict with that
    cooperative), as cooperative_create refuses it. Under the lock cooperative_create takes
    for the number (held until the restore commits)."""
    number = str((meta.get("profile") or {}).get("legal_number") or "")
    if status == Cooperative.Status.SUSPENDED or not number.strip():
        return
    try:
        identifier_claim(LEGAL_NUMBER, value=number, slug=slug)
    except ApplicationError as exc:
        holder = identifier_holder(LEGAL_NUMBER, number, slug=slug)
        raise ApplicationError(
            TenantErrors.LEGAL_NUMBER_TAKEN,
            _(
                "Nomor badan hukum %(number)s dipakai koperasi '%(holder)s': salinan yang "
                "dipulihkan di sampingnya hanya boleh ditangguhkan (status suspended)."
            )
            % {"number": number, "holder": holder.slug if holder else "?"},
            status=409,
        ) from exc


def _nik_koperasi_kept(profile: dict, *, slug: str, result: RestoreResult) -> None:
    """The backup's NIK koperasi (as its digits) goes onto the restored cooperative
    unless another cooperative has it (the original, still live): a NIK is one
    cooperative's (the database's unique index), so the copy is restored without it,
    said in the result's warnings. Under the lock sign-up takes for the NIK (held until
    the restore commits)."""
    nik = re.sub(r"[\s.\-]", "", str(profile.get("nik_koperasi") or ""))
    profile["nik_koperasi"] = nik
    if not nik:
        return
    identifier_lock(NIK_KOPERASI, nik)
    holder = identifier_holder(NIK_KOPERASI, nik, slug=slug)
    if holder is not None:
        profile["nik_koperasi"] = ""
        result.warnings.append(
            f"NIK koperasi {nik} belongs to '{holder.slug}': the copy is restored without it"
        )


def cooperative_restore(
    *,
    path: str | Path,
    slug: str,
    status: str = Cooperative.Status.SUSPENDED,
    actor: str = "system",
    of: Cooperative | None = None,
) -> RestoreResult:
    """Restore the backup at ``path`` as a new cooperative ``slug`` (schema
    ``coop_<slug>``), all or nothing (see the module docstring). ``of``: the cooperative
    the restore is for (by default the one whose folder ``BACKUP_DIR/<slug>/`` holds the
    file, if any): a backup of another cooperative (one deleted from the same address) is
    refused."""
    validate_slug(slug)
    meta = backup_meta(path)
    target = of if of is not None else _folder_cooperative(path)
    if target is not None:
        backup_owner_check(meta, cooperative=target)
    old = meta["schema"]
    new = schema_name_for(slug)
    if (
        slug_in_use(slug)  # a cooperative's, or served as a domain
        or slug_held_by_signup(slug)
        or Cooperative.objects.filter(schema_name=new).exists()
    ):
        raise slug_taken_error(slug)
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
            _legal_number_check(meta, slug=slug, status=status)
            with gzip.open(path, "rt", encoding="utf-8") as f:
                f.readline()  # the metadata line
                lines = _Lines(f)
                with connection.cursor() as wrapper:
                    cur = wrapper.cursor  # psycopg2's: COPY and no % interpolation
                    try:
                        for item in _statements(lines, rename):
                            if item[0] == "sql":
                                cur.execute(item[1])
                            else:
                                cur.copy_expert(item[1], io.BufferedReader(_CopyData(item[2])))
                            result.statements += 1
                    except GZIP_DAMAGE as exc:
                        raise _damaged(path, exc) from exc
                    except (DatabaseError, psycopg2.Error) as exc:
                        if lines.damage is not None:  # the file ended inside a COPY
                            raise _damaged(path, lines.damage) from exc
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
            _nik_koperasi_kept(profile, slug=slug, result=result)
            coop = Cooperative(
                slug=slug,
                schema_name=new,
                status=status,
                legal_date=meta.get("legal_date"),
                **{k: v for k, v in profile.items() if k in PROFILE_FIELDS},
            )
            # the backup's sessions and API keys are the original's credentials: none
            # signs anybody in at this new address (the logins stay; new keys are made)
            with schema_context(new):
                credentials = user_credentials_end_all()
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
                    "from_cooperative_id": meta.get("cooperative_id"),
                    "from_schema": old,
                    "backup_created_at": meta.get("created_at"),
                    "tables": len(counts),
                    "rows": sum(counts.values()),
                    **credentials,
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


def backup_path_for(cooperative: Cooperative, *, when=None, base: Path | None = None) -> Path:
    when = when or timezone.now()
    base = backup_dir() if base is None else base
    return base / cooperative.slug / f"{cooperative.slug}-{when:%Y%m%dT%H%M%SZ}.sql.gz"


# ------------------------------------------------------------ whose backup, set aside

DELETED_DIR = "_deleted"  # BACKUP_DIR/_deleted/: no address has an underscore
UNKNOWN_OWNER = "lama"  # a set-aside backup made before backups carried the id
_STAMP = "%Y%m%dT%H%M%SZ"
_SET_ASIDE_NAME = re.compile(
    rf"^(?P<slug>[a-z0-9-]+)-(?P<id>\d+|{UNKNOWN_OWNER})-(?P<at>\d{{8}}T\d{{6}}Z)$"
)


def backup_owner_matches(meta: dict, *, cooperative: Cooperative) -> bool:
    """Whether the backup whose metadata is ``meta`` was made of ``cooperative`` itself,
    not of an earlier cooperative deleted from the same address (same slug, same schema
    name). Its id, and its creation time when recorded (an id given again by a database
    made anew is another cooperative). A backup made before backups carried the
    cooperative's id: its schema, and made after the cooperative was created."""
    if meta.get("cooperative_id") is not None:
        born = parse_datetime(str(meta.get("cooperative_created_at") or ""))
        return meta["cooperative_id"] == cooperative.pk and (
            born is None or born == cooperative.created_at
        )
    made = parse_datetime(str(meta.get("created_at") or ""))
    return (
        meta.get("schema") == cooperative.schema_name
        and made is not None
        and cooperative.created_at is not None
        and made >= cooperative.created_at
    )


def backup_owner_check(meta: dict, *, cooperative: Cooperative) -> None:
    """ApplicationError (nothing restored) when the backup is not ``cooperative``'s."""
    if backup_owner_matches(meta, cooperative=cooperative):
        return
    made = parse_datetime(str(meta.get("created_at") or ""))
    raise ApplicationError(
        TenantErrors.BACKUP_OTHER_COOPERATIVE,
        _(
            "Cadangan ini bukan milik koperasi %(slug)s (id %(id)s): cadangan itu dibuat "
            "%(made)s dari koperasi %(from_slug)s (id %(from_id)s), misalnya koperasi yang "
            "sudah dihapus dan dulu memakai alamat yang sama. Tidak ada yang dipulihkan."
        )
        % {
            "slug": cooperative.slug,
            "id": cooperative.pk,
            "made": f"{made.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if made else "?",
            "from_slug": meta.get("slug") or meta.get("schema"),
            "from_id": meta.get("cooperative_id") or "?",
        },
    )


def _folder_cooperative(path: str | Path) -> Cooperative | None:
    """The cooperative whose scheduled-backup folder (``BACKUP_DIR/<slug>/``) holds
    ``path``, if any."""
    if not settings.BACKUP_DIR:
        return None
    where = Path(path).resolve().parent
    if where.parent != backup_dir().resolve():
        return None
    return Cooperative.objects.filter(slug=where.name, is_practice=False).first()


@dataclass
class FolderScan:
    own: list[Path] = field(default_factory=list)  # the cooperative's, newest first
    foreign: list[tuple[Path, dict]] = field(default_factory=list)  # another's, its metadata
    unreadable: list[Path] = field(default_factory=list)  # damaged, or a newer format


def _folder_scan(cooperative: Cooperative) -> FolderScan:
    """The backups in ``cooperative``'s folder, sorted by whose they are (each file's
    metadata line read)."""
    folder = backup_dir() / cooperative.slug
    scan = FolderScan()
    if not folder.is_dir():
        return scan
    for path in sorted(folder.glob(f"{cooperative.slug}-*.sql.gz"), reverse=True):
        try:
            meta = backup_meta(path)
        except BackupError:
            scan.unreadable.append(path)
            continue
        if backup_owner_matches(meta, cooperative=cooperative):
            scan.own.append(path)
        else:
            scan.foreign.append((path, meta))
    return scan


def backups_of(*, cooperative: Cooperative) -> list[Path]:
    """``cooperative``'s readable backups in BACKUP_DIR, newest first (never those of a
    cooperative deleted from the same address)."""
    return _folder_scan(cooperative).own


def _set_aside_dir(*, slug: str, owner: int | None, when: datetime) -> Path:
    return backup_dir() / DELETED_DIR / f"{slug}-{owner or UNKNOWN_OWNER}-{when:{_STAMP}}"


def _set_aside_log(*, slug: str, owner: int | None, dest: Path, files: list[str], why: str) -> None:
    log.warning("Set the backups of %s (cooperative %s) aside to %s: %s", slug, owner, dest, why)
    connection.set_schema_to_public()
    audit_log(
        actor="system",
        action=TenantAudit.BACKUPS_SET_ASIDE,
        data={
            "slug": slug,
            "cooperative_id": owner,
            "folder": f"{DELETED_DIR}/{dest.name}",
            "files": files,
            "why": why,
        },
    )


def _files_move(files: list[Path], dest: Path) -> list[str]:
    dest.mkdir(parents=True, exist_ok=True)
    for path in files:
        os.replace(path, dest / path.name)
    return sorted(p.name for p in files)


def cooperative_backups_set_aside(*, cooperative: Cooperative, actor) -> Path | None:
    """Move the backup folder of ``cooperative`` (deleted: run when its deletion has
    committed) to ``BACKUP_DIR/_deleted/<slug>-<id>-<UTC time>/``, kept there for
    BACKUP_DELETED_KEEP_DAYS (``backups_deleted_remove``); its address's folder is then
    free for a new cooperative signed up at the same address. Audited
    (``cooperative.backups_set_aside``). None when it had no backups."""
    if not settings.BACKUP_DIR:
        return None
    folder = backup_dir() / cooperative.slug
    if not folder.is_dir():
        return None
    dest = _set_aside_dir(slug=cooperative.slug, owner=cooperative.pk, when=timezone.now())
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():  # set aside twice in one second: add the files
        files = _files_move(sorted(folder.glob("*.sql.gz")), dest)
        shutil.rmtree(folder, ignore_errors=True)
    else:
        os.replace(folder, dest)  # one rename, same volume
        files = sorted(p.name for p in dest.glob("*.sql.gz"))
    connection.set_schema_to_public()
    audit_log(
        actor=actor,
        action=TenantAudit.BACKUPS_SET_ASIDE,
        target=cooperative,
        data={
            "slug": cooperative.slug,
            "cooperative_id": cooperative.pk,
            "folder": f"{DELETED_DIR}/{dest.name}",
            "files": files,
            "why": "deleted",
        },
    )
    log.info("Set the backups of deleted %s aside to %s", cooperative.slug, dest)
    return dest


def _foreign_set_aside(*, cooperative: Cooperative, foreign: list[tuple[Path, dict]]) -> None:
    """Set aside the backups of other cooperatives found in ``cooperative``'s folder
    (left by one deleted from its address before deletions set them aside), by owner."""
    now = timezone.now()
    owners: dict[int | None, list[Path]] = {}
    for path, meta in foreign:
        owner = meta.get("cooperative_id")
        owners.setdefault(owner if isinstance(owner, int) else None, []).append(path)
    for owner, paths in owners.items():
        dest = _set_aside_dir(slug=cooperative.slug, owner=owner, when=now)
        files = _files_move(paths, dest)
        _set_aside_log(
            slug=cooperative.slug,
            owner=owner,
            dest=dest,
            files=files,
            why=f"found in the folder of cooperative {cooperative.pk}",
        )


def backups_prune(*, cooperative: Cooperative, keep: int | None = None) -> list[Path]:
    """Delete all but the newest ``keep`` (BACKUP_KEEP) backups of ``cooperative``. An
    unreadable file in its folder counts as its own (by its name's time); another
    cooperative's backup (one deleted from the same address) is never counted nor
    deleted: it is set aside (``BACKUP_DIR/_deleted/``)."""
    keep = settings.BACKUP_KEEP if keep is None else keep
    scan = _folder_scan(cooperative)
    if scan.foreign:
        _foreign_set_aside(cooperative=cooperative, foreign=scan.foreign)
    if keep < 1:
        return []
    files = sorted([*scan.own, *scan.unreadable], reverse=True)  # names sort by time
    gone = files[keep:]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


def backups_deleted_remove(*, now: datetime | None = None) -> list[str]:
    """Daily: remove the set-aside folders (``BACKUP_DIR/_deleted/<slug>-<id>-<UTC
    time>/``) older than BACKUP_DELETED_KEEP_DAYS, each audited
    (``cooperative.backups_removed``); returns their names. A folder in ``_deleted/`` not
    named so is left alone (logged). A folder of an address no cooperative holds is never
    touched here: a database restored from an older copy may not know a cooperative yet
    whose backups are the very ones to restore it from."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=max(0, settings.BACKUP_DELETED_KEEP_DAYS))
    removed = []
    aside = backup_dir() / DELETED_DIR
    for folder in sorted(aside.iterdir()) if aside.is_dir() else []:
        m = _SET_ASIDE_NAME.match(folder.name)
        if m is None or not folder.is_dir():
            log.warning("%s is not a set-aside backup folder: left alone", folder)
            continue
        at = datetime.strptime(m["at"], _STAMP).replace(tzinfo=UTC)
        if at > cutoff:
            continue
        files = sorted(p.name for p in folder.rglob("*") if p.is_file())
        shutil.rmtree(folder)
        connection.set_schema_to_public()
        audit_log(
            actor="system",
            action=TenantAudit.BACKUPS_REMOVED,
            data={
                "slug": m["slug"],
                "cooperative_id": int(m["id"]) if m["id"].isdigit() else None,
                "folder": f"{DELETED_DIR}/{folder.name}",
                "set_aside_at": at.isoformat(),
                "files": files,
                "keep_days": settings.BACKUP_DELETED_KEEP_DAYS,
            },
        )
        log.info("Removed %s, set aside %s", folder, at)
        removed.append(folder.name)
    return removed


def cooperative_backup_scheduled(*, cooperative: Cooperative) -> dict:
    """One scheduled backup: written, then the older ones beyond BACKUP_KEEP pruned."""
    meta = cooperative_backup(cooperative=cooperative, out=backup_path_for(cooperative))
    meta["pruned"] = [p.name for p in backups_prune(cooperative=cooperative)]
    return meta


def cooperatives_backup_group_scheduled(*, cooperatives: list[Cooperative]) -> GroupBackupResult:
    """Scheduled backups of a group (one pg_dump), each written cooperative's older
    backups beyond BACKUP_KEEP pruned."""
    result = cooperatives_backup_group(cooperatives=cooperatives)
    by_slug = {c.slug: c for c in cooperatives}
    for slug, meta in result.done.items():
        meta["pruned"] = [p.name for p in backups_prune(cooperative=by_slug[slug])]
    return result
