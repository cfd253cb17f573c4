"""What every benchmark in bench/ shares: its own database on the developer's server,
percentiles, and replacing its own section of docs/benchmarks.md.

Benchmarks run as scripts (`.venv/bin/python bench/<name>.py`), so this folder is on
sys.path and they import this module as `_common`."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"


def server_url() -> str:
    """$DATABASE_URL without its database name (default: the server on 127.0.0.1)."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/lumbung")
    return base.rsplit("/", 1)[0]


def _admin_connection():
    import psycopg2

    conn = psycopg2.connect(f"{server_url()}/postgres")
    conn.autocommit = True
    return conn


def ensure_database(name: str) -> bool:
    """Create the database if missing; True when it was created."""
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cur.fetchone() is not None
        if not exists:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return not exists


def recreate_database(name: str) -> None:
    """Drop (ending its sessions) and create the database."""
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def write_docs_section(section: str, text: str) -> None:
    """Replace the section headed ``section`` in docs/benchmarks.md with ``text`` (which
    starts with that heading), or append it; other sections are left as they are."""
    current = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n"
    start = current.find(section)
    if start == -1:
        new = current.rstrip("\n") + "\n\n" + text
    else:
        nxt = current.find("\n## ", start + len(section))
        new = current[:start] + text + ("\n" + current[nxt + 1 :] if nxt != -1 else "")
    DOCS.write_text(new)
    print(f"wrote {DOCS.relative_to(ROOT)}")
