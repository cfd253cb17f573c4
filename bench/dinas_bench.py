#!/usr/bin/env python
"""Dinas view: the table with 3,410 cooperatives (Central Kalimantan's KPRI count) and the
indicators refresh.

    .venv/bin/python bench/dinas_bench.py [--cooperatives 3410] [--real 3] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_dinas``; created if missing).
The 3,410 cooperatives are registry rows (tenant row, sharing state, 12 monthly
indicator rows and two years of yearly figures of fake data) in 14 regencies of one
province — what the Dinas pages read. ``--real`` cooperatives get real schemas (consent
on) for the refresh figure. Everything made here is removed at the end.

Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

from _common import bench_redis_url, django_setup, write_docs_section
from _common import ensure_database as _ensure_database
from _common import pct as _pct

DB = django_setup(
    "lumbung_bench_dinas",
    env={"REDIS_URL": bench_redis_url(15)},
)

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from billing.models import Subscription
from core.sharing.services import dinas_consent_set
from lumbung.dinas.models import Indicator, SharingState, YearFigures
from lumbung.dinas.refresh import indicators_refresh_one
from lumbung.dinas.services import pembina_create
from lumbung.dinas.views import TABLE_PAGE_ROWS
from tenants.models import Cooperative
from tenants.regions import regencies_of
from tenants.services import cooperative_create, cooperative_discard, public_tenant_ensure

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Dinas: table of 3,410 cooperatives, indicators refresh"
PROVINCE = "Kalimantan Tengah"


def make_fake(n: int, prefix: str) -> None:
    rng = random.Random(24)
    regencies = regencies_of(PROVINCE)
    now = timezone.now()
    today = date.today()
    months = []
    y, m = today.year, today.month
    for _ in range(12):
        months.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    bands = ["sehat"] * 6 + ["cukup_sehat"] * 2 + ["kurang_sehat", "tidak_sehat"]
    with transaction.atomic():
        coops = Cooperative.objects.bulk_create(
            [
                Cooperative(
                    slug=f"{prefix}{i:05d}",
                    name=f"KPRI {rng.choice(['Sejahtera', 'Makmur', 'Guru', 'Bina Usaha'])} {i}",
                    schema_name=f"coop_{prefix.replace('-', '_')}{i:05d}",
                    province=PROVINCE,
                    regency=rng.choice(regencies),
                    kind=rng.choice(["kpri"] * 9 + ["ksp"]),
                    status="active",
                )
                for i in range(n)
            ],
            batch_size=1000,
        )
        SharingState.objects.bulk_create(
            [SharingState(cooperative=c, shared=True, refreshed_at=now) for c in coops],
            batch_size=1000,
        )
        rows = []
        for c in coops:
            base = rng.randint(50, 3000)
            assets = Decimal(rng.randint(200, 60000)) * 100000
            for k, month in enumerate(months):
                rows.append(
                    Indicator(
                        cooperative=c,
                        month=month,
                        latest=k == 0,
                        figures_at=now,
                        members_active=max(base - k * rng.randint(0, 5), 1),
                        members_joined=rng.randint(0, 10),
                        members_left=rng.randint(0, 6),
                        total_assets=assets,
                        own_capital=assets * Decimal("0.4"),
                        savings=assets * Decimal("0.5"),
                        loans_outstanding=assets * Decimal("0.7"),
                        npl_ratio=Decimal(rng.randint(0, 2500)) / 100,
                        health_band=rng.choice(bands),
                        shu_year=today.year - 1,
                        shu_last_year=assets * Decimal("0.03"),
                        last_rat_date=rng.choice(
                            [None, date(today.year, 3, 20), date(today.year - 1, 4, 2)]
                        ),
                        last_activity=now,
                    )
                )
        Indicator.objects.bulk_create(rows, batch_size=5000)
        YearFigures.objects.bulk_create(
            [
                YearFigures(
                    cooperative=c,
                    year=yr,
                    figures_at=now,
                    complete=yr < today.year,
                    members=rng.randint(50, 3000),
                    own_capital=Decimal(rng.randint(1, 9999)) * 100000,
                    outside_capital=Decimal(rng.randint(1, 9999)) * 100000,
                    business_volume=Decimal(rng.randint(1, 9999)) * 10000,
                    total_assets=Decimal(rng.randint(1, 9999)) * 200000,
                    shu=Decimal(rng.randint(1, 9999)) * 1000,
                    staff=rng.randint(2, 12),
                )
                for c in coops
                for yr in (today.year - 1, today.year)
            ],
            batch_size=5000,
        )


def remove_fake(prefix: str) -> None:
    like = f"{prefix}%"
    with connection.cursor() as cur:
        for table in ("dinas_indicator", "dinas_yearfigures", "dinas_sharingstate"):
            cur.execute(
                f"DELETE FROM {table} WHERE cooperative_id IN "
                "(SELECT id FROM tenants_cooperative WHERE slug LIKE %s)",
                [like],
            )
        cur.execute("DELETE FROM tenants_cooperative WHERE slug LIKE %s", [like])


def bench_http(runs: int) -> dict:
    connection.set_schema_to_public()
    email = f"bench-{uuid.uuid4().hex[:6]}@dinas.test"
    pembina, _pw = pembina_create(email=email, province=PROVINCE, by="bench")
    user = pembina.user
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    some = (
        Indicator.objects.filter(cooperative__province=PROVINCE)
        .values_list("cooperative_id", flat=True)
        .first()
    )
    year = date.today().year - 1
    results = {}
    results["_load"] = [os.getloadavg()]
    try:
        for label, url, n in (
            ("table, first page (sort by name) + area totals", "/dinas/", runs),
            ("table sorted by assets, page 20", "/dinas/?sort=-assets&page=20", runs),
            ("filter band + RAT overdue", "/dinas/?band=tidak_sehat&rat_overdue=on", runs),
            ("cooperative profile (12-month trend)", f"/dinas/koperasi/{some}/", runs),
            ("XLSX of the whole table (3,410 rows)", "/dinas/?format=xlsx", 5),
            (f"ministry XLSX {year}, whole area", f"/dinas/kementerian/?year={year}", 5),
        ):
            assert client.get(url).status_code == 200, url
            times = []
            for _ in range(n):
                t0 = time.perf_counter()
                resp = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert resp.status_code == 200
            results[label] = (_pct(times, 50), _pct(times, 95), n)
            print(f"  {label}: p50 {results[label][0]:.1f} ms, p95 {results[label][1]:.1f} ms")
        results["_load"].append(os.getloadavg())
    finally:
        connection.set_schema_to_public()

        Session.objects.filter(session_key=client.session.session_key).delete()
        TOTPDevice.objects.filter(user=user).delete()
        pembina.delete()
        with connection.cursor() as cur:
            cur.execute("DELETE FROM audit_auditevent WHERE actor_id = %s", [user.pk])
            cur.execute("DELETE FROM users_user WHERE id = %s", [user.pk])
    return results


def bench_refresh(coops: list) -> dict:
    for c in coops:
        connection.set_tenant(c)
        dinas_consent_set(share=True, by="bench")
    connection.set_schema_to_public()
    indicators_refresh_one(cooperative_id=coops[0].pk)  # warm (imports, caches)
    t0 = time.perf_counter()
    for c in coops:
        state = indicators_refresh_one(cooperative_id=c.pk)
        assert state.shared and not state.error, state.error
    secs = time.perf_counter() - t0
    return {"n": len(coops), "s": secs}


def write_section(n: int, http: dict, refresh: dict) -> None:
    per = refresh["s"] / max(refresh["n"], 1)
    http_load = http.pop("_load")
    load = " → ".join("/".join(f"{x:.1f}" for x in avg) for avg in http_load)
    lines = [
        SECTION,
        "",
        f"`bench/dinas_bench.py` — measured {date.today().isoformat()} on "
        f"{platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"PostgreSQL on localhost; load average (1/5/15 min) {load} from the first page "
        "to the last ("
        + (
            "the machine otherwise idle)."
            if max(a[0] for a in http_load) < 1.5
            else "other work shared the 2 CPUs, so absolute times are inflated)."
        ),
        "",
        f"{n:,} consenting cooperatives in one province (14 regencies), each with 12 monthly "
        "`dinas_indicator` rows and two `dinas_yearfigures` rows of fake data; a province "
        "pembina with a verified TOTP session. Whole pages over HTTP through Django's test "
        "client on the apex host (middleware, session, 2FA check, queries, rendering "
        f"{TABLE_PAGE_ROWS} rows a page; no tenant schema is opened):",
        "",
        "| page | requests | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    for label, (p50, p95, k) in http.items():
        lines.append(f"| {label} | {k} | {p50:.1f} | {p95:.1f} |")
    lines += [
        "",
        f"Indicators refresh over {refresh['n']} real tenant schemas (consent on, demo-free "
        f"new cooperatives): {refresh['s']:.2f} s, {per * 1000:.0f} ms per cooperative "
        "(consent, balance sheet, two income statements, collectibility, member counts, "
        "savings, in the tenant's schema; then the public rows). At that rate 1,000 "
        f"cooperatives take about {per * 1000 / 60:.1f} min of one worker — one task per "
        "cooperative, fanned out daily by beat, so workers share it.",
        "",
    ]
    write_docs_section(SECTION, "\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cooperatives", type=int, default=3410)
    ap.add_argument("--real", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args()
    db = DB
    _ensure_database(db)

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    prefix = f"db{uuid.uuid4().hex[:4]}-"
    real = []
    try:
        t0 = time.perf_counter()
        make_fake(args.cooperatives, prefix)
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        print(
            f"{args.cooperatives} cooperatives of fake indicators in {time.perf_counter() - t0:.1f} s"
        )
        http = bench_http(args.runs)
        for i in range(args.real):
            slug = f"dr{uuid.uuid4().hex[:6]}"
            made = cooperative_create(
                slug=slug, name=f"KPRI Real {i}", admin_email=f"a@{slug}.test", actor="bench"
            )
            connection.set_schema_to_public()
            real.append(made.cooperative)
        refresh = bench_refresh(real) if real else {"n": 0, "s": 0.0}
        print(f"  refresh: {refresh}")
    finally:
        connection.set_schema_to_public()
        remove_fake(prefix)
        for coop in real:
            for model in (Indicator, YearFigures, SharingState, Subscription):
                model.objects.filter(cooperative=coop).delete()
            cooperative_discard(cooperative=coop)
    if not args.no_docs:
        write_section(args.cooperatives, http, refresh)


if __name__ == "__main__":
    main()
