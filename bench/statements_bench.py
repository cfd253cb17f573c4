#!/usr/bin/env python
"""The six financial statements at 1,000,000 journal lines: each ≤ 100 ms, HTML and API.

    .venv/bin/python bench/statements_bench.py [--lines 1000000] [--samples 7] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_statements``, dropped and
re-created; the server is that of $DATABASE_URL, else 127.0.0.1:5432). It creates one
cooperative the normal way (chart of accounts seeded), then writes about two years of
postings with set-based SQL (``INSERT … SELECT … FROM generate_series``), one transaction
per month, *through the ledger's own tables and triggers* (per-month balances, the
deferred balance check at commit, periods, immutability). Mix per ten entries: four
deposits, two withdrawals, three loan instalments (three lines), one expense (about 2.3
lines an entry), plus an opening-balance entry.

Then it proves the balances table equals the lines (``balances_check``) and times, for
the year to date (compared with the previous year), median (p50) and max of
``--samples`` runs after one warm-up, each through Django's test client:

- neraca (balance sheet), neraca saldo (trial balance), laporan perhitungan hasil usaha
  (income statement), perubahan ekuitas (equity changes), arus kas (cash flow), buku
  besar of Kas (general ledger, last page) — HTML page and JSON API;
- the journal list (first page), HTML and API.

Writes its section of docs/benchmarks.md. ``load`` and ``measure`` are also run by
tests/ledger/test_statements_bench_smoke.py with a few hundred lines so this never rots.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as _platform
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from _common import django_setup, recreate_database, write_docs_section

DB = django_setup(
    "lumbung_bench_statements",
    env={"DJANGO_SETTINGS_MODULE": "lumbung.settings", "DJANGO_DEBUG": "false"},
)

from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from core.ledger import reports
from core.ledger.models import Account, AccountBalance, FiscalYear, Period
from core.ledger.selectors import balances_check
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post, period_close
from core.users.models import User
from tenants.models import Cooperative
from tenants.services import cooperative_create, public_tenant_ensure, tenant_host

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Ledger: the six statements at 1,000,000 journal lines"
TARGET_MS = 100
LINES_PER_10_ENTRIES = 23

ENTRIES_SQL = """
INSERT INTO ledger_journalentry
       (id, fiscal_year, number, date, description, source, source_ref, status)
SELECT %(id0)s + g, %(year)s, %(num0)s + g + 1, %(first)s::date + (g %% %(days)s),
       'Transaksi bench', 'other', '', 'posted'
  FROM generate_series(0, %(n)s - 1) g
"""

# per ten entries (by number): 0-3 deposit, 4-5 withdrawal, 6-8 loan instalment, 9 expense
LINES_SQL = """
WITH e AS (
  SELECT id, date, number %% 10 AS k, ((number * 7919) %% 2000 + 10) * 1000 AS amt,
         (number %% %(members)s) + 1 AS m
    FROM ledger_journalentry WHERE id >= %(id0)s AND id < %(id0)s + %(n)s
)
INSERT INTO ledger_journalline (entry_id, account_id, date, debit, credit, member_id, memo)
SELECT id, %(kas)s, date, amt, 0, NULL, '' FROM e WHERE k < 4
UNION ALL SELECT id, %(sukarela)s, date, 0, amt, m, '' FROM e WHERE k < 4
UNION ALL SELECT id, %(sukarela)s, date, amt / 2, 0, m, '' FROM e WHERE k IN (4, 5)
UNION ALL SELECT id, %(kas)s, date, 0, amt / 2, NULL, '' FROM e WHERE k IN (4, 5)
UNION ALL SELECT id, %(kas)s, date, amt + amt / 10, 0, NULL, '' FROM e WHERE k BETWEEN 6 AND 8
UNION ALL SELECT id, %(loans)s, date, 0, amt, m, '' FROM e WHERE k BETWEEN 6 AND 8
UNION ALL SELECT id, %(jasa)s, date, 0, amt / 10, m, '' FROM e WHERE k BETWEEN 6 AND 8
UNION ALL SELECT id, %(expense)s, date, amt / 4, 0, NULL, '' FROM e WHERE k = 9
UNION ALL SELECT id, %(bank)s, date, 0, amt / 4, NULL, '' FROM e WHERE k = 9
"""


def _months(start: date, end: date):
    d = start.replace(day=1)
    while d <= end:
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        yield d, min(nxt - timedelta(days=1), end)
        d = nxt


def load(*, total_lines: int, today: date, members: int = 5000, atomic_months: bool = True):
    """About ``total_lines`` journal lines from 1 January last year to ``today``, one
    transaction per month (``atomic_months=False`` inside a caller's transaction, as in
    tests). Returns {"lines", "entries", "load_s", "months"}."""
    start = date(today.year - 1, 1, 1)
    for y in (start.year, today.year):
        fiscal_year_ensure(year=y)
    acc = {a.code: a.pk for a in Account.objects.filter(is_group=False)}
    t0 = time.perf_counter()
    journal_post(
        on=start,
        description="Saldo awal",
        source="opening",
        source_ref="bench-statements",
        by="bench",
        lines=[
            LineSpec("1101", debit=Decimal("900000000")),
            LineSpec("1102", debit=Decimal("4100000000")),
            LineSpec("1103", debit=Decimal("20000000000")),
            LineSpec("3106", credit=Decimal("25000000000")),
        ],
    )
    months = list(_months(start, today))
    per_month = max(1, (total_lines - 4) * 10 // LINES_PER_10_ENTRIES // len(months))
    ids = {
        "kas": acc["1101"],
        "bank": acc["1102"],
        "loans": acc["1103"],
        "sukarela": acc["2101"],
        "jasa": acc["4101"],
        "expense": acc["5301"],
        "members": members,
    }
    for first, last in months:
        ctx = transaction.atomic() if atomic_months else _nothing()
        with ctx, connection.cursor() as cur:
            fy = FiscalYear.objects.select_for_update().get(year=first.year)
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('ledger_journalentry', 'id'))"
                " FROM generate_series(1, %s)",
                [per_month],
            )
            got = [r[0] for r in cur.fetchall()]
            id0 = min(got)
            if max(got) - id0 + 1 != per_month:  # a concurrent caller took some: skip on
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence('ledger_journalentry', 'id'), %s)",
                    [max(got) + per_month],
                )
                id0 = max(got) + 1
            params = {
                "id0": id0,
                "year": first.year,
                "num0": fy.last_number,
                "first": first,
                "days": (last - first).days + 1,
                "n": per_month,
            }
            cur.execute(ENTRIES_SQL, params)
            cur.execute(LINES_SQL, params | ids)
            FiscalYear.objects.filter(pk=fy.pk).update(last_number=fy.last_number + per_month)
    load_s = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT entry_id) FROM ledger_journalline"
            " WHERE date >= %s AND date <= %s",
            [start, today],
        )
        lines, entries = cur.fetchone()
    return {"lines": lines, "entries": entries, "load_s": load_s, "months": len(months)}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _vacuum() -> None:
    with connection.cursor() as cur:  # what autovacuum does after a bulk load
        for t in ("ledger_journalline", "ledger_journalentry", "ledger_accountbalance"):
            cur.execute(f"VACUUM ANALYZE {t}")


def statement_urls(*, today: date, cash_id: int, pages: int) -> dict[str, str]:
    """What is timed: name → URL (HTML under /buku-besar/, JSON under /api/v1/ledger/)."""
    q = f"date_from={date(today.year, 1, 1).isoformat()}&date_to={today.isoformat()}"
    html = "/buku-besar/laporan/{}/?" + q
    api = "/api/v1/ledger/reports/{}/?" + q
    return {
        # no statement: what any page costs here (session, middleware, base template)
        "baseline: reports index page (no statement)": "/buku-besar/laporan/",
        "neraca (balance sheet) HTML": html.format("neraca"),
        "neraca (balance sheet) API": api.format("balance-sheet"),
        "neraca saldo (trial balance) HTML": html.format("neraca-saldo"),
        "neraca saldo (trial balance) API": api.format("trial-balance"),
        "PHU (income statement) HTML": html.format("phu"),
        "PHU (income statement) API": api.format("income-statement"),
        "perubahan ekuitas HTML": html.format("perubahan-ekuitas"),
        "perubahan ekuitas API": api.format("equity-changes"),
        "arus kas (cash flow) HTML": html.format("arus-kas"),
        "arus kas (cash flow) API": api.format("cash-flow"),
        "buku besar Kas, last page HTML": f"/buku-besar/akun/{cash_id}/buku-besar/?{q}"
        f"&page={pages}",
        "buku besar Kas, last page API": f"/api/v1/ledger/reports/general-ledger/{cash_id}/"
        f"?{q}&page={pages}",
        "jurnal (journal list) HTML": "/buku-besar/jurnal/",
        "jurnal (journal list) API": "/api/v1/ledger/entries/",
    }


def measure(client, urls: dict[str, str], *, samples: int) -> dict[str, tuple[float, float]]:
    """name → (p50 ms, max ms) of ``samples`` GETs after one warm-up; each must be 200."""
    out = {}
    for name, url in urls.items():
        times = []
        for i in range(samples + 1):
            t = time.perf_counter()
            resp = client.get(url)
            ms = (time.perf_counter() - t) * 1000
            assert resp.status_code == 200, (url, resp.status_code)
            if i:
                times.append(ms)
        out[name] = (statistics.median(times), max(times))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--label", default="", help="a note for the docs table (e.g. before)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument(
        "--before", help="JSON figures of an earlier run (--json), shown beside these"
    )
    parser.add_argument(
        "--close-months",
        action="store_true",
        help="close every month before the current one first (period_close)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="time the cooperative a previous run loaded"
    )
    args = parser.parse_args()

    db = DB
    if not args.reuse:
        recreate_database(db)
        print(f"database {db}; migrating…", flush=True)

    call_command("migrate_schemas", executor="standard", interactive=False, verbosity=0)
    today = timezone.localdate()
    if args.reuse:
        coop = Cooperative.objects.get(slug="bench-statements")
        connection.set_tenant(coop)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*), count(DISTINCT entry_id) FROM ledger_journalline")
            lines, entries = cur.fetchone()
        info = {"lines": lines, "entries": entries, "load_s": float("nan"), "months": 0}
        info["months"] = len(list(_months(date(today.year - 1, 1, 1), today)))
    else:
        public_tenant_ensure()
        made = cooperative_create(
            slug="bench-statements",
            name="KPRI Bench Laporan",
            admin_email="admin@bench.test",
            admin_password="Bench-Statements-2026",
            actor="bench",
        )
        coop = made.cooperative
        connection.set_tenant(coop)
        print(f"loading {args.lines:,} lines…", flush=True)
        info = load(total_lines=args.lines, today=today)
        _vacuum()
    t = time.perf_counter()
    diff = balances_check()
    check_ms = (time.perf_counter() - t) * 1000
    assert diff == [], f"balances table differs from the lines: {diff[:3]}"
    balances = AccountBalance.objects.count()
    print(
        f"loaded {info['lines']:,} lines in {info['entries']:,} entries in "
        f"{info['load_s']:.1f} s; balances table {balances:,} rows equal to the lines "
        f"({check_ms:.0f} ms)",
        flush=True,
    )
    closed = 0
    if args.close_months:  # as a cooperative does each month (what the year end asks)
        admin = User.objects.get(username="admin@bench.test")
        t = time.perf_counter()
        for p in Period.objects.filter(
            status=Period.Status.OPEN, end_date__lt=today.replace(day=1)
        ).order_by("start_date"):
            period_close(period=p, by=admin)
            closed += 1
        print(f"closed {closed} months in {time.perf_counter() - t:.1f} s", flush=True)
    info["closed_months"] = closed or info.get("closed_months", 0)
    cash = Account.objects.get(code="1101")
    gl = reports.general_ledger(account=cash, date_from=date(today.year, 1, 1), date_to=today)
    client = Client(HTTP_HOST=tenant_host(coop.slug))
    client.force_login(User.objects.get(username="admin@bench.test"))
    results = measure(
        client,
        statement_urls(today=today, cash_id=cash.pk, pages=gl["pages"]),
        samples=args.samples,
    )
    for name, (p50, mx) in results.items():
        print(f"{name:40s} p50 {p50:7.1f} ms   max {mx:7.1f} ms", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    before = json.loads(Path(args.before).read_text()) if args.before else None
    if not args.no_docs:
        write_docs_section(
            SECTION,
            docs_text(
                results,
                info=info,
                balances=balances,
                check_ms=check_ms,
                args=args,
                before=before,
            ),
        )


def docs_text(results, *, info, balances, check_ms, args, before=None) -> str:
    out = [
        SECTION,
        "",
        f"`bench/statements_bench.py`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs "
        f"({_platform.machine()}), PostgreSQL on 127.0.0.1. One cooperative, "
        f"{info['lines']:,} journal lines in {info['entries']:,} entries over "
        f"{info['months']} months"
        + (
            " (every month before the current one closed, as the year end requires)"
            if args.close_months
            else " (all months open)"
        )
        + ", "
        "written with `INSERT … SELECT … generate_series` "
        + (
            f"in {info['load_s']:.0f} s "
            if info["load_s"] == info["load_s"]
            else "(by an earlier run of the script) "
        )
        + "(one transaction per month, through the live triggers); "
        f"`ledger_accountbalance` {balances:,} rows, equal to the lines (`balances_check()`, "
        f"{check_ms:,.0f} ms). Year to date, compared with the previous year; through "
        f"Django's test client (session, role check, selector, rendering). Target ≤ "
        f"{TARGET_MS} ms each. p50 / max of {args.samples} runs after a warm-up"
        + (f" ({args.label})" if args.label else "")
        + ":",
        "",
        "| statement | "
        + ("before: p50 ms | before: max ms | " if before else "")
        + "p50 ms | max ms | ≤ target (p50) |",
        "|---|" + ("---:|---:|" if before else "") + "---:|---:|:---:|",
    ]
    for name, (p50, mx) in results.items():
        was = ""
        if before:
            b = before.get(name)
            was = f"{b[0]:.1f} | {b[1]:.1f} | " if b else "- | - | "
        ok = "yes" if p50 <= TARGET_MS else "NO"
        out.append(f"| {name} | {was}{p50:.1f} | {mx:.1f} | {ok} |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    main()
