#!/usr/bin/env python
"""Billing: how fast the Stripe webhook answers, how fast events are processed, and how
long the daily active-member count takes.

    .venv/bin/python bench/billing_bench.py [--events 1000] [--process 200] [--coops 10] [--members 2000] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_billing``; created if missing,
cooperatives made here are removed at the end) and Redis database 15 for the queued
tasks (purged at the end). Stripe is the test suite's local Stripe-speaking server
(localstripe + our Checkout routes) on loopback; signatures are real.

- receive: signed events POSTed through the whole middleware stack on the apex host
  (verify signature, store the event, queue the Celery task on commit); per-request
  latency and throughput.
- process: ``invoice.paid`` events processed one by one (re-fetch invoice and
  subscription from the API, update subscription, cooperative status and invoice copy).
- usage: the daily task counting active members in every cooperative's schema.

Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import uuid
from datetime import date
from pathlib import Path

from _common import bench_redis_url, django_setup, write_docs_section
from _common import ensure_database as _ensure_database
from _common import pct as _pct

DB = django_setup(
    "lumbung_bench_billing",
    env={"REDIS_URL": bench_redis_url(15), "CELERY_TASK_ALWAYS_EAGER": "0"},
)

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from billing.models import Invoice, Plan, Subscription, WebhookEvent
from billing.providers.stripe_provider import StripeProvider, stripe_catalog_sync
from billing.tasks import billing_usage_count_task
from billing.webhooks import stripe_event_process
from lumbung.celery import app
from tenants.services import cooperative_create, cooperative_discard, public_tenant_ensure
from tests.billing.conftest import add_active_members, signed_event
from tests.billing.stripe_server import LocalStripeServer, R
from tests.billing.test_dunning import _renewal_attempt

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Billing: webhooks and the daily member count"


def bench_receive(n: int) -> dict:
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    url = f"/billing/webhooks/stripe/{settings.BILLING_WEBHOOK_PATH_TOKEN}/"
    times = []
    run = uuid.uuid4().hex[:8]
    warmup = 10
    for i in range(n + warmup):
        body, header, _eid = signed_event(
            "charge.succeeded",  # an unhandled type: the task only marks it ignored
            {"id": f"ch_{run}_{i}"},
            event_id=f"evt_bench_{run}_{i}",
            secret=settings.STRIPE_WEBHOOK_SECRET,
        )
        t0 = time.perf_counter()
        response = client.post(
            url, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
        )
        if i >= warmup:
            times.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.content
    stored = WebhookEvent.objects.filter(event_id__startswith=f"evt_bench_{run}_").count()
    assert stored == n + warmup, stored
    total = sum(times)
    return {
        "n": n,
        "p50_ms": _pct(times, 50) * 1000,
        "p95_ms": _pct(times, 95) * 1000,
        "max_ms": max(times) * 1000,
        "per_s": n / total,
    }


def bench_process(n: int, server) -> dict:
    # A fresh local Stripe each run: forget price ids from an earlier run.
    Plan.objects.update(stripe_product_id="", stripe_price_monthly_id="", stripe_price_yearly_id="")
    stripe_catalog_sync()
    sub = Subscription.objects.select_related("plan", "cooperative").first()
    provider = StripeProvider()
    customer = provider.customer_ensure(subscription=sub)

    def make_sub():
        pm = R.PaymentMethod(
            type="card",
            card={
                "number": "4242424242424242",
                "exp_month": "12",
                "exp_year": "2030",
                "cvc": "123",
            },
        )
        R.PaymentMethod._api_attach(pm.id, customer=customer)
        R.Customer._api_update(customer, invoice_settings={"default_payment_method": pm.id})
        return R.Subscription(
            customer=customer, items=[{"plan": sub.plan.stripe_price_monthly_id}]
        ).id

    stripe_sub = server.call(make_sub)
    invoices = [server.call(_renewal_attempt, customer, stripe_sub) for _ in range(n)]

    rows = [
        WebhookEvent.objects.create(
            event_id=f"evt_proc_{uuid.uuid4().hex}",
            event_type="invoice.paid",
            valid=True,
            raw_body=json.dumps(
                {"type": "invoice.paid", "data": {"object": {"id": inv, "object": "invoice"}}}
            ),
        )
        for inv in invoices
    ]
    times = []
    for row in rows:
        t0 = time.perf_counter()
        done = stripe_event_process(event_pk=row.pk, provider=provider)
        times.append(time.perf_counter() - t0)
        assert done.state == WebhookEvent.State.PROCESSED, done.error
    return {
        "n": n,
        "p50_ms": _pct(times, 50) * 1000,
        "p95_ms": _pct(times, 95) * 1000,
        "per_s": n / sum(times),
    }


def bench_usage(coops: list, members: int) -> dict:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        result = billing_usage_count_task.apply().get()
        times.append(time.perf_counter() - t0)
    assert result["failed"] == 0, result
    return {
        "coops": len(coops),
        "members": members,
        "median_s": statistics.median(times),
        "per_coop_ms": statistics.median(times) / max(result["counted"], 1) * 1000,
        "counted": result["counted"],
    }


def write_section(recv: dict, proc: dict, usage: dict) -> None:
    lines = [
        SECTION,
        "",
        f"`bench/billing_bench.py` — measured {date.today().isoformat()} on {platform.machine()}, "
        f"{os.cpu_count()} CPU(s), Python {platform.python_version()}, PostgreSQL and Redis on "
        "localhost, Stripe = localstripe on loopback.",
        "",
        "| what | n | p50 | p95 | throughput |",
        "|---|---:|---:|---:|---:|",
        f"| webhook answered (verify + store + queue), full middleware stack | {recv['n']:,} | "
        f"{recv['p50_ms']:.1f} ms | {recv['p95_ms']:.1f} ms | {recv['per_s']:,.0f}/s |",
        f"| `invoice.paid` processed (2 API fetches + DB) | {proc['n']:,} | {proc['p50_ms']:.1f} ms | "
        f"{proc['p95_ms']:.1f} ms | {proc['per_s']:,.0f}/s |",
        "",
        f"Daily active-member count: {usage['counted']} cooperatives ({usage['coops']} of them "
        f"with {usage['members']:,} active members each) in {usage['median_s']:.2f} s "
        f"(median of 3), {usage['per_coop_ms']:.1f} ms per cooperative (one COUNT in each "
        "schema plus the subscription update). Processing time is mostly the two HTTP "
        "round trips to the local Stripe server, whose lists are linear scans.",
        "",
    ]
    text = "\n".join(lines) + "\n"
    write_docs_section(SECTION, text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--process", type=int, default=200)
    ap.add_argument("--coops", type=int, default=10)
    ap.add_argument("--members", type=int, default=2000)
    ap.add_argument("--no-docs", action="store_true")
    args = ap.parse_args()
    db = DB
    _ensure_database(db)

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    server = LocalStripeServer().start()
    settings.STRIPE_API_BASE = server.url
    settings.STRIPE_SECRET_KEY = "sk_test_bench"
    coops = []
    try:
        t0 = time.perf_counter()
        for i in range(args.coops):
            slug = f"bb-{uuid.uuid4().hex[:8]}"
            made = cooperative_create(
                slug=slug, name=f"KPRI Bench {i}", admin_email=f"admin@{slug}.test", actor="bench"
            )
            connection.set_schema_to_public()
            coops.append(made.cooperative)
            add_active_members(made.cooperative, args.members)
        print(
            f"{args.coops} cooperatives with {args.members} members made in {time.perf_counter() - t0:.1f} s"
        )
        recv = bench_receive(args.events)
        print(f"receive: {recv}")
        proc = bench_process(args.process, server)
        print(f"process: {proc}")
        usage = bench_usage(coops, args.members)
        print(f"usage: {usage}")
        if not args.no_docs:
            write_section(recv, proc, usage)
    finally:
        app.control.purge()

        connection.set_schema_to_public()
        WebhookEvent.objects.filter(event_id__startswith="evt_").delete()
        for coop in coops:
            connection.set_schema_to_public()
            Invoice.objects.filter(subscription__cooperative=coop).delete()
            cooperative_discard(cooperative=coop)
        server.stop()


if __name__ == "__main__":
    main()
