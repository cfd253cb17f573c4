#!/usr/bin/env python
"""Payroll-deduction cycle: 5,000 members in 20 agencies, each with simpanan wajib and one
or two running loans (targets: posting 1.5 s per 5,000 members as issue #20 asks, whole
cycle under 30 s, peak memory under 500 MB).

    .venv/bin/python bench/deductions_bench.py [--members 5000] [--agencies 20] [--no-write]
        [--history-months 120]

Uses its own database (BENCH_DB, default ``lumbung_bench_deductions``, created and
migrated when missing). Creates a throw-away cooperative; members come in through the
members import (wajib opening balances), loans are inserted in bulk with their schedules
and one opening journal entry (set-up only, not timed). Every other member has a second
loan disbursed a month earlier whose first instalment is in arrears. ``--history-months N``
makes the cooperative older: every wajib account first gets N monthly deductions. Then,
through the same services the screens call, it times:

- generate: the month's run (wajib by grade, loan dues, arrears) written in chunks;
- export: one XLSX per agency (and, separately, the one workbook with all agencies);
- import: each agency's exported file with "Realisasi" filled (90 % in full, 5 % half,
  5 % 10,000 more), read and checked row by row;
- post: "post every ready agency" as in production: the agencies split into a few Celery
  tasks (``DEDUCTIONS_POST_TASKS``, default twice the worker's processes) on a worker
  started beforehand (``--workers`` prefork processes, default 2; broker: Redis database
  15 of $REDIS_URL's server or of 127.0.0.1:6379, or BENCH_REDIS_URL), each agency's batch
  one journal entry in one transaction (savings deposits, loan repayments, sukarela
  excess); timed to the last commit.
  ``--post sequential`` posts the batches one after the other in this process instead;
  there ``BENCH_PROFILE=1`` profiles one batch (``BENCH_PROFILE_AT=n``, default the
  first; ``BENCH_PROFILE_OUT=file`` also saves it for pstats) and ``BENCH_SQL=1`` times each SQL statement of the second; with the worker, ``BENCH_WORKER_PROFILE=<dir>`` has each pool process profile itself (CPU time) into ``<dir>``. It prints the CPU
  the posting took in this process and in its PostgreSQL backend (from /proc), which
  compares two codes on a busy machine better than wall time does, and the backend's
  CPU per batch (min, median, max). ``BENCH_EXPLAIN=1`` runs the second batch under
  auto_explain in this session only (ANALYZE, BUFFERS, WAL, nested statements: the
  triggers' and the commit's foreign-key checks; ``BENCH_EXPLAIN_OUT=file`` keeps the
  plans); ``BENCH_EXPLAIN=stats`` gives that batch's backend CPU per phase (parse,
  plan, execute) from PostgreSQL's ``log_*_stats``; ``BENCH_HOT=1`` prints the rows each
  table had updated while posting, how many of them HOT, and any autovacuum meanwhile.

``--repeat N`` runs it all N times (a new cooperative each) and reports the median.

then checks sub-ledgers = control accounts and drops the cooperative. Peak memory is the
process's maximum resident set size (ru_maxrss), set-up included.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import logging
import os
import platform
import pstats
import resource
import subprocess
import sys
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

import psutil
from _common import (
    CpuSampler,
    bench_redis_url,
    django_setup,
    machine_busy_s,
    postgres_backends,
    postgres_procs,
    process_tree,
    write_docs_section,
)
from _common import ensure_database as _ensure_database

DB = django_setup(
    "lumbung_bench_deductions",
    # as in production: no per-query bookkeeping of DEBUG (the other benchmarks do the same);
    # the bench's own broker database, apart from the demo's and the tests'
    env={
        "DJANGO_DEBUG": "false",
        "REDIS_URL": bench_redis_url(15),
    },
    defaults={"CELERY_TASK_ALWAYS_EAGER": "1"},  # set-up; posting switches it off
)

from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from core.deductions import exports
from core.deductions.models import DeductionLine, DeductionRun
from core.deductions.services import (
    deduction_import_discard,
    deduction_import_post,
    deduction_import_upload,
    deduction_run_create,
    deduction_run_generate,
    deduction_run_post_all_enqueue,
    deduction_settings_update,
)
from core.ledger.models import JournalLine
from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, journal_post
from core.loans import schedules as S
from core.loans.models import Instalment, Loan, LoanProduct
from core.loans.selectors import loans_reconciliation
from core.members.models import Agency, Member
from core.savings.member_import import member_import_run, member_import_upload
from core.savings.selectors import savings_reconciliation
from core.users.models import User
from lumbung.celery import app
from tenants.services import cooperative_create, cooperative_discard, public_tenant_ensure

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Payroll deduction: {members:,} members, {agencies} agencies"
# issue #20: 5,000 members posted in 1.5 s, 20,000 in 6 s (the same rate)
POST_TARGET_S_PER_MEMBER = 1.5 / 5000


def member_csv(n: int, agencies: list[str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(
        [
            "nama_lengkap",
            "nip",
            "nik",
            "golongan",
            "kode_instansi",
            "tanggal_masuk",
            "saldo_pokok",
            "saldo_wajib",
        ]
    )
    for i in range(n):
        y, m, d = 1966 + i % 30, 1 + (i // 30) % 12, 1 + (i // 360) % 28
        female = i % 2 == 1
        nip = f"{y:04d}{m:02d}{d:02d}{y + 25:04d}{1 + i % 12:02d}{2 if female else 1}{i % 999 + 1:03d}"
        nik = f"6271{1 + i % 5:02d}{d + 40 if female else d:02d}{m:02d}{y % 100:02d}{(i % 9999) + 1:04d}"
        w.writerow(
            [
                f"Anggota Uji {i:05d}",
                nip,
                nik,
                ["II/c", "III/a", "III/b", "IV/a"][i % 4],
                agencies[i % len(agencies)],
                "2015-01-02",
                "100000",
                str(50_000 * (1 + i % 60)),
            ]
        )
    return buf.getvalue().encode()


def bulk_loans(*, cutoff: date, user) -> int:
    """One loan per member due at the cut-off; every other member a second loan one month
    older whose first instalment is unpaid (arrears). One opening entry for the principal."""
    product = LoanProduct.objects.filter(method="flat").order_by("pk").first()
    petugas = User.objects.create_user(username="petugas@bench", role="petugas")
    ketua = User.objects.create_user(username="ketua@bench", role="ketua")
    members = list(Member.objects.order_by("pk").values_list("pk", flat=True))
    loans = []
    k = 0
    for i, mid in enumerate(members):
        for extra in range(2 if i % 2 == 0 else 1):
            k += 1
            first_due = S.add_months(cutoff, -extra)
            on = S.add_months(first_due, -1)
            principal = Decimal(5_000_000 + (i % 10) * 1_000_000)
            loans.append(
                Loan(
                    number=f"PJ-B-{k:06d}",
                    member_id=mid,
                    product=product,
                    status=Loan.Status.DISBURSED,
                    principal=principal,
                    tenor=24,
                    method="flat",
                    rate=Decimal("1"),
                    rate_period="month",
                    applied_on=on,
                    applied_by=petugas,
                    verified_by=user,
                    approved_by=ketua,
                    disbursed_on=on,
                    disbursed_by=user,
                    net_disbursed=principal,
                    first_due_date=first_due,
                    principal_outstanding=principal,
                )
            )
    total = sum((ln.principal for ln in loans), Decimal(0))
    entry = journal_post(
        on=min(ln.disbursed_on for ln in loans),
        description="Saldo awal pinjaman (benchmark)",
        lines=[
            *[
                LineSpec(
                    account=account_for_role("loan_receivable"),
                    debit=ln.principal,
                    member_id=ln.member_id,
                )
                for ln in loans
            ],
            LineSpec(account=account_for_role("bank"), credit=total),
        ],
        source="opening",
        source_ref="bench-loans",
        by=user,
    )
    for ln in loans:
        ln.disbursement_entry = entry
    Loan.objects.bulk_create(loans, batch_size=2000)
    # the schedules a thousand loans at a time (bulk_create lists what it is given: all
    # 720,000 rows of 30,000 loans at once were 650 MB of this set-up, not of the product)
    rate = S.monthly_rate(Decimal("1"), "month")
    for i in range(0, len(loans), 1000):
        Instalment.objects.bulk_create(
            [
                Instalment(
                    loan=ln,
                    number=r.number,
                    due_date=r.due_date,
                    principal=r.principal,
                    jasa=r.jasa,
                )
                for ln in loans[i : i + 1000]
                for r in S.build_schedule(
                    method="flat",
                    principal=ln.principal,
                    rate=rate,
                    tenor=24,
                    first_due=ln.first_due_date,
                ).rows
            ],
            batch_size=5000,
        )
    return len(loans)


def savings_history(*, months: int, on: date, user) -> int:
    """``months`` earlier monthly wajib deductions on every wajib account, as years of
    payroll leave them (set-up only, not timed): the rows are written month after month, so
    an account's rows lie on as many table pages as in a real cooperative, with their
    running ``balance_after`` (all dated ``on``: the balance check reads no dates); the accounts' balances and one journal entry (bank to the wajib
    control account, a line per member) follow, so the books still reconcile. Then VACUUM
    ANALYZE, as autovacuum leaves an old table. Returns the rows written."""
    from core.savings.models import SavingsAccount, SavingsProduct

    wajib = list(
        SavingsAccount.objects.filter(product__kind=SavingsProduct.Kind.WAJIB)
        .order_by("pk")
        .values_list("pk", "member_id", "product_id")
    )
    if not wajib or months <= 0:
        return 0
    control = {p.pk: p.account for p in SavingsProduct.objects.select_related("account")}
    step = Decimal(50_000)
    entry = journal_post(
        on=on,
        description=f"Riwayat simpanan wajib {months} bulan (benchmark)",
        lines=[
            *[
                LineSpec(account=control[prod], credit=step * months, member_id=mid)
                for _pk, mid, prod in wajib
            ],
            LineSpec(account=account_for_role("bank"), debit=step * months * len(wajib)),
        ],
        source="opening",
        source_ref="bench-savings-history",
        by=user,
    )
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO savings_savingstransaction
              (account_id, "on", kind, channel, amount, delta, balance_after, memo,
               created_at, journal_entry_id)
            SELECT a.id, %s, 'payroll', 'payroll', %s, %s, a.balance + %s * g, '', now(), %s
            FROM savings_savingsaccount a, generate_series(1, %s) g
            WHERE a.id = ANY(%s)
            ORDER BY g, a.id
            """,
            [on, step, step, step, entry.pk, months, [pk for pk, _m, _a in wajib]],
        )
        n = cur.rowcount
        cur.execute(
            "UPDATE savings_savingsaccount SET balance = balance + %s WHERE id = ANY(%s)",
            [step * months, [pk for pk, _m, _a in wajib]],
        )
    for table in ("savings_savingstransaction", "savings_savingsaccount"):
        with connection.cursor() as cur:
            cur.execute(f"VACUUM ANALYZE {table}")
    return n


def fill(content: bytes, i0: int) -> bytes:
    """The exported file with Realisasi filled: 90 % in full, 5 % half, 5 % +10,000."""
    wb = load_workbook(io.BytesIO(content))
    ws = wb.worksheets[0]
    n = 0
    for row in ws.iter_rows(min_row=7):
        if row[0].value in (None, "TOTAL"):
            continue
        asked = int(row[8].value)
        j = (i0 + n) % 20
        row[9].value = asked // 2 if j == 3 else asked + 10000 if j == 7 else asked
        n += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _as_csv(content: bytes) -> bytes:
    """The filled export as the treasurer's CSV: NIP and Realisasi of each member row."""
    ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["NIP", "Realisasi"])
    for row in ws.iter_rows(min_row=7, values_only=True):
        if row[0] in (None, "TOTAL") or row[2] is None:
            continue
        w.writerow([row[2], row[9]])
    return buf.getvalue().encode()


def peak_reset() -> None:
    """Reset this process's peak resident set (VmHWM) to what it holds now."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_mb() -> float:
    """This process's peak resident set (VmHWM) since the last ``peak_reset`` (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_workers(concurrency: int):
    """A Celery worker like production's (prefork, ``concurrency`` processes) on the
    bench's database and broker; returns once it answers a ping."""
    env = dict(
        os.environ,
        CELERY_TASK_ALWAYS_EAGER="0",
        DB_CONN_MAX_AGE=os.environ.get("BENCH_CONN_MAX_AGE", "60"),
    )
    # BENCH_WORKER_PROFILE=<dir>: each pool process profiles itself (_profiled_worker.py)
    profile_dir = os.environ.get("BENCH_WORKER_PROFILE")
    start = (
        [sys.executable, str(ROOT / "bench" / "_profiled_worker.py"), profile_dir]
        if profile_dir
        else [sys.executable, "-m", "celery"]
    )
    proc = subprocess.Popen(
        [*start, "-A", "lumbung", "worker", "-P", "prefork"]
        + [f"--concurrency={concurrency}", "--loglevel=WARNING", "--without-gossip"]
        + ["--without-mingle", "--without-heartbeat", "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the Celery worker exited while starting")
        if app.control.ping(timeout=1.0):
            return proc
    proc.terminate()
    raise RuntimeError("the Celery worker did not answer within 90 s")


def _peak_rss_mb(pid: int) -> float:
    """The peak resident set (VmHWM) of ``pid`` and its child processes, the largest (MB)."""
    pids = [pid]
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(d.name))
    peak = 0.0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


def stop_workers(proc) -> float:
    """Stop the worker; returns the largest peak resident set of its processes (MB)."""
    peak = _peak_rss_mb(proc.pid)
    proc.terminate()
    proc.wait(timeout=60)
    return peak


def run(
    members: int,
    n_agencies: int,
    post: str = "workers",
    workers: int = 2,
    history_months: int = 0,
    cpu_sample: bool = True,
) -> dict:
    slug = f"bench-pg-{uuid.uuid4().hex[:6]}"
    coop = cooperative_create(
        slug=slug, name=f"KPRI {slug}", admin_email=f"admin@{slug}.test", actor="bench"
    ).cooperative
    out: dict = {"members": members, "agencies": n_agencies}
    try:
        connection.set_tenant(coop)
        codes = [f"INST{i:02d}" for i in range(n_agencies)]
        for c in codes:
            Agency.objects.create(code=c, name=f"Instansi {c}")
        user = User.objects.create_user(username="bendahara@bench", role="bendahara")
        today = timezone.localdate()
        cutoff_day = min(today.day, 28)
        cutoff = today.replace(day=cutoff_day)
        t0 = time.perf_counter()
        batch = member_import_upload(
            content=member_csv(members, codes), file_name="anggota.csv", by=user
        )
        assert batch.status == "valid", batch.errors[:3]
        member_import_run(batch=batch, opening_date=date(today.year - 1, 12, 1), by=user)
        out["loans"] = bulk_loans(cutoff=cutoff, user=user)
        out["history_months"] = history_months
        out["history_rows"] = savings_history(
            months=history_months, on=date(today.year - 1, 12, 1), user=user
        )
        out["setup_s"] = time.perf_counter() - t0
        deduction_settings_update(
            by=user, cutoff_day=cutoff_day, priority="jasa,principal,wajib,others"
        )

        t0 = time.perf_counter()
        r = deduction_run_create(year=cutoff.year, month=cutoff.month, by=user)
        r = deduction_run_generate(run=r, by=user)
        out["generate_s"] = time.perf_counter() - t0
        out["lines"] = DeductionLine.objects.filter(run=r).count()

        agencies = list(Agency.objects.order_by("code"))
        t0 = time.perf_counter()
        files = {a.pk: exports.agency_xlsx(run=r, agency=a) for a in agencies}
        out["export_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        out["export_all_bytes"] = len(exports.all_agencies_xlsx(run=r))
        out["export_all_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        exports.cover_letter_pdf(run=r, agency=agencies[0])
        out["pdf_s"] = time.perf_counter() - t0

        filled = {a.pk: fill(files[a.pk], i * 7) for i, a in enumerate(agencies)}  # untimed
        t0 = time.perf_counter()
        imports = []
        for a in agencies:
            imp = deduction_import_upload(
                run=r, agency=a, content=filled[a.pk], file_name=f"{a.code}.xlsx", by=user
            )
            assert imp.status == "valid", (imp.file_errors, imp.errors[:3])
            imports.append(imp)
        out["import_s"] = time.perf_counter() - t0
        out["import_one_rows"] = len(imports[0].rows)
        out["import_one_xlsx_bytes"] = len(filled[agencies[0].pk])
        # one agency's return checked alone: its XLSX again and the same return as a CSV
        # (NIP, Realisasi), each timed with the peak memory of the check itself (the
        # process's peak reset before it); each import discarded after (one file per agency)
        xlsx_name = f"{agencies[0].code}-2.xlsx"
        for kind, content, name in (
            ("xlsx", filled[agencies[0].pk] + b"", xlsx_name),
            ("csv", _as_csv(filled[agencies[0].pk]), f"{agencies[0].code}.csv"),
        ):
            if kind == "xlsx":  # the same bytes are refused as a duplicate
                deduction_import_discard(imp=imports[0], by=user)
            peak_reset()
            t0 = time.perf_counter()
            imp = deduction_import_upload(
                run=r, agency=agencies[0], content=content, file_name=name, by=user
            )
            out[f"import_one_{kind}_s"] = time.perf_counter() - t0
            out[f"import_one_{kind}_peak_mb"] = peak_mb()
            assert imp.status == "valid", (imp.file_errors, imp.errors[:3])
            if kind == "xlsx":
                deduction_import_discard(imp=imp, by=user)
            else:
                imports[0] = imp  # the CSV's import is posted

        out["post_mode"] = post
        if post == "workers":
            # "Post every ready agency" as in production: a few Celery tasks of agencies,
            # posted side by side by a worker of ``workers`` processes (started before
            # the clock, as a running worker is); timed from the request to the last
            # batch committed (the run marked done)

            proc = start_workers(workers)
            app.conf.task_always_eager = False
            samplers: list = []
            try:
                # where the CPU goes while posting: the worker's processes, PostgreSQL's
                # and this one (the request, then polling for the end)
                # (--no-cpu-sample: none of it, the sampling's own CPU — ≈ 18 ms every
                # 0.25 s on a slow machine — left to the posting; only its time is measured)
                samplers = (
                    [
                        CpuSampler(lambda: process_tree(proc.pid)),
                        CpuSampler(postgres_procs),
                        # the worker's main process alone (messages in, results out), and
                        # the backends of the bench's database alone (other jobs may use
                        # the server)
                        CpuSampler(lambda: process_tree(proc.pid)[:1]),
                        CpuSampler(lambda: postgres_backends(DB)),
                    ]
                    if cpu_sample
                    else []
                )
                for sampler in samplers:
                    sampler.start()
                machine0, self0 = psutil.cpu_times(), resource.getrusage(resource.RUSAGE_SELF)
                t0 = time.perf_counter()
                deduction_run_post_all_enqueue(run=r, by=user)
                # polled with one plain statement (the ORM's query costs this process
                # several times as much CPU, 50 times a second)
                table = DeductionRun._meta.db_table
                with connection.cursor() as cursor:
                    while True:
                        cursor.execute(f"SELECT posting_status FROM {table} WHERE id = %s", [r.pk])
                        if cursor.fetchone()[0] == DeductionRun.PostingStatus.DONE:
                            break
                        if time.perf_counter() - t0 > 600:
                            raise RuntimeError("posting did not finish in 10 minutes")
                        time.sleep(0.02)
                out["post_s"] = time.perf_counter() - t0
                self1 = resource.getrusage(resource.RUSAGE_SELF)
                out["post_busy_cores"] = (
                    machine_busy_s(machine0, psutil.cpu_times()) / out["post_s"]
                )
                out["post_cpu_bench_s"] = (
                    self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime
                )
                out["post_cpu_sampled"] = cpu_sample
                if cpu_sample:
                    out["post_cpu_worker_s"] = samplers[0].stop()
                    out["post_cpu_pg_s"] = samplers[1].stop()
                    out["post_cpu_worker_main_s"] = samplers[2].stop()
                    out["post_cpu_pg_db_s"] = samplers[3].stop()
                    print(_post_cpu_text(out, n_agencies))
                    print(
                        f"[post] of which the worker's main process "
                        f"{out['post_cpu_worker_main_s'] / n_agencies * 1000:.0f} ms a batch; "
                        f"the backends of database {DB} "
                        f"{out['post_cpu_pg_db_s'] / n_agencies * 1000:.0f} ms a batch"
                    )
                else:
                    print(
                        f"[post] {out['post_busy_cores']:.2f} of 2 cores busy (CPU not sampled); "
                        f"this process {out['post_cpu_bench_s']:.2f} s"
                    )
            finally:
                for sampler in samplers:
                    if sampler.is_alive():
                        sampler.stop()
                app.conf.task_always_eager = True
                out["worker_peak_mb"] = stop_workers(proc)
            results = DeductionRun.objects.get(pk=r.pk).posting_results
            assert all(x["ok"] for x in results), [x for x in results if not x["ok"]]
            out["workers"] = workers
        else:
            per = []
            # CPU of this process and of its PostgreSQL backend (from /proc): a busy
            # machine stretches wall time far more than the CPU a posting needs
            with connection.cursor() as cur:
                cur.execute("SELECT pg_backend_pid()")
                backend = psutil.Process(cur.fetchone()[0])
            hot0 = _table_writes() if os.environ.get("BENCH_HOT") else None
            cpu0 = (resource.getrusage(resource.RUSAGE_SELF), backend.cpu_times())
            t0 = time.perf_counter()
            pg_per = [sum(cpu0[1][:2])]
            for n, imp in enumerate(imports):
                t1 = time.perf_counter()
                if n == 1 and os.environ.get("BENCH_SQL"):
                    timings = []

                    def _timed(execute, sql, params, many, context, _log=timings):
                        t = time.perf_counter()
                        try:
                            return execute(sql, params, many, context)
                        finally:
                            _log.append((time.perf_counter() - t, sql[:150]))

                    with connection.execute_wrapper(_timed):
                        deduction_import_post(imp=imp, by=user)
                    print(f"SQL: {len(timings)} statements, {sum(t for t, _s in timings):.3f} s")
                    for t, q in sorted(timings, reverse=True)[:15]:
                        print(f"  {t * 1000:8.1f} ms  {q}")
                elif n == 1 and os.environ.get("BENCH_EXPLAIN"):
                    _explained(lambda imp=imp: deduction_import_post(imp=imp, by=user))
                elif n == int(os.environ.get("BENCH_PROFILE_AT", "0")) and os.environ.get(
                    "BENCH_PROFILE"
                ):
                    prof = cProfile.Profile()
                    prof.runcall(deduction_import_post, imp=imp, by=user)
                    if os.environ.get("BENCH_PROFILE_OUT"):  # for pstats / snakeviz
                        prof.dump_stats(os.environ["BENCH_PROFILE_OUT"])
                    sort = "tottime" if os.environ["BENCH_PROFILE"] == "tottime" else "cumulative"
                    pstats.Stats(prof).sort_stats(sort).print_stats(45)
                else:
                    deduction_import_post(imp=imp, by=user)
                per.append(time.perf_counter() - t1)
                pg_per.append(sum(backend.cpu_times()[:2]))
            out["post_s"] = time.perf_counter() - t0
            out["post_max_s"] = max(per)
            self1, pg1 = resource.getrusage(resource.RUSAGE_SELF), backend.cpu_times()
            out["post_cpu_bench_s"] = (
                self1.ru_utime + self1.ru_stime - cpu0[0].ru_utime - cpu0[0].ru_stime
            )
            out["post_cpu_pg_s"] = pg1.user + pg1.system - cpu0[1].user - cpu0[1].system
            print(
                f"[post sequential] CPU: this process {out['post_cpu_bench_s']:.2f} s "
                f"({out['post_cpu_bench_s'] / n_agencies * 1000:.0f} ms a batch), its "
                f"PostgreSQL backend {out['post_cpu_pg_s']:.2f} s "
                f"({out['post_cpu_pg_s'] / n_agencies * 1000:.0f} ms a batch)"
            )
            each = sorted(b - a for a, b in zip(pg_per, pg_per[1:], strict=False))
            print(
                "[post sequential] PostgreSQL backend CPU per batch: min "
                f"{each[0] * 1000:.0f}, median {each[len(each) // 2] * 1000:.0f}, max "
                f"{each[-1] * 1000:.0f} ms (the first batch {(pg_per[1] - pg_per[0]) * 1000:.0f} ms)"
            )
            if hot0 is not None:
                _print_table_writes(hot0, _table_writes())
        out["cycle_s"] = out["generate_s"] + out["export_s"] + out["import_s"] + out["post_s"]
        entries = [i.entry_id for i in imports if not i.refresh_from_db()]
        out["journal_lines"] = JournalLine.objects.filter(entry_id__in=entries).count()
        rec = loans_reconciliation()
        assert rec["principal_subledger"] == rec["principal_ledger"], rec
        srec = savings_reconciliation()
        assert srec.ok, srec.rows
        out["reconciled"] = True
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return out
    finally:
        connection.set_schema_to_public()
        cooperative_discard(cooperative=coop)


def _explained(post) -> None:
    """``BENCH_EXPLAIN=1``: run ``post`` (one batch) with auto_explain in this session only
    (ANALYZE, BUFFERS, WAL, nested statements: the triggers' and the commit's deferred
    checks too), the plans sent to this client as notices; print the statements by time."""
    raw = connection.connection

    class _Notices:  # not a list: psycopg2 keeps only a list's last 50
        def __init__(self) -> None:
            self.all: list[str] = []

        def append(self, text: str) -> None:
            self.all.append(text)

    collector = _Notices()
    notices = collector.all
    raw.notices = collector
    if os.environ["BENCH_EXPLAIN"] == "stats":
        _phase_stats(post, raw, collector, notices)
        return
    with connection.cursor() as cur:
        cur.execute(
            "LOAD 'auto_explain'; SET auto_explain.log_min_duration = 0;"
            " SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;"
            " SET auto_explain.log_wal = on; SET auto_explain.log_timing = on;"
            " SET auto_explain.log_nested_statements = on; SET client_min_messages = log"
        )
    try:
        post()
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET client_min_messages; SET auto_explain.log_min_duration = -1")
        raw.notices = []
    rows = []
    for text in notices:
        if "duration:" not in text:
            continue
        ms = float(text.split("duration:")[1].split("ms")[0])
        query = (
            text.split("Query Text:")[1].strip().splitlines()[0] if "Query Text:" in text else ""
        )
        wal = [x.strip() for x in text.splitlines() if x.strip().startswith("WAL:")]
        rows.append((ms, query[:140], wal[0] if wal else ""))
    print(f"EXPLAIN: {len(rows)} statements (nested included), {sum(r[0] for r in rows):.1f} ms")
    for ms, query, wal in sorted(rows, reverse=True)[:25]:
        print(f"  {ms:8.2f} ms  {query}  {wal}")
    if os.environ.get("BENCH_EXPLAIN_OUT"):
        Path(os.environ["BENCH_EXPLAIN_OUT"]).write_text("\n\n".join(notices))


def _phase_stats(post, raw, collector, notices: list[str]) -> None:
    """``BENCH_EXPLAIN=stats``: the backend's CPU per phase of every statement of one
    batch (PostgreSQL's ``log_parser_stats`` / ``log_planner_stats`` /
    ``log_executor_stats``, to this client), summed per phase."""
    with connection.cursor() as cur:
        cur.execute(
            "SET log_parser_stats = on; SET log_planner_stats = on;"
            " SET log_executor_stats = on; SET client_min_messages = log"
        )
    raw.notices = collector
    try:
        post()
    finally:
        with connection.cursor() as cur:
            cur.execute(
                "RESET client_min_messages; RESET log_parser_stats; RESET log_planner_stats;"
                " RESET log_executor_stats"
            )
        raw.notices = []
    phases: dict[str, list[float]] = {}
    for text in notices:
        if "STATISTICS" not in text:
            continue
        name = text.split("LOG:")[-1].strip().splitlines()[0].strip()
        line = next((x for x in text.splitlines() if " s user, " in x), "")
        if not line:
            continue
        parts = line.replace("!", "").split(",")
        cpu = float(parts[0].split()[0]) + float(parts[1].split()[0])
        phases.setdefault(name, []).append(cpu)
    total = sum(sum(v) for v in phases.values())
    print(f"PHASES (backend CPU, one batch): {total * 1000:.1f} ms")
    for name, v in sorted(phases.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {name:32} {len(v):5} x  {sum(v) * 1000:7.1f} ms")
    if os.environ.get("BENCH_EXPLAIN_OUT"):
        Path(os.environ["BENCH_EXPLAIN_OUT"]).write_text("\n\n".join(notices))


def _table_writes() -> dict[str, tuple[int, int]]:
    """``BENCH_HOT=1``: rows updated and HOT-updated per table of this cooperative."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(1.1)
        cur.execute(
            "SELECT relname, n_tup_upd, n_tup_hot_upd, autovacuum_count, autoanalyze_count"
            " FROM pg_stat_user_tables WHERE schemaname = current_schema()"
        )
        return {name: rest for name, *rest in cur.fetchall()}


def _print_table_writes(before: dict, after: dict) -> None:
    for name in sorted(after):
        upd, hot, vac, ana = (
            a - b for a, b in zip(after[name], before.get(name, (0,) * 4), strict=True)
        )
        if upd or vac or ana:
            print(f"  UPDATE {name}: {upd} rows, {hot} HOT; autovacuum {vac}, autoanalyze {ana}")


def _post_cpu_text(r: dict, batches: int) -> str:
    """Where the machine's CPU went while posting through the worker."""
    return (
        f"[post] CPU over {r['post_s']:.2f} s: {r['post_busy_cores']:.2f} of "
        f"{psutil.cpu_count()} cores busy; the worker's processes {r['post_cpu_worker_s']:.2f} s "
        f"({r['post_cpu_worker_s'] / batches * 1000:.0f} ms a batch), PostgreSQL "
        f"{r['post_cpu_pg_s']:.2f} s ({r['post_cpu_pg_s'] / batches * 1000:.0f} ms a batch), "
        f"this process (the request, then polling for the end) {r['post_cpu_bench_s']:.2f} s"
    )


def write_section(r: dict) -> None:
    def ok(v, limit):
        return "met" if v <= limit else "MISSED"

    section = SECTION.format(members=r["members"], agencies=r["agencies"])
    if r["history_months"]:
        section += f", wajib accounts {r['history_months']} months old"
    target = round(r["members"] * POST_TARGET_S_PER_MEMBER, 1)
    lines = [
        section,
        "",
        f"`bench/deductions_bench.py --members {r['members']} --agencies {r['agencies']}"
        + (f" --history-months {r['history_months']}" if r["history_months"] else "")
        + "` — "
        f"measured {date.today().isoformat()} on {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}, PostgreSQL on localhost, load average "
        f"{r['load_start']:.1f} at the start and {os.getloadavg()[0]:.1f} at the end (1-minute "
        f"`uptime` figure; the machine is shared with other work). "
        f"{r['members']:,} members, {r['loans']:,} running loans (half the members have a "
        f"second loan with an instalment in arrears), {r['lines']:,} deduction lines"
        + (
            f"; every wajib account already holds {r['history_months']} monthly deductions "
            f"({r['history_rows']:,} savings transactions written month after month, then "
            "VACUUM ANALYZE: `--history-months`)"
            if r["history_months"]
            else ""
        )
        + f". Set-up (members import, loans in bulk) took {r['setup_s']:.1f} s and is not "
        "counted.",
        "",
        "| step | time (s) | target |",
        "|---|---:|---|",
        f"| generate the run | {r['generate_s']:.2f} | |",
        f"| export {r['agencies']} agency XLSX files | {r['export_s']:.2f} | |",
        f"| (one workbook with all agencies, {r['export_all_bytes'] / 1024:,.0f} KiB) | "
        f"{r['export_all_s']:.2f} | not in the cycle |",
        f"| (one PDF cover letter) | {r['pdf_s']:.2f} | not in the cycle |",
        f"| import {r['agencies']} realized XLSX files (read + check every row) | {r['import_s']:.2f} | |",
        (
            f'| post {r["agencies"]} batches ({r["journal_lines"]:,} journal lines): "post '
            f'every ready agency", a few Celery tasks of agencies on a worker of {r["workers"]} '
            f"processes | {r['post_s']:.2f} | ≤ {target:g} s: {ok(r['post_s'], target)} |"
            if r["post_mode"] == "workers"
            else f"| post {r['agencies']} batches ({r['journal_lines']:,} journal lines) one "
            f"after the other in one process | {r['post_s']:.2f} | ≤ {target:g} s: "
            f"{ok(r['post_s'], target)} |"
        ),
        (
            f"| slowest single agency batch | {r['post_max_s']:.2f} | |"
            if "post_max_s" in r
            else f"| peak memory of a worker process (MB) | {r['worker_peak_mb']:.0f} | |"
        ),
        f"| whole cycle (generate + export + import + post) | {r['cycle_s']:.2f} | "
        f"< 30 s: {ok(r['cycle_s'], 30)} |",
        f"| peak memory of the process (MB, set-up included) | {r['peak_mb']:.0f} | "
        f"< 500 MB: {ok(r['peak_mb'], 500)} |",
        "",
        "After posting, the savings and loan sub-ledgers equal their control accounts.",
        "",
        (
            f"Posting times of the {len(r['post_runs'])} runs (a new cooperative each; the "
            f"table shows the median one): "
            + ", ".join(f"{v:.2f}" for v in r["post_runs"])
            + " s. This machine's speed varies by about ±15 % from run to run."
        ),
        "",
    ]
    if r["post_mode"] == "workers" and r.get("post_cpu_sampled", True):
        lines += [
            "Where the CPU went while the median run posted (each process's CPU read every "
            "0.25 s with psutil; PostgreSQL's figure is every `postgres` process of the "
            "machine, so it is the bench's only when nothing else runs): "
            + _post_cpu_text(r, r["agencies"]).removeprefix("[post] ")
            + ".",
            "",
        ]
    lines += [
        'How posting runs: "post every ready agency" (`deduction_run_post_all_start`, '
        "button on the run's page or `POST deductions/runs/<id>/post-all/`) enqueues one "
        "Celery task per group of agencies (`DEDUCTIONS_POST_TASKS`); the benchmark starts a worker as production runs one "
        "(prefork, `--workers` processes, `DB_CONN_MAX_AGE=60` so each process keeps its "
        "connection from one task to the next; docs/scaling.md) before the clock and times from "
        "the request to the last batch committed. Each batch is one transaction through the "
        "set-based services `core.loans.batch.loan_repayments_prepare_bulk` and "
        "`core.savings.batch.savings_deposits_apply_bulk` (the rules of "
        "`loan_repayment_prepare` / `savings_deposit_apply`, shared code; "
        "`tests/loans/test_batch.py` and `tests/savings/test_batch.py` compare them with the "
        "one-by-one services): about 50 SQL statements whatever its size, rows written with "
        "`UPDATE … FROM UNNEST` / `INSERT … SELECT … FROM UNNEST`, journal lines by COPY, "
        "savings transactions and repayments written already linked to the batch's "
        "reserved journal entry id, one audit row per loan batch. Batches of different "
        "agencies share no rows but the year's entry-number counter, locked from the "
        "journal entry to the commit (the lines and the import are written before it).",
        "",
    ]
    if (r["members"], r["agencies"], r["history_months"]) != (5000, 20, 0):
        lines += [
            "The earlier history of this figure is in the section of 5,000 members without "
            "savings history.",
            "",
        ]
    else:
        lines += _HISTORY_5000
    write_docs_section(section, "\n".join(lines) + "\n")


# measured on the 5,000-member, 20-agency run only
_HISTORY_5000 = [
    "Where a batch's time goes (250 members, 375 loans, measured in the worker): "
    "0.11-0.18 s of the worker's CPU (under 10 ms of it garbage collection) and about as "
    "much waiting for PostgreSQL (statements, the commit's foreign-key checks, the "
    "entry-number lock). One after the other in one process (`--post sequential`, what "
    "posting each agency by hand adds up to) Python and PostgreSQL take turns on one "
    "core at a time; side by side two workers keep both cores busy.",
    "",
    "History on 2026-11-29 (the same figure, the median of three runs unless one is "
    "given). The machine of the earlier session was much slower than this session's: "
    "there the code at c5d5271 took 5.59 s through the worker and 9.98 s one after the "
    "other; here the same code took 3.64 s (3.33-3.78) and 5.86 s. Then, here: the "
    "worker keeps its database connection between tasks (Celery's Django fix-up had "
    "closed it after every task whatever `DB_CONN_MAX_AGE` said, so each batch paid a "
    "connect and a server process with a cold catalog cache; `CELERY_DB_REUSE_MAX`, "
    "docs/scaling.md) and each loan's open instalments are listed with one index walk "
    "that stops after the next row instead of reading the whole schedule (20 ms -> 4 ms "
    "a batch): 2.63 s (2.52-2.90), one after the other 5.15-5.75 s; with `BENCH_CONN_MAX_AGE=0` (a new connection per "
    "task, as with PgBouncer's cheap connects but without its warm server processes) "
    "3.35 s (3.29-3.42). Earlier designs: one after the other 11.5-14.9 s on the "
    "earlier machine before that session's changes (reserved entry id, HOT updates, "
    "fewer indexes and locks, one audit row per batch); with the per-loan services (~11 "
    "queries per loan, commit 4ec37ab) 106 s.",
    "",
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--agencies", type=int, default=20)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument(
        "--post",
        choices=["workers", "sequential"],
        default="workers",
        help="workers: 'post every ready agency' through a Celery worker (default); "
        "sequential: each batch in turn in this process",
    )
    ap.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument(
        "--no-cpu-sample",
        action="store_true",
        help="while the worker posts, do not read the processes' CPU every 0.25 s (that "
        "reading costs CPU the two cores would otherwise give the posting): only the time",
    )
    ap.add_argument(
        "--history-months",
        type=int,
        default=0,
        help="give every wajib account N earlier monthly deductions first (an older "
        "cooperative: 120 = ten years); the docs get their own section",
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the whole cycle N times (a new cooperative each); the docs get the run "
        "with the median posting time and every run's posting time",
    )
    args = ap.parse_args()
    db = DB
    created = _ensure_database(db)
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    t0 = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    print(
        f"database {db} {'created and ' if created else ''}migrated in {time.perf_counter() - t0:.1f} s"
    )
    runs = []
    for _i in range(max(1, args.repeat)):
        load_start = os.getloadavg()[0]
        r = run(
            args.members,
            args.agencies,
            post=args.post,
            workers=args.workers,
            history_months=args.history_months,
            cpu_sample=not args.no_cpu_sample,
        )
        r["load_start"] = load_start
        runs.append(r)
        for k, v in r.items():
            print(f"{k:>18}: {v:.2f}" if isinstance(v, float) else f"{k:>18}: {v}")
    runs.sort(key=lambda x: x["post_s"])
    r = runs[len(runs) // 2]
    r["post_runs"] = [x["post_s"] for x in runs]
    if not args.no_write:
        write_section(r)


if __name__ == "__main__":
    main()
