#!/usr/bin/env python
"""Operator console: the tenants list with 5,000 cooperatives, the usage refresh and the
bulk migration.

    .venv/bin/python bench/console_bench.py [--tenants 5000] [--real 4] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_console``; created if missing).
The 5,000 cooperatives are registry rows only (tenant row, subscription on a seeded
plan, usage snapshot) — what the list reads; ``--real`` cooperatives get real schemas
for the refresh and migration figures. Everything made here is removed at the end.

- list: ``console.selectors.tenants_query`` first page (50 rows) + the count, for each
  sort column and the filters; then the whole page over HTTP (session, 2FA check,
  template) through Django's test client on the apex host.
- refresh: ``stats_refresh`` over the real schemas (per-tenant cost).
- migrate: ``migrate_all`` over the real schemas, 1 process vs 2.

Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from _common import bench_redis_url, django_setup, write_docs_section
from _common import ensure_database as _ensure_database
from _common import pct as _pct

DB = django_setup("lumbung_bench_console", env={"REDIS_URL": bench_redis_url(15)})

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import Plan, Subscription
from core.users.models import User
from lumbung.console.migrate import migrate_all
from lumbung.console.models import TenantStats, TenantUsageDaily
from lumbung.console.selectors import tenants_query
from lumbung.console.stats import stats_refresh
from tenants.models import Cooperative
from tenants.services import cooperative_create, cooperative_discard, public_tenant_ensure

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Console: tenants list with 5,000 cooperatives"
PROVINCES = ["Jawa Barat", "Jawa Tengah", "Jawa Timur", "DKI Jakarta", "Sumatera Utara", "Bali"]


def make_fake_tenants(n: int, prefix: str) -> None:
    """n registry rows: cooperative + subscription + usage snapshot (no schema)."""
    rng = random.Random(42)
    plans = list(Plan.objects.order_by("pk"))
    now = timezone.now()
    statuses = ["trial"] * 3 + ["active"] * 6 + ["past_due", "suspended", "archived"]
    with transaction.atomic():
        coops = Cooperative.objects.bulk_create(
            [
                Cooperative(
                    slug=f"{prefix}{i:05d}",
                    name=f"KPRI {rng.choice(['Sejahtera', 'Makmur', 'Guru', 'Bina Usaha'])} {i}",
                    schema_name=f"coop_{prefix.replace('-', '_')}{i:05d}",
                    nik_koperasi=f"32{i:014d}",
                    province=rng.choice(PROVINCES),
                    email=f"pengurus{i}@{prefix}bench.test",
                    status=rng.choice(statuses),
                )
                for i in range(n)
            ],
            batch_size=1000,
        )
        Cooperative.objects.filter(pk__in=[c.pk for c in coops]).update(
            created_at=now - timedelta(days=1)
        )
        subs = []
        for c in coops:
            plan = rng.choice(plans)
            status = c.status
            subs.append(
                Subscription(
                    cooperative=c,
                    plan=plan,
                    status=status,
                    interval=rng.choice(["month", "year"]),
                    trial_ends_at=now + timedelta(days=rng.randint(-10, 30)),
                    past_due_since=now if status == "past_due" else None,
                    suspended_since=now if status in ("suspended", "archived") else None,
                    over_limit_since=now if rng.random() < 0.05 else None,
                )
            )
        Subscription.objects.bulk_create(subs, batch_size=1000)
        TenantStats.objects.bulk_create(
            [
                TenantStats(
                    cooperative=c,
                    members=rng.randint(20, 5000),
                    active_members=rng.randint(20, 5000),
                    staff_users=rng.randint(1, 12),
                    last_staff_activity=now - timedelta(minutes=rng.randint(1, 60 * 24 * 90)),
                    db_size_bytes=rng.randint(2_000_000, 900_000_000),
                    mrr=Decimal(rng.choice([0, 150000, 350000, 750000, 1500000])),
                    refreshed_at=now,
                )
                for c in coops
            ],
            batch_size=1000,
        )


def remove_fake_tenants(prefix: str) -> None:
    with connection.cursor() as cur:
        like = f"{prefix}%"
        cur.execute(
            "DELETE FROM console_tenantstats WHERE cooperative_id IN "
            "(SELECT id FROM tenants_cooperative WHERE slug LIKE %s)",
            [like],
        )
        cur.execute(
            "DELETE FROM console_tenantusagedaily WHERE cooperative_id IN "
            "(SELECT id FROM tenants_cooperative WHERE slug LIKE %s)",
            [like],
        )
        cur.execute(
            "DELETE FROM billing_subscription WHERE cooperative_id IN "
            "(SELECT id FROM tenants_cooperative WHERE slug LIKE %s)",
            [like],
        )
        cur.execute("DELETE FROM tenants_cooperative WHERE slug LIKE %s", [like])


def time_query(fn, runs: int = 15) -> tuple[float, float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def bench_list(n: int) -> list[tuple[str, float, float, int]]:
    cases = [
        ("newest first (default)", {"sort": "-created"}),
        ("name A→Z", {"sort": "name"}),
        ("members, most first", {"sort": "-members"}),
        ("MRR, highest first", {"sort": "-mrr"}),
        ("database size, largest first", {"sort": "-size"}),
        ("last staff activity", {"sort": "-activity"}),
        ("plan", {"sort": "plan"}),
        ("page 60 of 100 (sort by name)", {"sort": "name", "_page": 60}),
        ("status = active", {"status": "active", "sort": "-mrr"}),
        ("search 'makmur' (name)", {"q": "makmur"}),
        ("search NIK '3200000000004211'", {"q": "3200000000004211"}),
        ("search e-mail 'pengurus42@'", {"q": "pengurus42@"}),
        ("province + plan", {"province": "Jawa Barat", "plan": "sedang"}),
        ("trial ending soon", {"flag": "trial_soon"}),
        ("over plan limit", {"flag": "over_limit"}),
    ]
    out = []
    for label, params in cases:
        params = dict(params)
        page_no = params.pop("_page", 1)

        def run(params=params, page_no=page_no):
            page = Paginator(tenants_query(**params), 50).get_page(page_no)
            rows = list(page.object_list)
            return page.paginator.count, rows

        count, _rows = run()
        med, worst = time_query(run)
        out.append((label, med, worst, count))
        print(f"  {label}: {med:.1f} ms (max {worst:.1f}), {count} rows")
    return out


def bench_http(runs: int = 30) -> dict:
    connection.set_schema_to_public()
    username = f"bench-{uuid.uuid4().hex[:6]}@ops.test"
    user = User.objects.create_user(username=username, password="x", operator_role="support")
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    results = {}
    try:
        for label, url in (
            ("first page, newest", "/konsol/koperasi/"),
            ("page 40, sorted by MRR", "/konsol/koperasi/?sort=-mrr&page=40"),
            ("search + filter", "/konsol/koperasi/?q=makmur&status=active&sort=-size"),
        ):
            assert client.get(url).status_code == 200
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                resp = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200
            results[label] = (_pct(times, 50), _pct(times, 95))
            print(f"  HTTP {label}: p50 {results[label][0]:.1f} ms, p95 {results[label][1]:.1f} ms")
    finally:
        connection.set_schema_to_public()
        TOTPDevice.objects.filter(user=user).delete()

        Session.objects.filter(session_key=client.session.session_key).delete()
        # Raw delete: the ORM's cascade would look at tenant-only tables.
        with connection.cursor() as cur:
            cur.execute("DELETE FROM users_user WHERE id = %s", [user.pk])
    return results


def bench_refresh_and_migrate(coops: list) -> dict:
    connection.set_schema_to_public()
    qs = Cooperative.objects.filter(pk__in=[c.pk for c in coops]).order_by("pk")
    t0 = time.perf_counter()
    counts = stats_refresh(cooperatives=qs)
    refresh_s = time.perf_counter() - t0
    assert counts["failed"] == 0, counts
    schemas = [c.schema_name for c in coops]
    timings = {}
    for processes in (1, 2):
        t0 = time.perf_counter()
        result = migrate_all(schemas=schemas, processes=processes)
        timings[processes] = time.perf_counter() - t0
        assert result.ok, [r.error for r in result.failed]
        connection.set_schema_to_public()
        print(
            f"  migrate_all {len(schemas)} schemas, {processes} process(es): {timings[processes]:.1f} s"
        )
    return {"refresh_s": refresh_s, "n": len(coops), "migrate": timings}


def write_section(n: int, rows, http: dict, rm: dict) -> None:
    lines = [
        SECTION,
        "",
        f"`bench/console_bench.py` — measured {date.today().isoformat()} on "
        f"{platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"PostgreSQL on localhost; load average {os.getloadavg()[0]:.1f} while measuring "
        "(other test suites were running on the same 2 CPUs, so absolute times are inflated).",
        "",
        f"{n:,} cooperatives in the registry (tenant row, subscription, usage snapshot row in "
        "`console_tenantstats`, filled by the hourly `console_stats_refresh_task`). The list "
        "is one SQL query (cooperative ⋈ subscription ⋈ plan ⋈ stats) plus a COUNT, 50 rows "
        "a page; no tenant schema is opened. Median / max of 15 runs after a warm-up:",
        "",
        "| list query (page + count) | rows matching | median ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for label, med, worst, count in rows:
        lines.append(f"| {label} | {count:,} | {med:.1f} | {worst:.1f} |")
    lines += [
        "",
        "Whole page over HTTP (middleware, session, 2FA check, rendering 50 rows), "
        "30 requests each:",
        "",
        "| page | p50 ms | p95 ms |",
        "|---|---:|---:|",
    ]
    for label, (p50, p95) in http.items():
        lines.append(f"| {label} | {p50:.1f} | {p95:.1f} |")
    mig = rm["migrate"]
    lines += [
        "",
        f"Usage refresh over {rm['n']} real tenant schemas: {rm['refresh_s']:.2f} s "
        f"({rm['refresh_s'] / max(rm['n'], 1) * 1000:.0f} ms per tenant: member and staff "
        "counts, last activity, applied migrations; schema sizes for all tenants in one "
        "catalog query). At that rate 5,000 tenants take about "
        f"{rm['refresh_s'] / max(rm['n'], 1) * 5000 / 60:.0f} min, hence a periodic task "
        "and not a page load.",
        "",
        f"`migrate_all` (nothing to apply) over {rm['n']} schemas: {mig[1]:.1f} s with 1 "
        f"process, {mig[2]:.1f} s with 2 (forked workers, one `migrate_schemas --schema` "
        "each).",
        "",
    ]
    text = "\n".join(lines) + "\n"
    write_docs_section(SECTION, text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tenants", type=int, default=5000)
    ap.add_argument("--real", type=int, default=4)
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args()
    db = DB
    _ensure_database(db)

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    prefix = f"cb{uuid.uuid4().hex[:4]}-"
    real = []
    try:
        t0 = time.perf_counter()
        make_fake_tenants(args.tenants, prefix)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(f"{args.tenants} registry rows made in {time.perf_counter() - t0:.1f} s")
        rows = bench_list(args.tenants)
        http = bench_http()
        for i in range(args.real):
            slug = f"cr{uuid.uuid4().hex[:6]}"
            made = cooperative_create(
                slug=slug, name=f"KPRI Real {i}", admin_email=f"a@{slug}.test", actor="bench"
            )
            connection.set_schema_to_public()
            real.append(made.cooperative)
        rm = bench_refresh_and_migrate(real)
    finally:
        connection.set_schema_to_public()
        remove_fake_tenants(prefix)
        for coop in real:
            TenantStats.objects.filter(cooperative=coop).delete()
            TenantUsageDaily.objects.filter(cooperative=coop).delete()

            Subscription.objects.filter(cooperative=coop).delete()
            cooperative_discard(cooperative=coop)
    if not args.no_docs:
        write_section(args.tenants, rows, http, rm)


if __name__ == "__main__":
    main()
