"""Demo data for payroll deduction (``settings.DEMO_SEEDERS``; idempotent): last month's
run posted for every agency (most members cut in full, some short, one with an excess)
and this month's run generated."""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.utils import timezone

from core.common.errors import ApplicationError
from core.loans.schedules import add_months
from core.members.models import Agency
from core.users.models import User

from .models import DeductionImport, DeductionLine, DeductionRun, DeductionSettings
from .services import (
    date_errors_only,
    deduction_import_post,
    deduction_import_upload,
    deduction_run_create,
    deduction_run_generate,
)

log = logging.getLogger(__name__)


def _csv(rows) -> bytes:
    return ("NIP,Jumlah\n" + "".join(f"{nip},{amt}\n" for nip, amt in rows)).encode()


def deductions_demo_seed(*, cooperative=None) -> None:
    by = (
        User.objects.filter(role=User.Role.BENDAHARA, is_active=True).order_by("pk").first()
        or User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("pk").first()
    )
    if by is None:
        log.warning("deductions demo: no bendahara/admin user; skipped")
        return
    today = timezone.localdate()
    if not DeductionSettings.objects.exists():
        DeductionSettings.objects.create(pk=1, cutoff_day=min(20, today.day))
    cfg = DeductionSettings.objects.get(pk=1)
    this = today.replace(day=min(cfg.cutoff_day, 28))
    prev = add_months(this, -1)
    for on in (prev, this):
        run = DeductionRun.objects.filter(year=on.year, month=on.month).first()
        if run is None:
            try:
                run = deduction_run_create(year=on.year, month=on.month, by=by)
            except ApplicationError as exc:  # e.g. that month is already closed
                log.warning("deductions demo: no run for %s: %s", on, exc.message)
                continue
        if run.status != DeductionRun.Status.READY:
            run = deduction_run_generate(run=run, by=by)
        if on != prev:
            continue
        for agency in Agency.objects.filter(
            pk__in=DeductionLine.objects.filter(run=run).values("agency_id")
        ).order_by("pk"):
            if DeductionImport.objects.filter(run=run, agency=agency, status="posted").exists():
                continue
            rows = []
            lines = DeductionLine.objects.filter(run=run, agency=agency).order_by("member_number")
            for i, ln in enumerate(lines):
                amount = int(ln.total)
                if i % 9 == 4:  # cut short: half of what was asked
                    amount = amount // 2
                elif i % 13 == 6:  # cut a little more: goes to sukarela
                    amount += 25000
                rows.append((ln.nip, amount))
            try:
                with transaction.atomic():
                    imp = deduction_import_upload(
                        run=run,
                        agency=agency,
                        content=_csv(rows),
                        file_name=f"realisasi-{agency.code}.csv",
                        by=by,
                    )
                    if imp.status == "valid":
                        deduction_import_post(imp=imp, by=by)
                    elif date_errors_only(imp):
                        # the demo loans' instalments are paid at the counter up to
                        # today, later than the run's payday: the money came on the
                        # date those loans take (the latest one the rows name)
                        on = max(date.fromisoformat(e["on_or_after"]) for e in imp.errors)
                        deduction_import_post(imp=imp, by=by, on=on)
            except ApplicationError as exc:  # e.g. the month was closed by the ledger demo
                log.warning("deductions demo: %s not posted: %s", agency.code, exc.message)
