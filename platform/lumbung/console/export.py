"""Export a cooperative's data: a zip with one CSV per table of its schema (PostgreSQL
COPY written straight into the zip member, so a large table streams through and is never
held in memory; the tables and their columns come from one catalog read), a
``pg_dump --schema`` dump when pg_dump is on the PATH (otherwise the README says it is
missing), and a README describing the export.

Every file comes from ONE snapshot (a repeatable-read connection of its own, whose
exported snapshot pg_dump uses too): a write committed while the export runs is in none
of them, so the CSVs, the README's counts and the dump describe the same moment.

The CSVs are meant to be opened in a spreadsheet: a text cell that starts like a formula
(``= + - @``, tab, CR; see ``core.common.exports``) gets a leading apostrophe, as in every
other export; numbers, dates and NULLs are written as they are. The dump keeps the text
exactly as stored."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit.services import audit_log
from lumbung.console.audit import ConsoleAudit
from tenants.backup import _snapshot_connection
from tenants.models import Cooperative
from tenants.schema_template import qi

from .services import _reason, _require

COPY_BUFFER = 1024 * 1024  # bytes handed to the zip compressor at a time

# Column types written as text (and so defused): text, varchar, char, and domains over them.
TEXT_TYPES = ("text", "varchar", "bpchar")


def schema_columns(schema: str, *, cur) -> dict[str, list[tuple[str, bool]]]:
    """Every table of ``schema`` (as information_schema's BASE TABLEs: ordinary and
    partitioned) with its columns in order, each as ``(name, is_text)``, in ONE catalog
    read, however many tables the schema holds."""
    cur.execute(
        "SELECT c.relname, a.attname, COALESCE(bt.typname, t.typname) = ANY(%s)"
        "  FROM pg_class c"
        "  JOIN pg_namespace n ON n.oid = c.relnamespace"
        "  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        "  JOIN pg_type t ON t.oid = a.atttypid"
        "  LEFT JOIN pg_type bt ON t.typtype = 'd' AND bt.oid = t.typbasetype"
        " WHERE n.nspname = %s AND c.relkind IN ('r', 'p')"
        " ORDER BY c.relname, a.attnum",
        [list(TEXT_TYPES), schema],
    )
    out: dict[str, list[tuple[str, bool]]] = {}
    for table, column, is_text in cur.fetchall():
        out.setdefault(table, []).append((column, is_text))
    return out


def _copy_query(schema: str, table: str, columns: list[tuple[str, bool]]) -> str:
    """The SELECT that COPY writes for ``table``: every column in order, text columns
    whose value starts with a formula trigger prefixed with an apostrophe."""
    out = []
    for name, is_text in columns:
        col = qi(name)
        if is_text:
            col = f"CASE WHEN {col} ~ E'^[-=+@\\t\\r]' THEN '''' || {col} ELSE {col} END AS {col}"
        out.append(col)
    return f"SELECT {', '.join(out)} FROM {qi(schema)}.{qi(table)}"


def _pg_dump(schema: str, target: str, *, snapshot: str | None = None) -> str | None:
    """Dump the schema into ``target``; returns an explanation when it could not."""
    binary = shutil.which(settings.PG_DUMP)
    if binary is None:
        return "pg_dump tidak tersedia di server ini; dump skema tidak disertakan."
    db = settings.DATABASES["default"]
    env = os.environ | {"PGPASSWORD": str(db.get("PASSWORD") or "")}
    cmd = [
        binary,
        "--schema",
        schema,
        "--no-owner",
        "--no-privileges",
        "--lock-wait-timeout=10s",
        *(["--snapshot", snapshot] if snapshot else []),
        "--file",
        target,
        "--host",
        str(db.get("HOST") or "localhost"),
        "--port",
        str(db.get("PORT") or 5432),
        "--username",
        str(db.get("USER") or "postgres"),
        str(db["NAME"]),
    ]
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"pg_dump gagal: {exc}"
    if done.returncode != 0:
        return f"pg_dump gagal (kode {done.returncode}): {done.stderr.strip()[:2000]}"
    return None


def tenant_export_build(
    *, cooperative: Cooperative, dump: bool = True
) -> tempfile.SpooledTemporaryFile:
    """The export zip (a temporary file, positioned at 0)."""
    schema = cooperative.schema_name
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 (returned)
    counts = {}
    snap_conn, snapshot = _snapshot_connection()
    try:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            with snap_conn.cursor() as cur:
                for table, columns in schema_columns(schema, cur=cur).items():
                    # copy_expert writes the COPY output, row by row, straight into the
                    # zip member (compressed as it goes, 1 MB at a time): no table is
                    # held in memory.
                    member = zf.open(f"csv/{table}.csv", "w", force_zip64=True)
                    with io.BufferedWriter(member, buffer_size=COPY_BUFFER) as member:
                        cur.copy_expert(
                            f"COPY ({_copy_query(schema, table, columns)}) "
                            "TO STDOUT WITH (FORMAT csv, HEADER true)",
                            member,
                        )
                    counts[table] = cur.rowcount  # the rows COPY wrote ("COPY n")
            dump_note = "Dump skema tidak diminta."
            if dump:
                with tempfile.TemporaryDirectory() as tmp:
                    target = os.path.join(tmp, f"{schema}.sql")
                    problem = _pg_dump(schema, target, snapshot=snapshot)
                    if problem is None:
                        zf.write(target, f"{schema}.sql")
                        dump_note = f"{schema}.sql: pg_dump --schema {schema} (format teks SQL)."
                    else:
                        dump_note = problem
            readme = [
                f"Ekspor data koperasi {cooperative.name} ({cooperative.slug})",
                f"Skema: {schema}",
                f"Dibuat: {timezone.now().isoformat()}",
                "",
                "csv/<tabel>.csv: satu berkas CSV (UTF-8, dengan baris judul) per tabel.",
                "Teks yang diawali = + - @ (rumus lembar kerja) diberi awalan ' agar "
                "tetap teks; angka ditulis apa adanya. Dump SQL berisi teks asli.",
                dump_note,
                "",
                "Jumlah baris per tabel:",
                *[f"  {t}: {n}" for t, n in counts.items()],
            ]
            zf.writestr("README.txt", "\n".join(readme) + "\n")
    finally:
        snap_conn.close()
    out.seek(0)
    return out


@transaction.atomic
def tenant_export(*, operator, cooperative: Cooperative, reason: str, dump: bool = True):
    """Audited export (public schema) — returns the zip file."""
    _require(operator, "export")
    reason = _reason(reason)
    audit_log(
        actor=operator,
        action=ConsoleAudit.CONSOLE_TENANT_EXPORTED,
        target=cooperative,
        reason=reason,
        data={"pg_dump": bool(dump and shutil.which(settings.PG_DUMP))},
    )
    return tenant_export_build(cooperative=cooperative, dump=dump)
