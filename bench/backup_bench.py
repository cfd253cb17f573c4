#!/usr/bin/env python
"""Daily cooperative backups: one pg_dump per cooperative vs one per group.

    BENCH_DB=lumbung_bench_scale .venv/bin/python bench/backup_bench.py [--groups 25,50]
                                                                        [--no-docs]

READ-ONLY on an existing database made by another benchmark (``BENCH_DB``, default
``lumbung_bench_scale``, made by bench/scale_bench.py): it writes nothing to it, only
backup files into a temporary folder, deleted at the end. It runs 1 + len(--groups)
pg_dumps, no more (the database may be another benchmark's, being measured).

Measured, with the live cooperatives in pk order:

- ``cooperative_backup`` of the first one (the single path: one ``pg_dump --schema``,
  which reads the whole catalogue);
- ``cooperatives_backup_group`` of the first K for each K in --groups: total seconds,
  split into the metadata (row counts, migrations, in the snapshot), the one pg_dump of
  the group (custom format), and the extraction of every cooperative's file (pg_restore
  + gzip); seconds per cooperative; whether the first cooperative's file from the group
  holds the same SQL as its single dump (it differs if its rows changed in between).

A group's pg_dump locks every table of the group in one transaction (66 per
cooperative): K x 66 must fit in the server's lock table (max_locks_per_transaction x
max_connections, 6,400 with PostgreSQL's defaults, shared with every other session).

Writes its section of docs/benchmarks.md with ``uptime`` (not with --no-docs).
"""

from __future__ import annotations

import argparse
import gzip
import re
import subprocess
import tempfile
import time
from pathlib import Path

from _common import django_setup, write_docs_section

DB = django_setup("lumbung_bench_scale")

from django.conf import settings
from django.db import connection

import tenants.backup as backup
from tenants.backup import LIVE_STATUSES, cooperative_backup, cooperatives_backup_group
from tenants.models import Cooperative

_RESTRICT = re.compile(rb"^\\(un)?restrict \S+$", re.MULTILINE)


def _sql(path) -> bytes:
    """A backup file's SQL after its metadata line, psql's random restrict key blanked."""
    with gzip.open(path, "rb") as f:
        f.readline()
        return _RESTRICT.sub(rb"\\\1restrict KEY", f.read())


def _phases(run):
    """Run ``run()`` and return (seconds, metadata s, pg_dump s, extraction s, result)."""
    marks: dict[str, float] = {}
    real_cmd, real_toc = backup._pg_dump_cmd, backup._toc_by_schema

    def cmd(*args, **kwargs):
        marks.setdefault("dump", time.perf_counter())
        return real_cmd(*args, **kwargs)

    def toc(*args, **kwargs):
        marks.setdefault("extract", time.perf_counter())
        return real_toc(*args, **kwargs)

    backup._pg_dump_cmd, backup._toc_by_schema = cmd, toc
    try:
        t0 = time.perf_counter()
        result = run()
        t1 = time.perf_counter()
    finally:
        backup._pg_dump_cmd, backup._toc_by_schema = real_cmd, real_toc
    dump, extract = marks.get("dump", t1), marks.get("extract", t1)
    return t1 - t0, dump - t0, extract - dump, t1 - extract, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--groups", default="25,50", help="group sizes, comma-separated")
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    sizes = [int(x) for x in args.groups.split(",") if x]

    coops = list(
        Cooperative.objects.filter(status__in=LIVE_STATUSES)
        .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .order_by("pk")
    )
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_class")
        pg_class = cur.fetchone()[0]
        cur.execute("SHOW max_locks_per_transaction")
        max_locks = cur.fetchone()[0]
    print(f"{DB}: {len(coops)} cooperatives, {pg_class:,} pg_class rows")
    rows = []
    with tempfile.TemporaryDirectory(prefix="lumbung-backup-bench-") as tmp:
        t0 = time.perf_counter()
        single = cooperative_backup(cooperative=coops[0], out=Path(tmp) / "single.sql.gz")
        single_s = time.perf_counter() - t0
        print(f"single: {single_s:.2f} s, {single['bytes']:,} bytes")
        for k in sizes:
            group = coops[:k]
            total, meta_s, dump_s, extract_s, result = _phases(
                lambda group=group, k=k: cooperatives_backup_group(
                    cooperatives=group, out_dir=Path(tmp) / f"g{k}"
                )
            )
            if result.failed:
                raise SystemExit(f"group of {k}: {len(result.failed)} failed: {result.failed}")
            size = sum(m["bytes"] for m in result.done.values())
            same = _sql(result.done[coops[0].slug]["file"]) == _sql(single["file"])
            row = (len(group), total, meta_s, dump_s, extract_s, total / len(group), size)
            rows.append(row)
            print(
                f"group of {len(group)}: {total:.2f} s (metadata {meta_s:.2f}, pg_dump "
                f"{dump_s:.2f}, extraction {extract_s:.2f}), {total / len(group):.2f} s each, "
                f"{size / len(group) / 1024:.0f} KB per file; {coops[0].slug}'s SQL "
                f"{'equals' if same else 'DIFFERS FROM'} the single dump's"
            )
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    print(uptime)
    if args.no_docs:
        return
    table = "\n".join(
        f"| group of {n} | {total:.2f} s | {meta_s:.2f} s | {dump_s:.2f} s | {extract_s:.2f} s "
        f"| **{each:.2f} s** |"
        for n, total, meta_s, dump_s, extract_s, each, _size in rows
    )
    write_docs_section(
        "## Backups: one pg_dump per group of cooperatives",
        f"""## Backups: one pg_dump per group of cooperatives

`BENCH_DB={DB} bench/backup_bench.py --groups {args.groups}` (read-only) on {len(coops)}
cooperatives ({pg_class:,} `pg_class` rows, `max_locks_per_transaction` {max_locks}).
`cooperative_backup` (one `pg_dump --schema`) of one cooperative: **{single_s:.2f} s**
({single["bytes"] / 1024:.0f} KB). `cooperatives_backup_group` (one `pg_dump
--format=custom` of the group, then each cooperative's file by `pg_restore` + gzip):

| run | total | metadata | pg_dump | extraction | per cooperative |
|---|---:|---:|---:|---:|---:|
{table}

`{uptime}`
""",
    )


if __name__ == "__main__":
    main()
