#!/usr/bin/env python
"""Loans: the daily arrears run over 20,000 running loans in one cooperative.

    .venv/bin/python bench/loans_arrears_bench.py [--loans 20000] [--no-docs]

Uses its own database (BENCH_DB, default ``lumbung_bench_loans``, dropped and re-created;
the server is that of $DATABASE_URL, else 127.0.0.1:5432). It creates one cooperative the
normal way (chart of accounts, loan products seeded), then loads 20,000 members and
20,000 disbursed loans with their stored schedules (flat / annuity / declining, 6-60
months, disbursed 1-36 months ago); instalments due before today are paid except for
about 15% of the loans, which are 1-15 instalments behind (so every kolektibilitas grade
occurs). Loans, schedule rows and the receivable control entry are bulk-loaded (the
per-loan workflow is not what is measured); the sub-ledger equals the ledger's
``loan_receivable`` before the runs.

Then it times the arrears run (``core.loans.arrears.loans_arrears_update``, which the
daily Celery task calls per cooperative):

1. cold: as of yesterday, every loan graded and given PPAP for the first time, the whole
   allowance posted;
2. the daily run: the beat fan-out of ``loans_arrears_tenant_task`` to every cooperative
   as of today — every overdue loan's days past due moves by one day, grades that cross
   a threshold change, the allowance change is posted;
3. a re-run the same day (nothing changes, nothing posted).

It checks 500 random loans against the pure functions (``schedules.days_past_due``,
``kolektibilitas``, ``ppap_amount``) and that PPAP per loan sums to the ledger's
``ppap_allowance``. Target: each run under 10 s. Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform as _platform
import random
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from _common import django_setup, write_docs_section
from _common import recreate_database as _recreate_db

DB = django_setup(
    "lumbung_bench_loans",
    env={"DJANGO_SETTINGS_MODULE": "lumbung.settings", "DJANGO_DEBUG": "false"},
)

from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from core.ledger.selectors import account_for_role
from core.ledger.services import LineSpec, fiscal_year_ensure, journal_post
from core.loans import schedules as S
from core.loans.arrears import loans_arrears_update
from core.loans.models import ArrearsRun, Loan, LoanProduct, LoanSettings
from core.loans.selectors import loans_reconciliation
from core.members.models import Agency, Member
from core.users.models import User
from lumbung.celery import app
from tenants.services import cooperative_create, public_tenant_ensure
from tenants.tasks import every_cooperative_task

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Loans: daily arrears run, 20,000 loans"
TARGET_S = 10.0


def load(n_loans: int, today: date) -> dict:
    """Members, loans, schedules and the receivable entry. Returns counts."""
    rng = random.Random(20261129)
    t0 = time.perf_counter()
    with transaction.atomic():
        users = {
            r: User.objects.create_user(username=f"{r}@bench.test", role=r, password=None)
            for r in ("petugas", "bendahara", "ketua")
        }
        agency = Agency.objects.create(code="BENCH", name="Dinas Bench")
        members = Member.objects.bulk_create(
            [
                Member(
                    number=f"B{i:06d}",
                    full_name=f"Anggota Bench {i}",
                    nip=str(198001012005010000 + i),
                    nik=f"6271{i:012d}",
                    agency=agency,
                    join_date=date(2015, 1, 2),
                    take_home_pay=Decimal("8000000"),
                )
                for i in range(n_loans)
            ],
            batch_size=5000,
        )
        products = list(LoanProduct.objects.order_by("code"))
        for y in range(today.year - 4, today.year + 1):
            fiscal_year_ensure(year=y)
        loans, schedules = [], []
        for i, m in enumerate(members):
            p = products[i % len(products)]
            tenor = rng.choice([6, 10, 12, 18, 24, 36, 48, 60])
            tenor = min(max(tenor, p.min_tenor), p.max_tenor)
            principal = Decimal(rng.randrange(int(p.min_amount), int(p.max_amount) + 1, 100_000))
            ago = rng.randint(1, min(36, max(tenor - 1, 1)))
            disbursed = S.add_months(today, -ago) - timedelta(days=rng.randint(0, 27))
            sched = S.build_schedule(
                method=p.method,
                principal=principal,
                rate=S.monthly_rate(p.rate, p.rate_period),
                tenor=tenor,
                first_due=S.add_months(disbursed, 1),
            )
            due_count = sum(1 for r in sched.rows if r.due_date < today)
            behind = rng.randint(1, 15) if rng.random() < 0.15 else 0
            paid = max(due_count - behind, 0)
            outstanding = sum((r.principal for r in sched.rows[paid:]), Decimal(0))
            if outstanding == 0:  # fully repaid: keep one row open so the loan runs
                paid -= 1
                outstanding = sched.rows[-1].principal
            loans.append(
                Loan(
                    number=f"PJ-BENCH-{i:06d}",
                    member=m,
                    product=p,
                    status=Loan.Status.DISBURSED,
                    principal=principal,
                    tenor=tenor,
                    method=p.method,
                    rate=p.rate,
                    rate_period=p.rate_period,
                    applied_on=disbursed,
                    applied_by=users["petugas"],
                    verified_by=users["bendahara"],
                    approved_by=users["ketua"],
                    disbursed_on=disbursed,
                    disbursed_by=users["bendahara"],
                    disbursed_via="bank",
                    net_disbursed=principal,
                    first_due_date=sched.rows[0].due_date,
                    principal_outstanding=outstanding,
                )
            )
            schedules.append((sched, paid))
        total = sum((ln.principal_outstanding for ln in loans), Decimal(0))
        entry = journal_post(
            on=today - timedelta(days=2),
            description="Saldo awal piutang pinjaman (bench)",
            lines=[
                LineSpec(account_for_role("loan_receivable"), debit=total),
                LineSpec(account_for_role("opening_balance"), credit=total),
            ],
            source="opening",
            source_ref="bench-loans-opening",
            by="bench",
        )
        for ln in loans:
            ln.disbursement_entry = entry
        Loan.objects.bulk_create(loans, batch_size=2000)
        buf = io.StringIO()
        rows = 0
        for loan, (sched, paid) in zip(loans, schedules, strict=True):
            for k, r in enumerate(sched.rows):
                done = k < paid
                pp, jp = (r.principal, r.jasa) if done else (0, 0)
                settled_on = r.due_date.isoformat() if done else r"\N"
                buf.write(
                    f"{loan.pk}\t1\tt\t{r.number}\t{r.due_date.isoformat()}\t{r.principal}\t"
                    f"{r.jasa}\t{pp}\t{jp}\t0\t0\t0\t0\t{'t' if done else 'f'}\t{settled_on}\n"
                )
                rows += 1
        buf.seek(0)
        with connection.cursor() as cur:
            cur.cursor.copy_expert(
                "COPY loans_instalment (loan_id, version, is_current, number, due_date, principal,"
                " jasa, principal_paid, jasa_paid, jasa_waived, penalty_paid, penalty_periods,"
                " penalty_charged, settled, settled_on)"
                " FROM STDIN",
                buf,
            )
    with connection.cursor() as cur:
        cur.execute("ANALYZE loans_loan")
        cur.execute("ANALYZE loans_instalment")
    return {"loans": len(loans), "rows": rows, "load_s": time.perf_counter() - t0}


def verify(today: date, sample: int = 500) -> None:
    st = LoanSettings.get()
    ids = list(Loan.objects.values_list("id", flat=True))
    for pk in random.Random(7).sample(ids, min(sample, len(ids))):
        loan = Loan.objects.get(pk=pk)
        dues = loan.instalments.filter(is_current=True, settled=False).values_list(
            "due_date", flat=True
        )
        dpd = S.days_past_due(dues, today)
        grade = S.kolektibilitas(dpd, st.thresholds)
        assert loan.days_past_due == dpd, (loan.number, loan.days_past_due, dpd)
        assert loan.kolektibilitas == grade, (loan.number, loan.kolektibilitas, grade)
        assert loan.ppap_amount == S.ppap_amount(loan.principal_outstanding, grade, st.ppap_rates)
    rec = loans_reconciliation()
    assert rec["principal_subledger"] == rec["principal_ledger"], rec
    assert rec["ppap_subledger"] == rec["ppap_ledger"], rec


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=20_000)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()

    db = DB
    _recreate_db(db)
    print(f"database {db}; migrating…", flush=True)

    call_command("migrate_schemas", executor="standard", interactive=False, verbosity=0)
    public_tenant_ensure()
    made = cooperative_create(
        slug="bench-loans",
        name="KPRI Bench Pinjaman",
        admin_email="admin@bench.test",
        admin_password="Bench-Loans-2026",
        actor="bench",
        status="active",
    )
    coop = made.cooperative
    connection.set_tenant(coop)
    today = timezone.localdate()
    print(f"loading {args.loans:,} loans…", flush=True)
    info = load(args.loans, today)
    print(
        f"loaded {info['loans']:,} loans, {info['rows']:,} schedule rows in {info['load_s']:.1f} s"
    )

    results = {}
    t = time.perf_counter()
    run1 = loans_arrears_update(on=today - timedelta(days=1), by="bench")
    results["cold run (first grading, as of yesterday)"] = (time.perf_counter() - t, run1)

    connection.set_schema_to_public()
    t = time.perf_counter()
    app.conf.task_always_eager = True  # the fanned-out task runs in-process
    app.conf.task_eager_propagates = True
    out = every_cooperative_task.run("core.loans.tasks.loans_arrears_tenant_task")
    elapsed = time.perf_counter() - t
    assert out["failed"] == [] and coop.slug in out["queued"], out
    connection.set_tenant(coop)
    run2 = ArrearsRun.objects.order_by("-id").first()
    results["daily task (beat, as of today)"] = (elapsed, run2)

    t = time.perf_counter()
    run3 = loans_arrears_update(on=today, by="bench")
    results["re-run same day"] = (time.perf_counter() - t, run3)

    verify(today)

    grades = dict(Loan.objects.values_list("kolektibilitas").annotate(n=Count("id")))
    overdue = Loan.objects.filter(days_past_due__gt=0).count()
    for name, (secs, run) in results.items():
        posted = f"entry #{run.entry_id}" if run.entry_id else "nothing posted"
        print(
            f"{name:45s} {secs:6.2f} s  PPAP {run.ppap_before:,.0f} -> {run.ppap_after:,.0f} "
            f"({posted})"
        )
    print(
        f"grades: {grades}; overdue loans: {overdue:,}; 500 loans checked against the pure functions"
    )
    if not args.no_docs:
        write_docs(results, info=info, grades=grades, overdue=overdue)


def write_docs(results, *, info, grades, overdue) -> None:
    out = [
        SECTION,
        "",
        f"`bench/loans_arrears_bench.py`, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs "
        f"({_platform.machine()}), PostgreSQL on 127.0.0.1. One cooperative, {info['loans']:,} "
        f"running loans (flat / annuity / declining, 6-60 months) with {info['rows']:,} stored "
        f"schedule rows, bulk-loaded in {info['load_s']:.0f} s; about 15% of the loans are 1-15 "
        f"instalments behind ({overdue:,} overdue at the end). Grades after the runs: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(grades.items()))
        + f". Target: under {TARGET_S:.0f} s per run.",
        "",
        "| run | seconds | PPAP before → after | posted | under target |",
        "|---|---:|---|---|:---:|",
    ]
    for name, (secs, run) in results.items():
        out.append(
            f"| {name} | {secs:.2f} | {run.ppap_before:,.0f} → {run.ppap_after:,.0f} | "
            f"{'allowance change' if run.entry_id else 'nothing'} | "
            f"{'yes' if secs < TARGET_S else 'NO'} |"
        )
    out += [
        "",
        "- One set-based `UPDATE … FROM` computes days past due (oldest unpaid current "
        "instalment due before the date, via the partial index on the current schedule's rows), the grade by the "
        "cooperative's thresholds and the PPAP per loan; the change in the allowance is one "
        "journal entry (PPAP expense / allowance, or the release).",
        "- Afterwards 500 random loans were checked against the pure functions "
        "(`days_past_due`, `kolektibilitas`, `ppap_amount`) and the PPAP per loan summed to the "
        "ledger's `ppap_allowance`; outstanding principal summed to `loan_receivable`.",
        "- The *daily task* row is the beat fan-out (`tenants.tasks.every_cooperative_task` "
        "sending `loans_arrears_tenant_task` to every running cooperative; here one), run "
        "eagerly in-process.",
        "",
    ]
    text = "\n".join(out)
    write_docs_section(SECTION, text)


if __name__ == "__main__":
    main()
