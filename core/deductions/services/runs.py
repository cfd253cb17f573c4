"""A month's deduction run: created, its lines generated (wajib by grade, each
loan's instalment and arrears, purpose savings), generated again after a failure."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.members.models import Member

from ..models import DeductionLine, DeductionRun
from .common import CHUNK, ZERO, E, _period_open, _require, _user, deduction_settings_get

# --- runs ------------------------------------------------------------------------------


@transaction.atomic
def deduction_run_create(*, year: int, month: int, by) -> DeductionRun:
    """Create the month's run (status "generating"); ``deduction_run_generate`` (the
    Celery task) fills it. The cut-off date must have come and the month be open."""
    _require(by, _("membuat daftar potong gaji"))
    if not (1 <= int(month) <= 12) or not (2000 <= int(year) <= 2100):
        raise ApplicationError(E.BAD_MONTH, _("Bulan atau tahun tidak valid."))
    cfg = deduction_settings_get()
    cutoff = date(int(year), int(month), cfg.cutoff_day)
    if cutoff > timezone.localdate():
        raise ApplicationError(
            E.BAD_MONTH,
            _("Cut-off bulan %(m)02d/%(y)s (%(d)s) belum tiba.")
            % {"m": month, "y": year, "d": cutoff.strftime("%d-%m-%Y")},
        )
    if not _period_open(cutoff):
        raise ApplicationError(
            E.PERIOD_CLOSED, _("Periode %(m)02d/%(y)s sudah ditutup.") % {"m": month, "y": year}
        )
    if DeductionRun.objects.filter(year=year, month=month).exists():
        raise ApplicationError(
            E.RUN_EXISTS,
            _("Daftar potong gaji %(m)02d/%(y)s sudah ada.") % {"m": month, "y": year},
            status=409,
        )
    try:
        with transaction.atomic():
            run = DeductionRun.objects.create(
                year=year, month=month, cutoff_date=cutoff, created_by=_user(by)
            )
    except IntegrityError:
        raise ApplicationError(
            E.RUN_EXISTS,
            _("Daftar potong gaji %(m)02d/%(y)s sudah ada.") % {"m": month, "y": year},
            status=409,
        ) from None
    audit_log(actor=by, action="deductions.run_create", target=run, data={"month": run.label})
    return run


def _previous_run(run: DeductionRun) -> DeductionRun | None:
    y, m = (run.year, run.month - 1) if run.month > 1 else (run.year - 1, 12)
    return DeductionRun.objects.filter(year=y, month=m, status=DeductionRun.Status.READY).first()


def deduction_lines_build(run: DeductionRun) -> list[DeductionLine]:
    """What every active member owes at the run's cut-off (not saved): wajib (plus the
    wajib still unpaid from the previous run), each running loan's dues (arrears and the
    next instalment, from the loans module), and purpose savings (berjangka)."""
    from core.loans.selectors import loans_amounts_due
    from core.savings.models import SavingsAccount, SavingsProduct
    from core.savings.selectors import product_for_kind, wajib_amount_for

    on = run.cutoff_date
    members = list(
        Member.objects.filter(status=Member.Status.ACTIVE, join_date__lte=on)
        .select_related("agency")
        .order_by("agency_id", "number")
    )
    wajib_product = product_for_kind(SavingsProduct.Kind.WAJIB)
    wajib_by_grade: dict[str, Decimal] = {}
    prev = _previous_run(run)
    carried: dict[int, Decimal] = {}
    if prev is not None:
        for mid, w, pw in DeductionLine.objects.filter(run=prev).values_list(
            "member_id", "wajib", "paid_wajib"
        ):
            if w - pw > 0:
                carried[mid] = w - pw
    loans: dict[int, list] = defaultdict(list)
    # arrears = due before the cut-off; plus the instalment falling due from the cut-off on
    for loan_id, d in sorted(loans_amounts_due(on=on - timedelta(days=1)).items()):
        if d["total"] > 0:
            loans[d["member_id"]].append(
                {
                    "loan_id": loan_id,
                    "number": d["number"],
                    "penalty": str(d["penalty"]),
                    "jasa": str(d["penalty"] + d["jasa"]),
                    "principal": str(d["principal"]),
                }
            )
    purposes: dict[int, list] = defaultdict(list)
    for acc in (
        SavingsAccount.objects.filter(status="open", product__kind=SavingsProduct.Kind.BERJANGKA)
        .select_related("product")
        .order_by("pk")
    ):
        p = acc.product
        payout = acc.payout_date or p.payout_date
        if not p.is_active or (payout and payout <= on):
            continue
        monthly = acc.monthly_amount or p.amount
        if p.term_months:
            monthly = min(monthly, max(monthly * p.term_months - acc.balance, ZERO))
        if monthly > 0:
            purposes[acc.member_id].append(
                {"account_id": acc.pk, "number": acc.number, "amount": str(monthly)}
            )
    out = []
    for m in members:
        wajib = ZERO
        if wajib_product is not None:
            key = m.golongan or ""
            if key not in wajib_by_grade:
                wajib_by_grade[key] = wajib_amount_for(member=m, product=wajib_product, on=on)
            wajib = wajib_by_grade[key]
        arrears = carried.get(m.pk, ZERO)
        ml = loans.get(m.pk, [])
        mp = purposes.get(m.pk, [])
        jasa = sum((Decimal(x["jasa"]) for x in ml), ZERO)
        principal = sum((Decimal(x["principal"]) for x in ml), ZERO)
        others = sum((Decimal(x["amount"]) for x in mp), ZERO)
        total = wajib + arrears + jasa + principal + others
        if total == 0:
            continue
        out.append(
            DeductionLine(
                run=run,
                member_id=m.pk,
                agency_id=m.agency_id,
                member_number=m.number,
                nip=m.nip,
                full_name=m.full_name,
                wajib=wajib + arrears,
                wajib_arrears=arrears,
                jasa=jasa,
                principal=principal,
                others=others,
                total=total,
                loans=ml,
                purposes=mp,
            )
        )
    return out


def deduction_run_generate(*, run: DeductionRun, by) -> DeductionRun:
    """Fill a run (called by the Celery task). Lines are written in chunks, each in its
    own transaction with the progress, so the screen can poll; on failure the lines are
    removed and the run is marked failed."""
    run = DeductionRun.objects.get(pk=run.pk)
    if run.status == DeductionRun.Status.READY:
        return run
    try:
        lines = deduction_lines_build(run)
        DeductionRun.objects.filter(pk=run.pk).update(
            progress_total=len(lines), progress_done=0, status=DeductionRun.Status.GENERATING
        )
        for i in range(0, len(lines), CHUNK):
            with transaction.atomic():
                DeductionLine.objects.bulk_create(lines[i : i + CHUNK])
                DeductionRun.objects.filter(pk=run.pk).update(
                    progress_done=min(i + CHUNK, len(lines))
                )
        with transaction.atomic():
            DeductionRun.objects.filter(pk=run.pk).update(
                status=DeductionRun.Status.READY, generated_at=timezone.now(), error=""
            )
            run.refresh_from_db()
            audit_log(
                actor=by,
                action="deductions.run_generate",
                target=run,
                data={"month": run.label, "lines": len(lines)},
            )
    except Exception as exc:
        with transaction.atomic():
            DeductionLine.objects.filter(run=run).delete()
            DeductionRun.objects.filter(pk=run.pk).update(
                status=DeductionRun.Status.FAILED, error=str(exc)[:2000]
            )
        raise
    run.refresh_from_db()
    return run


@transaction.atomic
def deduction_run_retry(*, run: DeductionRun, by) -> DeductionRun:
    _require(by, _("membuat ulang daftar potong gaji"))
    run = DeductionRun.objects.select_for_update().get(pk=run.pk)
    if run.status != DeductionRun.Status.FAILED:
        raise ApplicationError(E.WRONG_STATUS, _("Hanya daftar yang gagal dapat diulang."))
    run.status = DeductionRun.Status.GENERATING
    run.error = ""
    run.save(update_fields=["status", "error"])
    return run
