#!/usr/bin/env python
"""General ledger at scale: 1,000,000 journal lines in one cooperative.

    .venv/bin/python bench/ledger_bench.py [--lines 1000000] [--samples 15] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_ledger``, dropped and re-created;
the server is that of $DATABASE_URL, else 127.0.0.1:5432). It creates one cooperative the
normal way (chart of accounts seeded), then loads about two years of postings with COPY,
one transaction per month, *through the ledger's own tables and triggers*: the
statement-level trigger keeps ``ledger_accountbalance`` in step, the deferred constraint
trigger checks every entry balances at commit, the period and immutability triggers are
live. Mix: a monthly payroll-deduction entry with one line per member (5,000 members) and
daily teller-like entries (deposits, withdrawals, loan instalments, expenses).

Then it proves the balances table equals the lines (``balances_check``), and times (median
and max of ``--samples`` runs after one warm-up):

- trial balance (neraca saldo) at today, compared with the end of last year;
- balance sheet (neraca) at today, compared with the end of last year;
- one account's ledger page (buku besar of Kas — the busiest account — over both years,
  100 lines with running balance): first page and last page;
- the same three as HTML pages through Django's test client (view + template).

Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform as _platform
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from _common import django_setup, write_docs_section
from _common import recreate_database as _recreate_db

DB = django_setup(
    "lumbung_bench_ledger",
    env={"DJANGO_SETTINGS_MODULE": "lumbung.settings", "DJANGO_DEBUG": "false"},
)

from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from core.ledger import reports
from core.ledger.models import Account, AccountBalance, FiscalYear, JournalEntry, JournalLine
from core.ledger.selectors import balances_check
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from core.users.models import User
from tenants.services import cooperative_create, public_tenant_ensure, tenant_host

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Ledger: 1,000,000 journal lines"
TARGET_MS = 300
MEMBERS = 5000


def _months(start: date, end: date):
    d = start.replace(day=1)
    while d <= end:
        nxt = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
        yield d, min(nxt - timedelta(days=1), end)
        d = nxt


def generate_month(rng: random.Random, first: date, last: date, budget: int, acc: dict):
    """Entries [(date, description, source, source_ref, lines)] for one month using about
    ``budget`` lines. A line is (account_id, debit, credit, member_id, memo)."""
    entries = []
    used = 0
    # Payroll deduction on the 25th (or the last day available): one line per member.
    payday = min(first.replace(day=25), last)
    lines = []
    total = Decimal("0")
    for m in range(1, MEMBERS + 1):
        amt = Decimal(rng.choice([50000, 75000, 100000, 150000]))
        lines.append((acc["3102"], Decimal("0"), amt, m, ""))
        total += amt
    lines.append((acc["1102"], total, Decimal("0"), None, "Setoran bendahara gaji"))
    entries.append((payday, f"Potong gaji {first:%m/%Y}", "deduction", f"pg-{first:%Y%m}", lines))
    used += len(lines)
    days = (last - first).days + 1
    while used < budget:
        on = first + timedelta(days=rng.randrange(days))
        kind = rng.random()
        member = rng.randint(1, MEMBERS)
        if kind < 0.35:  # deposit
            amt = Decimal(rng.randrange(10, 2000) * 1000)
            lines = [
                (acc["1101"], amt, Decimal("0"), None, ""),
                (acc["2101"], Decimal("0"), amt, member, ""),
            ]
            desc = "Setoran sukarela"
        elif kind < 0.55:  # withdrawal
            amt = Decimal(rng.randrange(10, 1000) * 1000)
            lines = [
                (acc["2101"], amt, Decimal("0"), member, ""),
                (acc["1101"], Decimal("0"), amt, None, ""),
            ]
            desc = "Penarikan sukarela"
        elif kind < 0.9:  # loan instalment
            principal = Decimal(rng.randrange(100, 2000) * 1000)
            jasa = (principal / 10).quantize(Decimal("1"))
            lines = [
                (acc["1101"], principal + jasa, Decimal("0"), None, ""),
                (acc["1103"], Decimal("0"), principal, member, ""),
                (acc["4101"], Decimal("0"), jasa, member, ""),
            ]
            desc = "Angsuran pinjaman"
        else:  # expense
            amt = Decimal(rng.randrange(50, 5000) * 1000)
            lines = [
                (acc[rng.choice(["5301", "5302", "5306"])], amt, Decimal("0"), None, ""),
                (acc["1102"], Decimal("0"), amt, None, ""),
            ]
            desc = "Biaya operasional"
        entries.append((on, desc, "other", "", lines))
        used += len(lines)
    entries.sort(key=lambda e: e[0])
    return entries, used


def load(*, total_lines: int, seed: int = 7) -> dict:
    today = timezone.localdate()
    start = date(today.year - 1, 1, 1)
    for y in (start.year, today.year):
        fiscal_year_ensure(year=y)
    acc = {a.code: a.pk for a in Account.objects.filter(is_group=False)}
    months = list(_months(start, today))
    per_month = total_lines // len(months)
    rng = random.Random(seed)
    numbers = {start.year: 0, today.year: 0}
    loaded = 0
    t0 = time.perf_counter()
    # Opening balance so the cash accounts start positive.
    with transaction.atomic():
        journal_post(
            on=start,
            description="Saldo awal",
            source="opening",
            source_ref="bench",
            by="bench",
            lines=[
                LineSpec("1101", debit=Decimal("900000000")),
                LineSpec("1102", debit=Decimal("4100000000")),
                LineSpec("1103", debit=Decimal("20000000000")),
                LineSpec("3106", credit=Decimal("25000000000")),
            ],
        )
        numbers[start.year] = 1
        loaded += 4
    for i, (first, last) in enumerate(months):
        budget = per_month if i < len(months) - 1 else total_lines - loaded
        entries, used = generate_month(rng, first, last, budget, acc)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence('ledger_journalentry', 'id'))"
                " FROM generate_series(1, %s)",
                [len(entries)],
            )
            ids = [r[0] for r in cur.fetchall()]
            ebuf, lbuf = io.StringIO(), io.StringIO()
            ew, lw = csv.writer(ebuf), csv.writer(lbuf)
            for eid, (on, desc, source, ref, lines) in zip(ids, entries, strict=True):
                numbers[on.year] += 1
                ew.writerow(
                    [eid, on.year, numbers[on.year], on.isoformat(), desc, source, ref, "posted"]
                )
                for account_id, d, c, member, memo in lines:
                    lw.writerow(
                        [
                            eid,
                            account_id,
                            on.isoformat(),
                            d,
                            c,
                            "" if member is None else member,
                            memo,
                        ]
                    )
            ebuf.seek(0)
            lbuf.seek(0)
            cur.cursor.copy_expert(
                "COPY ledger_journalentry (id, fiscal_year, number, date, description, source,"
                " source_ref, status) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (source_ref))",
                ebuf,
            )
            cur.cursor.copy_expert(
                "COPY ledger_journalline (entry_id, account_id, date, debit, credit, member_id,"
                " memo) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (memo))",
                lbuf,
            )
        loaded += used
        print(
            f"  {first:%Y-%m}: {len(entries):,} entries, {used:,} lines (total {loaded:,})",
            flush=True,
        )
    for y, n in numbers.items():
        FiscalYear.objects.filter(year=y).update(last_number=n)
    load_s = time.perf_counter() - t0
    with connection.cursor() as cur:  # what autovacuum does after a bulk load
        cur.execute("VACUUM ANALYZE ledger_journalline")
        cur.execute("VACUUM ANALYZE ledger_journalentry")
        cur.execute("VACUUM ANALYZE ledger_accountbalance")
    return {"lines": loaded, "load_s": load_s, "months": len(months)}


def timed(fn, samples: int) -> tuple[float, float]:
    fn()  # warm-up
    out = []
    for _ in range(samples):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out), max(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    db = DB
    _recreate_db(db)
    print(f"database {db}; migrating…", flush=True)

    call_command("migrate_schemas", executor="standard", interactive=False, verbosity=0)
    public_tenant_ensure()
    made = cooperative_create(
        slug="bench-ledger",
        name="KPRI Bench Buku Besar",
        admin_email="admin@bench.test",
        admin_password="Bench-Ledger-2026",
        actor="bench",
    )
    coop = made.cooperative
    connection.set_tenant(coop)
    print(f"loading {args.lines:,} lines…", flush=True)
    info = load(total_lines=args.lines)
    lines = JournalLine.objects.count()
    entries = JournalEntry.objects.count()
    balances = AccountBalance.objects.count()
    t = time.perf_counter()
    diff = balances_check()
    check_ms = (time.perf_counter() - t) * 1000
    assert diff == [], f"balances table differs from the lines: {diff[:3]}"
    print(
        f"loaded {lines:,} lines in {entries:,} entries in {info['load_s']:.1f} s; "
        f"balances table {balances:,} rows, equal to the lines (check {check_ms:.0f} ms)"
    )

    today = timezone.localdate()
    last_year_end = date(today.year - 1, 12, 31)
    start = date(today.year - 1, 1, 1)
    cash = Account.objects.get(code="1101")
    gl_first = reports.general_ledger(account=cash, date_from=start, date_to=today, page=1)
    pages = gl_first["pages"]

    tb = reports.trial_balance(as_of=today, compare_as_of=last_year_end)
    bs = reports.balance_sheet(as_of=today, compare_as_of=last_year_end)
    assert tb["balanced"] and bs["balanced"], "books do not balance"

    mid = (
        today.replace(day=15)
        if today.day > 15
        else (today.replace(day=1) - timedelta(days=1)).replace(day=15)
    )
    results = {
        "trial balance (today)": timed(
            lambda: reports.trial_balance(as_of=today, compare_as_of=last_year_end), args.samples
        ),
        f"trial balance ({mid:%d %b}, mid-month)": timed(
            lambda: reports.trial_balance(as_of=mid, compare_as_of=last_year_end), args.samples
        ),
        "balance sheet (today)": timed(
            lambda: reports.balance_sheet(as_of=today, compare_as_of=last_year_end), args.samples
        ),
        f"balance sheet ({mid:%d %b}, mid-month)": timed(
            lambda: reports.balance_sheet(as_of=mid, compare_as_of=last_year_end), args.samples
        ),
        "ledger page (first)": timed(
            lambda: reports.general_ledger(account=cash, date_from=start, date_to=today, page=1),
            args.samples,
        ),
        "ledger page (middle)": timed(
            lambda: reports.general_ledger(
                account=cash, date_from=start, date_to=today, page=max(1, pages // 2)
            ),
            args.samples,
        ),
        "ledger page (last)": timed(
            lambda: reports.general_ledger(
                account=cash, date_from=start, date_to=today, page=pages
            ),
            args.samples,
        ),
    }

    client = Client(HTTP_HOST=tenant_host(coop.slug))
    client.force_login(User.objects.get(username="admin@bench.test"))
    q = f"?date_from={start.isoformat()}&date_to={today.isoformat()}"

    def page(url):
        def go():
            resp = client.get(url)
            assert resp.status_code == 200, (url, resp.status_code)

        return go

    results |= {
        "HTML neraca saldo": timed(page(f"/buku-besar/laporan/neraca-saldo/{q}"), args.samples),
        "HTML neraca": timed(page(f"/buku-besar/laporan/neraca/{q}"), args.samples),
        "HTML buku besar (last page)": timed(
            page(f"/buku-besar/akun/{cash.pk}/buku-besar/{q}&page={pages}"), args.samples
        ),
    }
    for name, (med, mx) in results.items():
        print(f"{name:36s} median {med:7.1f} ms   max {mx:7.1f} ms")
    extra = {
        "lines": lines,
        "entries": entries,
        "balances": balances,
        "load_s": info["load_s"],
        "check_ms": check_ms,
        "cash_lines": gl_first["count"],
        "pages": pages,
        "months": info["months"],
    }
    if not args.no_docs:
        write_docs(results, samples=args.samples, **extra)


def write_docs(
    results, *, samples: int, lines, entries, balances, load_s, check_ms, cash_lines, pages, months
) -> None:
    out = [
        SECTION,
        "",
        f"`bench/ledger_bench.py`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs "
        f"({_platform.machine()}), PostgreSQL on 127.0.0.1. One cooperative, {lines:,} journal "
        f"lines in {entries:,} entries over {months} months (a payroll-deduction entry per month "
        f"with {MEMBERS:,} member lines + daily teller entries). Loaded with COPY in "
        f"{load_s:.0f} s, one transaction per month, through the live triggers (balance check, "
        f"periods, per-month balances). `ledger_accountbalance`: {balances:,} rows; "
        f"`balances_check()` (full aggregation of every line against it) found no difference "
        f"({check_ms:,.0f} ms). Target: each under {TARGET_MS} ms. Median / max of {samples} "
        "runs after a warm-up:",
        "",
        "| what | median ms | max ms | under target |",
        "|---|---:|---:|:---:|",
    ]
    for name, (med, mx) in results.items():
        out.append(f"| {name} | {med:.1f} | {mx:.1f} | {'yes' if med < TARGET_MS else 'NO'} |")
    out += [
        "",
        "- *trial balance* / *balance sheet*: at today and at a mid-month date, compared with "
        "the end of last year: the per-month balances table for whole months plus, for a date "
        "inside a month, that month's lines up to the date (index on `date`).",
        f"- *ledger page*: buku besar of Kas (1101), the busiest account ({cash_lines:,} lines "
        f"in the range, {pages:,} pages of 100): opening balance and the month holding the "
        "page come from the balances table (which also counts lines per account and month); "
        "only that month's lines are read for the running balance at the page start and for "
        "the page itself, so the last page costs what the first does. Tables were `VACUUM "
        "ANALYZE`d after the load (autovacuum's job in production).",
        "- *HTML*: the same through Django's test client (role check, selector, table shaping, "
        "template rendering).",
        "",
    ]
    text = "\n".join(out)
    write_docs_section(SECTION, text)


if __name__ == "__main__":
    main()
