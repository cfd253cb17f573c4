#!/usr/bin/env python
"""Sign-up-to-ready time with 0, 100 and 1,000 existing cooperatives.

    .venv/bin/python bench/provisioning_bench.py [--sizes 0,100,1000] [--samples 5]

Uses its own database (BENCH_DB, default ``lumbung_bench_provisioning``, dropped and
re-created; the server is that of $DATABASE_URL, else 127.0.0.1:5432) and its own
Redis database (BENCH_REDIS_URL, default database 13 of $REDIS_URL's server or of
127.0.0.1:6379) so that no other Celery worker picks up its tasks. It measures, at each size:

- task: the provisioning task's work alone (``signup_provision``: clone the template
  schema, first admin, every TENANT_SEEDER, trial, audit), in-process;
- end to end: a real HTTP server (``manage.py runserver``) and a real Celery worker:
  GET the form, POST it, read the verification e-mail (file backend), open the link
  and press its button, poll the status page until it redirects, open the one-time
  login link on the new host and press its button, GET the new cooperative's home page logged in. Reported from the POST and from
  the click on the verification link (the sign-up-to-ready part);
- migrations: ``cooperative_create(clone=False)``, the same cooperative made by running
  every tenant migration instead of cloning (for comparison; at the smallest and the
  largest size).

Existing cooperatives are made cheaply but for real: a row, a domain and a full schema
cloned from the template (no seeders), so PostgreSQL's catalog grows as in production.
Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform as _platform  # the stdlib module (the folder is not a package)
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from _common import (
    bench_redis_url,
    database_exists,
    django_setup,
    free_port,
    write_docs_section,
)
from _common import recreate_database as _recreate_db

MAILDIR = Path(tempfile.mkdtemp(prefix="lumbung-bench-mail-"))
PORT = free_port()
DB = django_setup(
    "lumbung_bench_provisioning",
    env={
        "REDIS_URL": bench_redis_url(13),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(MAILDIR),
        "SITE_PORT": str(PORT),
        "DJANGO_SETTINGS_MODULE": "lumbung.settings",
        "DJANGO_DEBUG": "false",
    },
)

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction

from tenants.models import Cooperative, Domain, SignupRequest, SpareSchema
from tenants.schema_template import schema_clone, spare_target, spares_fill, template_state
from tenants.services import cooperative_create, public_tenant_ensure, schema_name_for, tenant_host
from tenants.signup import SignupData, signup_provision, signup_submit

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Provisioning: sign-up to ready"
STAGES = ("post", "verify", "wait", "login", "home")
PASSWORD = "Koperasi-Maju-2026"


# ------------------------------------------------------------------ a tiny HTTP client


class Browser:
    """One browser: cookies per host; talks to 127.0.0.1:port with the Host header, so
    <slug>.localhost needs no DNS."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, dict[str, str]] = {}

    def request(self, method: str, url: str, data: dict | None = None):
        parts = urlsplit(url)
        host = parts.hostname
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        jar = self.cookies.setdefault(host, {})
        headers = {"Host": f"{host}:{self.port}"}
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        body = None
        if data is not None:
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{host}:{self.port}{path}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for key, value in resp.getheaders():
            if key.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                jar[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return resp.status, dict(resp.getheaders()), text

    def get(self, url):
        return self.request("GET", url)

    def post(self, url, data):
        return self.request("POST", url, data)


def _wait_port(port: int, seconds: float = 30) -> None:
    end = time.time() + seconds
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def _form(slug: str, email: str) -> dict:
    return {
        "name": f"KPRI {slug}",
        "slug": slug,
        "kind": "kpri",
        "legal_number": f"518/BH/{slug}/2019",  # one cooperative, one legal number
        "legal_date": "2019-05-02",
        "nik_koperasi": "",
        "province": "Kalimantan Tengah",
        "regency": "Kota Palangka Raya",
        "member_count": "400",
        "contact_name": "Rina Wulandari",
        "email": email,
        "phone": "081234567890",
        "password": PASSWORD,
        "password2": PASSWORD,
        "terms": "on",
        "website": "",
    }


def _mail_link(maildir: Path, email: str, timeout: float = 30) -> str:
    end = time.time() + timeout
    while time.time() < end:
        for f in sorted(maildir.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True):
            text = f.read_text(errors="replace")
            if email in text and "/daftar/verifikasi/" in text:
                return re.search(r"(https?://\S+/daftar/verifikasi/\S+/)", text).group(1)
        time.sleep(0.01)
    raise SystemExit(f"no verification e-mail for {email}")


def _press(b: Browser, url: str):
    """Open a single-use link (a page with one button) and press its button."""
    status, _h, page = b.get(url)
    assert status == 200, (status, page[:300])
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    return b.post(url, {"csrfmiddlewaretoken": token})


def e2e_once(port: int, maildir: Path, base: str) -> dict:
    """One sign-up through HTTP; seconds per stage."""
    slug = "e2e-" + uuid.uuid4().hex[:8]
    email = f"ketua@{slug}.test"
    b = Browser(port)
    apex = f"http://{base}:{port}"
    status, _h, page = b.get(f"{apex}/daftar/")
    assert status == 200, status
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    t0 = time.perf_counter()
    status, headers, text = b.post(
        f"{apex}/daftar/", {**_form(slug, email), "csrfmiddlewaretoken": token}
    )
    assert status == 302, (status, text[:500])
    t_posted = time.perf_counter()
    link = _mail_link(maildir, email)
    t_click = time.perf_counter()
    status, headers, _t = _press(b, link)
    assert status == 302, status
    t_verified = time.perf_counter()
    status_url = apex + headers["Location"]
    while True:
        status, headers, _t = b.get(status_url)
        if status == 302:
            break
        if 'data-status="failed"' in _t:
            raise SystemExit("provisioning failed: " + _t[:500])
        time.sleep(0.02)
    t_ready = time.perf_counter()
    login_url = headers["Location"]
    status, headers, _t = _press(b, login_url)
    assert status == 302, status
    t_login = time.perf_counter()
    home = f"http://{slug}.{base}:{port}/"
    status, _h, text = b.get(home)
    assert status == 200 and "Rina" in text, (status, text[:300])
    t_end = time.perf_counter()
    return {
        "slug": slug,
        "total": t_end - t0,
        "ready": t_end - t_click,
        "post": t_posted - t0,
        "verify": t_verified - t_click,
        "wait": t_ready - t_verified,
        "login": t_login - t_ready,
        "home": t_end - t_login,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="0,100,1000")
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        help="keep the database (and its filler cooperatives) of an earlier run; only the "
        "public schema and the template are migrated",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    db, maildir, port = DB, MAILDIR, PORT
    env = dict(os.environ)  # the benchmark's, set by django_setup
    if not (args.reuse_db and database_exists(db)):
        _recreate_db(db)
        args.reuse_db = False
    print(f"database {db}; migrating (builds the template schema too)…", flush=True)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # in-process
    t = time.perf_counter()
    if args.reuse_db:  # the fillers are catalog weight only: leave them as they are
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        call_command("template_schema_refresh", verbosity=0)
    else:
        call_command("migrate_schemas", executor="standard", interactive=False, verbosity=0)
    migrate_s = time.perf_counter() - t
    assert template_state().current, "template schema not built"
    public_tenant_ensure()

    procs = []
    worker_env = dict(env)
    server_log = open(maildir.parent / f"{maildir.name}-server.log", "w")  # noqa: SIM115
    print(f"server log: {server_log.name}", flush=True)
    # Both processes read EMAIL_FILE_PATH, which the settings do not take from the
    # environment: set it (and the rate limit) after django.setup().
    boot = (
        "import os, django; django.setup(); from django.conf import settings; "
        "settings.EMAIL_FILE_PATH = os.environ['EMAIL_FILE_PATH']; "
        # every sample signs up from 127.0.0.1: lift the per-IP limit for the bench
        "settings.SIGNUP_RATE_LIMIT = (10**9, 3600); "
    )
    worker = boot + (
        "from lumbung.celery import app; app.worker_main(['worker', '--pool=solo', "
        "'--loglevel=WARNING', '--without-heartbeat', '--without-gossip', '--without-mingle'])"
    )
    server = boot + (
        "from django.core.management import call_command; "
        f"call_command('runserver', '127.0.0.1:{port}', use_reloader=False)"
    )
    for code in (worker, server):
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", code],
                cwd=ROOT,
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=server_log,
            )
        )
    _wait_port(port)
    time.sleep(2)  # let the worker connect

    def fill_to(n: int) -> float:
        have = Cooperative.objects.exclude(schema_name="public").count()
        t = time.perf_counter()
        for i in range(have, n):
            slug = f"isi-{i:04d}"
            with transaction.atomic():
                coop = Cooperative(
                    slug=slug,
                    name=f"KPRI Isi {i}",
                    schema_name=schema_name_for(slug),
                    status=Cooperative.Status.ACTIVE,
                )
                coop.auto_create_schema = False
                coop.save()
                schema_clone(target=coop.schema_name, use_spare=False)
                Domain.objects.create(domain=tenant_host(slug), tenant=coop, is_primary=True)
            if (i + 1) % 100 == 0:
                print(f"  {i + 1} cooperatives", flush=True)
        return time.perf_counter() - t

    def task_once() -> float:
        slug = "tugas-" + uuid.uuid4().hex[:8]
        data = SignupData(
            slug=slug, name=f"KPRI {slug}", kind="kpri", legal_number=f"1/BH/{slug}/2020",
            legal_date=__import__("datetime").date(2020, 1, 2), nik_koperasi="",
            province="Bali", regency="Kota Denpasar", member_count=200,
            contact_name="Made", email=f"a@{slug}.test", phone="+6281234567890",
            password=PASSWORD,
        )  # fmt: skip
        signup = signup_submit(data=data).signup
        SignupRequest.objects.filter(pk=signup.pk).update(status="queued")  # as if verified
        t = time.perf_counter()
        signup_provision(signup_id=signup.pk)
        return time.perf_counter() - t

    def migrations_once() -> float:
        slug = "migrasi-" + uuid.uuid4().hex[:8]
        t = time.perf_counter()
        cooperative_create(
            slug=slug, name="KPRI Migrasi", admin_email=f"a@{slug}.test",
            admin_password=PASSWORD, clone=False,
        )  # fmt: skip
        return time.perf_counter() - t

    def pool_full(timeout: float = 60) -> None:
        """Wait until the spare schemas are topped up (the worker refills after each
        sign-up; we fill too), so every sample sees the steady state."""
        end = time.time() + timeout
        while SpareSchema.objects.count() < spare_target() and time.time() < end:
            spares_fill()
            time.sleep(0.05)

    def no_spares() -> None:
        spares_fill(count=0)
        SpareSchema.objects.all().delete()

    def warm(fn):
        pool_full()
        return fn()

    def cold(fn):
        no_spares()
        try:
            return fn()
        finally:
            pool_full()

    # Results are kept per size in .data/, so that a --reuse-db run (say, only 1000)
    # adds its rows to those of the earlier fresh run.
    store_path = ROOT / ".data" / "provisioning_bench.json"
    store = {"rows": {}, "migrate_s": migrate_s}
    if args.reuse_db and store_path.exists():
        store = json.loads(store_path.read_text())
    store_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        for size in sizes:
            existing = Cooperative.objects.exclude(schema_name="public").count()
            if existing > size + 50:
                print(f"  skipping {size}: the database already holds {existing}", flush=True)
                continue
            fill_s = fill_to(size)
            if fill_s > 0.5:
                print(f"  made {size} cooperatives in {fill_s:.0f} s", flush=True)
            connection.set_schema_to_public()
            task = [warm(task_once) for _ in range(args.samples)]
            task_cold = [cold(task_once) for _ in range(args.samples)]
            e2e = [
                warm(lambda: e2e_once(port, maildir, settings.BASE_DOMAIN))
                for _ in range(args.samples)
            ]
            mig = (
                [cold(migrations_once) for _ in range(max(2, args.samples // 2))]
                if size in (sizes[0], sizes[-1])
                else []
            )
            in_worker = [
                float(v)
                for v in SignupRequest.objects.filter(
                    slug__in=[e["slug"] for e in e2e]
                ).values_list("provision_seconds", flat=True)
            ]
            row = {
                "size": size,
                "existing": Cooperative.objects.exclude(schema_name="public").count(),
                "task": task,
                "task_cold": task_cold,
                "e2e": [e["total"] for e in e2e],
                "ready": [e["ready"] for e in e2e],
                "stages": {k: [e[k] for e in e2e] for k in STAGES},
                "in_worker": in_worker,
                "migrations": mig,
                "load": os.getloadavg()[0],
            }
            store["rows"][str(size)] = row
            store_path.write_text(json.dumps(store, indent=1))
            print(
                f"{size:>5} existing: task median {statistics.median(task):.2f} s "
                f"(max {max(task):.2f}), without a spare {statistics.median(task_cold):.2f} s; "
                f"HTTP submit→logged in median "
                f"{statistics.median(row['e2e']):.2f} s (max {max(row['e2e']):.2f}); "
                f"click→logged in median {statistics.median(row['ready']):.2f} s"
                + (f"; by migrations median {statistics.median(mig):.2f} s" if mig else ""),
                flush=True,
            )
    finally:
        for p in procs:
            p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(maildir, ignore_errors=True)

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_class")
        relations = cur.fetchone()[0]
    if not args.no_docs:
        results = sorted(store["rows"].values(), key=lambda r: r["size"])
        write_docs(results, samples=args.samples, migrate_s=store["migrate_s"], relations=relations)


def _fmt(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.2f} / {max(values):.2f}"


def write_docs(results, *, samples: int, migrate_s: float, relations: int) -> None:
    lines = [
        SECTION,
        "",
        f"`bench/provisioning_bench.py`, {time.strftime('%Y-%m-%d')}, "
        f"{os.cpu_count()} CPUs ({_platform.machine()}), PostgreSQL on 127.0.0.1, "
        f"{samples} samples per figure, seconds as median / max. Target: under 2 s at "
        "every size, no growth with the number of cooperatives. The machine is shared: the "
        "load average column is the 1-minute load average when each row was taken.",
        "",
        "| existing cooperatives | task alone | task alone, no spare schema | "
        "HTTP: submit → logged in | HTTP: verification click → logged in | "
        "by running migrations instead | load average |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['size']:,} | {_fmt(r['task'])} | {_fmt(r['task_cold'])} | "
            f"{_fmt(r['e2e'])} | {_fmt(r['ready'])} | "
            f"{_fmt(r['migrations'])} | {r['load']:.1f} |"
        )
    lines += [
        "",
        "Where the HTTP time goes (medians, seconds): *post* = POST of the form (validation, "
        "password hashing, the e-mail); *verify* = the e-mailed link opened and its "
        "button pressed (queues the task); *wait* = until the status page redirects (the "
        "worker's provisioning, of which *in worker* is the task's own measure); *login* = "
        "the one-time link opened and its button pressed; *home* = the new cooperative's "
        "first page.",
        "",
        "| existing cooperatives | post | verify | wait | (in worker) | login | home |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        st = r["stages"]
        med = {k: statistics.median(v) for k, v in st.items()}
        lines.append(
            f"| {r['size']:,} | {med['post']:.2f} | {med['verify']:.2f} | {med['wait']:.2f} | "
            f"{statistics.median(r['in_worker']) if r['in_worker'] else 0:.2f} | "
            f"{med['login']:.2f} | {med['home']:.2f} |"
        )
    lines += [
        "",
        "- *task alone*: `signup_provision` — take a spare schema (a ready clone of the "
        "template, renamed), first admin (password hashed at sign-up, not here), every "
        "`TENANT_SEEDERS` function (chart of accounts, savings and loan products), billing's "
        "trial hook, audit rows; one transaction. The pool (`TENANT_SPARE_SCHEMAS`, 2) is "
        "refilled by the task after the cooperative is ready; the bench waits for that "
        "between samples.",
        "- *no spare schema*: the same with the pool empty, so the schema is made by running "
        "the template's DDL snapshot (one multi-statement script, no catalog scans).",
        "- *HTTP*: a real `runserver` and a real Celery worker (solo pool) on a private Redis "
        "database; the client polls the status page every 20 ms (the page itself polls every "
        "0.5 s, so a person sees up to 0.5 s more).",
        "- *by running migrations*: `cooperative_create(clone=False)`, i.e. what a new "
        "cooperative cost before the template schema (every tenant migration, then the same "
        "seeding).",
        f"- Existing cooperatives are real schemas cloned from the template (no seed data); "
        f"at the end the database held {relations:,} relations in `pg_class`. Building the "
        f"public schema and the template with `migrate_schemas` took {migrate_s:.1f} s.",
        "",
    ]
    text = "\n".join(lines)
    write_docs_section(SECTION, text)


if __name__ == "__main__":
    main()
