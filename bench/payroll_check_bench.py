#!/usr/bin/env python
"""The check of one agency's big payroll return (issue #20: the payroll cycle of the
largest KPRI), alone: read the file and check every row against the run, as the upload
does, without the 13-minute set-up of ``deductions_bench.py`` each time.

    .venv/bin/python bench/payroll_check_bench.py --setup [--members 20000]
    .venv/bin/python bench/payroll_check_bench.py --check [--repeat 3] [--profile out.prof]
    .venv/bin/python bench/payroll_check_bench.py --confirm [--repeat 3] [--profile out.prof]
    .venv/bin/python bench/payroll_check_bench.py --post [--tracemalloc]
    .venv/bin/python bench/payroll_check_bench.py --drop

``--setup`` makes a cooperative in its own database (BENCH_DB, default
``lumbung_bench_payroll_check``) with one agency of ``--members`` members and their loans
(the set-up of ``deductions_bench.py``), generates the month's run and writes the agency's
filled export (XLSX) and the same return as a CSV (NIP, Realisasi) to BENCH_DIR (default
/tmp/lumbung_payroll_check), with the cooperative's schema. ``--check`` uploads each file
through ``deduction_import_upload`` inside a transaction it rolls back (so it can be
repeated on the same run), and prints for each: the wall time, this process's CPU, the
CPU of its PostgreSQL backend (from /proc) and the time of the reading alone
(``parse_realized``). To compare two codes on a busy machine run ``--check`` from each
checkout in turn against the same set-up (PYTHONPATH is this file's checkout).
``--profile`` saves a cProfile of one XLSX upload. ``--confirm`` times the next step, the
confirmation page of the CSV's import (uploaded once, in a transaction rolled back at the
end): ``deduction_import_plan``, ``deduction_import_post_preview`` on the default posting
date, ``deduction_import_post_check`` and the totals (``figures``), each its wall time and
CPU (process and backend); ``--profile`` with it saves a cProfile of the first plan and
preview. ``--post`` posts the CSV's import (uploaded and committed by the first
``--post``, kept valid: each posting is rolled back) once in this process, as a worker
posts one agency's batch, and prints its wall time, CPU (process and backend), the
process's resident memory before and its peak during the posting (VmHWM, reset before
it); with ``--tracemalloc`` also Python's traced memory at each of the posting's test
hooks (``_inject_failure_point``) and the lines that hold the most at the fullest one (the
timings then mean nothing). ``--drop`` drops the cooperative.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import resource
import statistics
import threading
import time
import tracemalloc
from datetime import date
from pathlib import Path

from _common import bench_redis_url, django_setup
from _common import ensure_database as _ensure_database

DB = django_setup(
    "lumbung_bench_payroll_check",
    env={"DJANGO_DEBUG": "false", "REDIS_URL": bench_redis_url(15)},
    defaults={"CELERY_TASK_ALWAYS_EAGER": "1"},
)

from deductions_bench import _as_csv, bulk_loans, fill, member_csv
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from core.deductions import exports
from core.deductions.models import DeductionImport, DeductionRun
from core.deductions.parsing import parse_realized
from core.deductions.services import (
    deduction_import_plan,
    deduction_import_post,
    deduction_import_post_check,
    deduction_import_post_preview,
    deduction_import_upload,
    deduction_run_create,
    deduction_run_generate,
    deduction_settings_update,
    posting_date_clean,
)
from core.deductions.services import posting as posting_module
from core.ledger.services import posting as ledger_posting
from core.members.models import Agency
from core.savings.member_import import member_import_run, member_import_upload
from core.users.models import User
from tenants.models import Cooperative
from tenants.services import cooperative_create, cooperative_discard, public_tenant_ensure

ROOT = Path(__file__).resolve().parents[1]
DIR = Path(os.environ.get("BENCH_DIR", "/tmp/lumbung_payroll_check"))
STATE = DIR / "state.json"


def setup(members: int) -> None:
    _ensure_database(DB)
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    slug = "bench-payroll-check"
    coop = cooperative_create(
        slug=slug, name=f"KPRI {slug}", admin_email=f"admin@{slug}.test", actor="bench"
    ).cooperative
    connection.set_tenant(coop)
    agency = Agency.objects.create(code="INST00", name="Instansi INST00")
    user = User.objects.create_user(username="bendahara@bench", role="bendahara")
    today = timezone.localdate()
    cutoff = today.replace(day=min(today.day, 28))
    t0 = time.perf_counter()
    batch = member_import_upload(
        content=member_csv(members, [agency.code]), file_name="anggota.csv", by=user
    )
    assert batch.status == "valid", batch.errors[:3]
    member_import_run(batch=batch, opening_date=date(today.year - 1, 12, 1), by=user)
    loans = bulk_loans(cutoff=cutoff, user=user)
    deduction_settings_update(
        by=user, cutoff_day=cutoff.day, priority="jasa,principal,wajib,others"
    )
    run = deduction_run_generate(
        run=deduction_run_create(year=cutoff.year, month=cutoff.month, by=user), by=user
    )
    filled = fill(exports.agency_xlsx(run=run, agency=agency), 0)
    DIR.mkdir(parents=True, exist_ok=True)
    (DIR / "return.xlsx").write_bytes(filled)
    (DIR / "return.csv").write_bytes(_as_csv(filled))
    STATE.write_text(
        json.dumps(
            {"schema": coop.schema_name, "run": run.pk, "agency": agency.pk, "user": user.pk}
        )
    )
    print(f"set up {members} members, {loans} loans in {time.perf_counter() - t0:.1f} s")


def _backend_cpu_s() -> float:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def check(repeat: int, profile: str | None) -> None:
    state = json.loads(STATE.read_text())
    connection.set_tenant(Cooperative.objects.get(schema_name=state["schema"]))
    run = DeductionRun.objects.get(pk=state["run"])
    agency = Agency.objects.get(pk=state["agency"])
    user = User.objects.get(pk=state["user"])
    files = {k: (DIR / f"return.{k}").read_bytes() for k in ("xlsx", "csv")}
    results: dict[str, list] = {k: [] for k in files}
    for i in range(repeat):
        for kind, content in files.items():
            t0, c0 = time.perf_counter(), _cpu_s()
            parse_realized(content=content, file_name=f"r.{kind}", agency_code=agency.code)
            parse_s = _cpu_s() - c0
            prof = cProfile.Profile() if profile and kind == "xlsx" and i == 0 else None
            b0 = _backend_cpu_s()
            t0, c0 = time.perf_counter(), _cpu_s()
            with transaction.atomic():
                if prof:
                    prof.enable()
                imp = deduction_import_upload(
                    run=run, agency=agency, content=content, file_name=f"r.{kind}", by=user
                )
                if prof:
                    prof.disable()
                wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
                summary = f"{imp.status}: {len(imp.rows)} rows, {len(imp.errors)} row errors"
                transaction.set_rollback(True)
            backend = _backend_cpu_s() - b0
            if prof:
                prof.dump_stats(profile)
            results[kind].append((wall, cpu, backend, parse_s))
            print(
                f"{kind}: wall {wall:.2f} s, cpu {cpu:.2f} s, backend {backend:.2f} s, "
                f"parse alone {parse_s:.2f} cpu-s; {summary}; load {os.getloadavg()[0]:.1f}"
            )
    for kind, rs in results.items():
        med = [statistics.median(x) for x in zip(*rs, strict=True)]
        print(
            f"{kind} median of {len(rs)}: wall {med[0]:.2f} s, cpu {med[1]:.2f} s, "
            f"backend {med[2]:.2f} s, parse alone {med[3]:.2f} cpu-s"
        )


def _timed(took: dict, name: str, prof, fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, its wall time, CPU and backend CPU put in ``took[name]``
    (profiled into ``prof`` when given)."""
    b0, t0, c0 = _backend_cpu_s(), time.perf_counter(), _cpu_s()
    if prof:
        prof.enable()
    out = fn(*args, **kwargs)
    if prof:
        prof.disable()
    took[name] = (time.perf_counter() - t0, _cpu_s() - c0, _backend_cpu_s() - b0)
    return out


def confirm(repeat: int, profile: str | None) -> None:
    """The confirmation page's reads of the CSV's import, ``repeat`` times."""
    state = json.loads(STATE.read_text())
    connection.set_tenant(Cooperative.objects.get(schema_name=state["schema"]))
    run = DeductionRun.objects.get(pk=state["run"])
    agency = Agency.objects.get(pk=state["agency"])
    user = User.objects.get(pk=state["user"])
    content = (DIR / "return.csv").read_bytes()
    steps = ("plan", "preview", "check", "figures")
    results: dict[str, list] = {k: [] for k in steps}
    with transaction.atomic():
        imp = deduction_import_upload(
            run=run, agency=agency, content=content, file_name="r.csv", by=user
        )
        assert imp.status == "valid", imp.errors[:3]
        on = posting_date_clean(run, None)
        for i in range(repeat):
            prof = cProfile.Profile() if profile and i == 0 else None
            took: dict = {}
            plans = _timed(took, "plan", prof, deduction_import_plan, imp)
            pv = _timed(
                took, "preview", prof, deduction_import_post_preview, imp=imp, on=on, plans=plans
            )
            _timed(took, "check", prof, deduction_import_post_check, imp=imp, preview=pv)
            f = _timed(took, "figures", prof, pv.figures)
            if prof:
                prof.dump_stats(profile)
            for k in steps:
                results[k].append(took[k])
            print(
                "; ".join(
                    f"{k} wall {w:.2f} s cpu {c:.2f} s backend {b:.2f} s"
                    for k, (w, c, b) in took.items()
                )
                + f"; {f['members']} members, realized {f['realized']}, "
                f"to sukarela {f['to_sukarela']}; load {os.getloadavg()[0]:.1f}"
            )
        transaction.set_rollback(True)
    for k, rs in results.items():
        med = [statistics.median(x) for x in zip(*rs, strict=True)]
        print(
            f"{k} median of {len(rs)}: wall {med[0]:.2f} s, cpu {med[1]:.2f} s, "
            f"backend {med[2]:.2f} s"
        )


def _vm_mb(key: str) -> float:
    """This process's ``key`` line of /proc/self/status (VmRSS, VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def post(trace: bool) -> None:
    """Post the CSV's import once in a transaction rolled back (see the module's doc)."""
    state = json.loads(STATE.read_text())
    connection.set_tenant(Cooperative.objects.get(schema_name=state["schema"]))
    run = DeductionRun.objects.get(pk=state["run"])
    agency = Agency.objects.get(pk=state["agency"])
    user = User.objects.get(pk=state["user"])
    imp = DeductionImport.objects.filter(pk=state.get("post_import") or 0).first()
    if imp is None:  # uploaded once and committed, kept valid: every posting rolls back
        imp = deduction_import_upload(
            run=run,
            agency=agency,
            content=(DIR / "return.csv").read_bytes(),
            file_name="post.csv",
            by=user,
        )
        assert imp.status == "valid", imp.errors[:3]
        STATE.write_text(json.dumps({**state, "post_import": imp.pk}))
        print(f"uploaded the CSV as import {imp.pk}: run --post again to measure")
        return
    snaps: list = []
    at = ["start"]  # the last test hook passed: where the resident set peaked
    rss_peak = [0.0, ""]

    def _point(name: str) -> None:
        at[0] = name
        if trace:  # what is held here, and the most held since the point before
            cur, peak = tracemalloc.get_traced_memory()
            snaps.append((name, cur, peak, tracemalloc.take_snapshot()))
            tracemalloc.reset_peak()

    posting_module._inject_failure_point = _point
    copy = ledger_posting._lines_copy

    def _copy(rows):  # the journal's lines, the batch's other objects still held
        _point("journal_copy")
        return copy(rows)

    ledger_posting._lines_copy = _copy
    done = threading.Event()
    page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20

    def _sample() -> None:
        while not done.wait(0.02):
            rss = int(Path("/proc/self/statm").read_text().split()[1]) * page_mb
            if rss > rss_peak[0]:
                rss_peak[:] = [rss, at[0]]

    if trace:
        tracemalloc.start(25)
    sampler = threading.Thread(target=_sample, daemon=True)
    sampler.start()
    rss0 = _vm_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak from here
    b0, t0, c0 = _backend_cpu_s(), time.perf_counter(), _cpu_s()
    with transaction.atomic():
        posted = deduction_import_post(imp=imp, by=user)
        wall, cpu, backend = time.perf_counter() - t0, _cpu_s() - c0, _backend_cpu_s() - b0
        peak = _vm_mb("VmHWM")
        done.set()
        sampler.join()
        garbage = gc.collect()  # cycles the posting (collector paused) left behind
        lines = posted.entry.lines.count()
        transaction.set_rollback(True)
    print(
        f"post: wall {wall:.2f} s, cpu {cpu:.2f} s, backend {backend:.2f} s; "
        f"{len(imp.rows)} rows, {lines} journal lines; resident {rss0:.0f} MB before, "
        f"peak {peak:.0f} MB (+{peak - rss0:.0f}); load {os.getloadavg()[0]:.1f}"
    )
    print(
        f"resident set sampled every 20 ms: peak {rss_peak[0]:.0f} MB after {rss_peak[1]}; "
        f"{garbage} objects in reference cycles left by the posting"
    )
    if trace:
        print(
            f"traced peak after the last point {tracemalloc.get_traced_memory()[1] / 2**20:.0f} MB"
        )
        for name, cur, peak, _s in snaps:
            print(f"  at {name}: {cur / 2**20:.0f} MB traced, peak before it {peak / 2**20:.0f} MB")
        name, _cur, _peak, snap = max(snaps, key=lambda x: x[1])
        print(f"the most held at {name}, by the innermost line of this project's code:")
        by_site: dict[str, list[int]] = {}
        for stat in snap.statistics("traceback"):
            ours = [
                f for f in stat.traceback if str(ROOT) in f.filename and "/bench/" not in f.filename
            ]
            site = (
                f"{ours[-1].filename.removeprefix(str(ROOT) + '/')}:{ours[-1].lineno}"
                if ours
                else str(stat.traceback[-1])
            )
            by_site.setdefault(site, [0, 0])
            by_site[site][0] += stat.size
            by_site[site][1] += stat.count
        for site, (size, count) in sorted(by_site.items(), key=lambda kv: -kv[1][0])[:30]:
            print(f"  {size / 2**20:7.1f} MB {count:8} blocks  {site}")


def drop() -> None:
    state = json.loads(STATE.read_text())
    cooperative_discard(cooperative=Cooperative.objects.get(schema_name=state["schema"]))
    STATE.unlink()


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--setup", action="store_true", help="make the cooperative and files")
    ap.add_argument("--check", action="store_true", help="time the check of both files")
    ap.add_argument(
        "--confirm", action="store_true", help="time the confirmation of the CSV's import"
    )
    ap.add_argument("--post", action="store_true", help="post the CSV's import once (rolled back)")
    ap.add_argument(
        "--tracemalloc", action="store_true", help="with --post: where Python's memory goes"
    )
    ap.add_argument("--drop", action="store_true", help="drop the cooperative")
    ap.add_argument("--members", type=int, default=20000, help="members (default 20000)")
    ap.add_argument("--repeat", type=int, default=3, help="uploads of each file (default 3)")
    ap.add_argument("--profile", help="save a cProfile of the first XLSX upload here")
    args = ap.parse_args()
    if args.setup:
        setup(args.members)
    if args.check:
        check(args.repeat, args.profile)
    if args.confirm:
        confirm(args.repeat, args.profile)
    if args.post:
        post(args.tracemalloc)
    if args.drop:
        drop()


if __name__ == "__main__":
    main()
