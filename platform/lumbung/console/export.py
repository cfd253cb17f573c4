"""Export a cooperative's data: a zip with one CSV per table of its schema (PostgreSQL
COPY, so large tables stream), a ``pg_dump --schema`` dump when pg_dump is on the PATH
(otherwise the README says it is missing), and a README describing the export.

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
from django.db import connection, transaction
from django.utils import timezone

from core.audit.services import audit_log
from lumbung.console.audit import ConsoleAudit
from tenants.backup import _snapshot_connection
from tenants.models import Cooperative
from tenants.schema_template import qi

from .services import _reason, _require


def schema_tables(schema: str, *, cur=None) -> list[str]:
    if cur is None:
        with connection.cursor() as django_cur:
            return schema_tables(schema, cur=django_cur)
    cur.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
        [schema],
    )
    return [r[0] for r in cur.fetchall()]


TEXT_TYPES = ("text", "character varying", "character")


def _copy_query(schema: str, table: str, *, cur) -> str:
    """The SELECT that COPY writes for ``table``: every column in order, text columns
    whose value starts with a formula trigger prefixed with an apostrophe."""
    cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        [schema, table],
    )
    columns = []
    for name, data_type in cur.fetchall():
        col = qi(name)
        if data_type in TEXT_TYPES:
            col = f"CASE WHEN {col} ~ E'^[-=+@\\t\\r]' THEN '''' || {col} ELSE {col} END AS {col}"
        columns.append(col)
    return f"SELECT {', '.join(columns)} FROM {qi(schema)}.{qi(table)}"


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
                for table in schema_tables(schema, cur=cur):
                    buf = io.BytesIO()
                    # psycopg2's copy_expert writes the COPY output into buf.
                    cur.copy_expert(
                        f"COPY ({_copy_query(schema, table, cur=cur)}) "
                        "TO STDOUT WITH (FORMAT csv, HEADER true)",
                        buf,
                    )
                    zf.writestr(f"csv/{table}.csv", buf.getvalue())
                    cur.execute(f"SELECT count(*) FROM {qi(schema)}.{qi(table)}")
                    counts[table] = cur.fetchone()[0]
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
