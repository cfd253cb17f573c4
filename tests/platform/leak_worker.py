"""One process of the tenancy leak test (tests/platform/test_pool_transaction_mode.py).

Run as ``python -m tests.platform.leak_worker SCHEMA_A SCHEMA_B --threads N --ops N`` with
DATABASE_URL pointing at PgBouncer and DB_POOL_MODE set. Each thread plays a web worker
that serves requests of both cooperatives in turn over one kept connection: it switches
the connection's tenant, then reads and writes through the ORM, raw cursors, COPY,
iterator() and atomic blocks, and checks that every row read belongs to the cooperative
it asked for. Prints one JSON line: statements sent and leaks seen.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import threading

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lumbung.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402

from core.audit.models import AuditEvent  # noqa: E402

MARKER = "leakprobe.marker"
WRITE = "leakprobe.write"


def _marker_schemas() -> list[str]:
    return [
        d["schema"] for d in AuditEvent.objects.filter(action=MARKER).values_list("data", flat=True)
    ]


def _op(kind: int, schema: str) -> tuple[int, int]:
    """Run one operation as `schema`; returns (statements, leaks)."""
    leaks = 0
    if kind == 0:  # ORM read, autocommit
        leaks += _marker_schemas() != [schema]
        return 1, leaks
    if kind == 1:  # raw cursor, autocommit
        with connection.cursor() as cur:
            cur.execute("SELECT current_schema()")
            leaks += cur.fetchone()[0] != schema
        return 1, leaks
    if kind == 2:  # ORM write, autocommit
        AuditEvent.objects.create(action=WRITE, data={"schema": schema})
        return 1, leaks
    if kind == 3:  # a transaction: read, write, read
        with transaction.atomic():
            leaks += _marker_schemas() != [schema]
            AuditEvent.objects.create(action=WRITE, data={"schema": schema})
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT data->>'schema' FROM audit_auditevent WHERE action = %s", [MARKER]
                )
                leaks += [r[0] for r in cur.fetchall()] != [schema]
        return 5, leaks  # BEGIN, SET LOCAL, 3 statements (COMMIT not counted)
    if kind == 4:  # COPY out, autocommit
        with connection.cursor() as cur:
            buf = io.StringIO()
            cur.cursor.copy_expert(
                f"COPY (SELECT data->>'schema' FROM audit_auditevent WHERE action = '{MARKER}') TO STDOUT",
                buf,
            )
            leaks += buf.getvalue().split() != [schema]
        return 1, leaks
    # kind 5: iterator() (a server-side cursor unless disabled)
    rows = [
        d["schema"]
        for d in AuditEvent.objects.filter(action=MARKER).values_list("data", flat=True).iterator()
    ]
    leaks += rows != [schema]
    return 1, leaks


def _thread(schemas: list[str], ops: int, seed: int, out: list) -> None:
    rnd = random.Random(seed)
    statements = leaks = errors = 0
    try:
        for _ in range(ops):
            schema = rnd.choice(schemas)
            connection.set_schema(schema)
            try:
                s, lk = _op(rnd.randrange(6), schema)
            except Exception as exc:
                if os.environ.get("LEAK_WORKER_DEBUG"):
                    sys.stderr.write(f"error: {exc!r}"[:300] + "\n")
                # A statement that ran under another cooperative's path may fail outright
                # (e.g. a table missing there): that too is a leak of the path.
                errors += 1
                s, lk = 1, 1
                connection.close()
            statements += s
            leaks += lk
    finally:
        connection.close()
    out.append((statements, leaks, errors))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("schemas", nargs="+")
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--ops", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    out: list = []
    threads = [
        threading.Thread(target=_thread, args=(args.schemas, args.ops, args.seed * 100 + i, out))
        for i in range(args.threads)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sys.stdout.write(
        json.dumps(
            {
                "statements": sum(o[0] for o in out),
                "leaks": sum(o[1] for o in out),
                "errors": sum(o[2] for o in out),
                "mode": connection.settings_dict.get("POOL_MODE"),
            }
        )
    )


if __name__ == "__main__":
    main()
