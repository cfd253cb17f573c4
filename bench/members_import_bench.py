#!/usr/bin/env python
"""Bulk import of members with opening balances: 5,000 rows (target: under 20 s).

    .venv/bin/python bench/members_import_bench.py [--rows 5000] [--formats csv,xlsx]

Uses its own database (BENCH_DB, default ``lumbung_bench_members``, created and migrated
when missing; the server is that of $DATABASE_URL, else 127.0.0.1:5432). For each file
format it creates a throw-away cooperative (default chart, savings products), generates
``rows`` members with valid NIP/NIK and pokok + wajib (+ sukarela for a third) opening
balances, and times, through the same services the screen calls:

- upload: read the file, validate every row (formats, duplicates in file and database,
  agencies, amounts), store the batch with its report;
- import: re-validate, write members, savings accounts, opening transactions and the ONE
  opening journal entry, all in one transaction;

then checks the result (row counts, sub-ledger = ledger) and drops the cooperative.
Writes its section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import time
import uuid
from datetime import date
from pathlib import Path

from _common import django_setup, write_docs_section
from _common import ensure_database as _ensure_database

DB = django_setup("lumbung_bench_members", defaults={"CELERY_TASK_ALWAYS_EAGER": "1"})

from django.core.management import call_command
from django.db import connection
from openpyxl import Workbook

from core.members.models import Agency, Member
from core.savings.member_import import member_import_run, member_import_upload
from core.savings.models import SavingsAccount, SavingsTransaction
from core.savings.selectors import savings_reconciliation
from core.users.models import User
from tenants.services import cooperative_create, cooperative_discard, public_tenant_ensure

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Members import: 5,000 rows"
AGENCIES = ["DISDIK-PKY", "RSUD-DORIS", "BKPSDM-PKY"]


def make_rows(n: int) -> list[dict]:
    rows = []
    for i in range(n):
        y, m, d = 1966 + i % 30, 1 + (i // 30) % 12, 1 + (i // 360) % 28
        female = i % 2 == 1
        nip = f"{y:04d}{m:02d}{d:02d}{y + 25:04d}{1 + i % 12:02d}{2 if female else 1}{i % 999 + 1:03d}"
        nik = f"6271{1 + i % 5:02d}{d + 40 if female else d:02d}{m:02d}{y % 100:02d}{(i % 9999) + 1:04d}"
        rows.append(
            {
                "nomor_anggota": "",
                "nama_lengkap": f"Anggota Uji Beban {i:05d}",
                "nip": nip,
                "nik": nik,
                "golongan": ["II/c", "III/a", "III/b", "IV/a"][i % 4],
                "kode_instansi": AGENCIES[i % 3],
                "tanggal_masuk": f"{2010 + i % 15}-{1 + i % 12:02d}-02",
                "jabatan": "Guru" if i % 3 == 0 else "Perawat",
                "alamat": f"Jl. Tjilik Riwut Km {i % 40}, Palangka Raya",
                "telepon": f"0812{i:08d}",
                "email": "",
                "nama_bank": "Bank Kalteng",
                "nomor_rekening": f"00{i:08d}",
                "gaji_bersih": str(4_000_000 + (i % 50) * 50_000),
                "saldo_pokok": "100000",
                "saldo_wajib": str(50_000 * (1 + i % 120)),
                "saldo_sukarela": str(250_000 * (i % 7)) if i % 3 == 0 else "",
            }
        )
    return rows


def to_csv(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].keys()))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def to_xlsx(rows: list[dict]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("anggota")
    header = list(rows[0].keys())
    ws.append(header)
    for r in rows:
        ws.append([r[h] for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run_one(fmt: str, n: int) -> dict:
    slug = f"bench-imp-{uuid.uuid4().hex[:6]}"
    made = cooperative_create(
        slug=slug, name=f"KPRI {slug}", admin_email=f"admin@{slug}.test", actor="bench"
    )
    coop = made.cooperative
    try:
        connection.set_tenant(coop)
        for code in AGENCIES:
            Agency.objects.create(code=code, name=code)
        user = User.objects.create_user(username="bendahara@bench", role="bendahara")
        rows = make_rows(n)
        t0 = time.perf_counter()
        content = to_csv(rows) if fmt == "csv" else to_xlsx(rows)
        t_make = time.perf_counter() - t0
        t0 = time.perf_counter()
        batch = member_import_upload(content=content, file_name=f"anggota.{fmt}", by=user)
        t_upload = time.perf_counter() - t0
        assert batch.status == "valid", batch.errors[:5]
        t0 = time.perf_counter()
        member_import_run(batch=batch, opening_date=date(date.today().year, 1, 1), by=user)
        t_import = time.perf_counter() - t0
        members = Member.objects.count()
        accounts = SavingsAccount.objects.count()
        txns = SavingsTransaction.objects.count()
        assert members == n, members
        rec = savings_reconciliation()
        assert rec.ok, rec.rows
        return {
            "format": fmt,
            "rows": n,
            "bytes": len(content),
            "make_s": t_make,
            "upload_s": t_upload,
            "import_s": t_import,
            "total_s": t_upload + t_import,
            "accounts": accounts,
            "transactions": txns,
        }
    finally:
        connection.set_schema_to_public()
        cooperative_discard(cooperative=coop)


def write_section(results: list[dict], n: int) -> None:
    lines = [
        SECTION,
        "",
        f"`bench/members_import_bench.py --rows {n}` — measured {date.today().isoformat()} on "
        f"{platform.machine()}, {os.cpu_count()} CPU(s), Python {platform.python_version()}, "
        f"PostgreSQL on localhost, load average {os.getloadavg()[0]:.1f} at the end (other "
        "work was running on the machine). Upload = read + validate every row + store the report; "
        "import = re-validate + members, savings accounts, opening transactions and one "
        "opening journal entry in one transaction. Target: under 20 s for 5,000 rows.",
        "",
        "| format | rows | file | upload (s) | import (s) | total (s) | rows/s | accounts | journal lines | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ok = "met" if r["total_s"] < 20 or r["rows"] != 5000 else "MISSED"
        lines.append(
            f"| {r['format']} | {r['rows']:,} | {r['bytes'] / 1024:,.0f} KiB | {r['upload_s']:.2f} | "
            f"{r['import_s']:.2f} | {r['total_s']:.2f} | {r['rows'] / r['total_s']:,.0f} | "
            f"{r['accounts']:,} | {r['transactions'] + 1:,} | {ok} |"
        )
    lines.append("")
    text = "\n".join(lines) + "\n"
    write_docs_section(SECTION, text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000)
    ap.add_argument("--formats", default="csv,xlsx")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    db = DB
    created = _ensure_database(db)

    t0 = time.perf_counter()
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    public_tenant_ensure()
    print(
        f"database {db} {'created and ' if created else ''}migrated in {time.perf_counter() - t0:.1f} s"
    )
    results = []
    for fmt in args.formats.split(","):
        r = run_one(fmt.strip(), args.rows)
        results.append(r)
        print(
            f"{r['format']:>4}: {r['rows']} rows, upload {r['upload_s']:.2f} s, "
            f"import {r['import_s']:.2f} s, total {r['total_s']:.2f} s "
            f"({r['rows'] / r['total_s']:.0f} rows/s; {r['accounts']} accounts)"
        )
    if not args.no_write:
        write_section(results, args.rows)


if __name__ == "__main__":
    main()
