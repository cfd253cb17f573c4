"""A month's deduction run: created, its lines generated (wajib by grade, each
loan's instalment and arrears, purpose savings), generated again after a failure."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_bulan, format_date
from core.common.db_busy import db_busy_error
from core.common.errors import ApplicationError
from core.deductions.audit import DeductionAudit
from core.loans.selectors import loans_amounts_due
from core.members.models import Member
from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
from core.savings.selectors import product_for_kind, wajib_amount_for
from core.savings.services import berjangka_deposited_bulk

from ..allocation import _fill as fill
from ..import_messages import Said, said_kept
from ..models import DeductionImport, DeductionLine, DeductionRun
from .common import CHUNK, ZERO, E, _period_open, _require, _user, deduction_settings_get

log = logging.getLogger(__name__)

# ``DeductionRun.error_code`` of a run whose generation met an unexpected exception
SYSTEM_ERROR = "system_error"

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
    shown = format_bulan(cutoff)
    if cutoff > timezone.localdate():
        raise ApplicationError(
            E.BAD_MONTH,
            _("Cut-off bulan %(m)s (%(d)s) belum tiba.") % {"m": shown, "d": format_date(cutoff)},
        )
    if not _period_open(cutoff):
        raise ApplicationError(E.PERIOD_CLOSED, _("Periode %(p)s sudah ditutup.") % {"p": shown})
    if DeductionRun.objects.filter(year=year, month=month).exists():
        raise ApplicationError(
            E.RUN_EXISTS,
            _("Daftar potong gaji %(m)s sudah ada.") % {"m": shown},
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
            _("Daftar potong gaji %(m)s sudah ada.") % {"m": shown},
            status=409,
        ) from None
    audit_log(actor=by, action=DeductionAudit.RUN_CREATE, target=run, data={"month": run.label})
    return run


def _other_lines(year: int, month: int):
    """Every line of every run of another month than (year, month), earlier or later, that
    finished generating. A later month's list made first (December's before November's)
    already asks, or has paid, what the earlier months left unpaid."""
    return DeductionLine.objects.filter(run__status=DeductionRun.Status.READY).exclude(
        run__year=year, run__month=month
    )


def _is_earlier(year: int, month: int) -> Q:
    return Q(run__year__lt=year) | Q(run__year=year, run__month__lt=month)


def wajib_carried(*, year: int, month: int, member_ids=None) -> dict[int, Decimal]:
    """The wajib still to carry into the list of (year, month), per member, from what is
    POSTED now: every earlier month's own wajib asked, less what posted batches of any
    other month paid to wajib, less what is still asked by lists of any other month whose
    file is not posted yet (those rupiah are already out; asking them again would bill
    them twice). A later month's list made first counts too: it carried these months'
    arrears already. Wajib is one account, so what any batch paid settles the oldest
    months first. Months without a run, or whose run was skipped, do not make earlier
    arrears vanish: all earlier runs count."""
    qs = _other_lines(year, month)
    if member_ids is not None:
        qs = qs.filter(member_id__in=list(member_ids))
    out: dict[int, Decimal] = {}
    for mid, own, covered in (
        qs.values("member_id")
        .annotate(
            own=Sum(
                Case(
                    When(_is_earlier(year, month), then=F("wajib") - F("wajib_arrears")),
                    default=ZERO,
                )
            ),
            covered=Sum(
                Case(When(realized__isnull=False, then=F("paid_wajib")), default=F("wajib"))
            ),
        )
        .values_list("member_id", "own", "covered")
    ):
        left = own - covered
        if left > 0:
            out[mid] = left
    return out


def wajib_room(*, run: DeductionRun, agency_id: int) -> dict[int, Decimal]:
    """Per member of ``agency_id``'s lines on ``run`` (those that can be capped, below):
    the most that run's batch may
    still pay to wajib — every run's own wajib (``wajib − wajib_arrears``) less what
    posted batches of the other runs paid to wajib and what their lists not posted yet
    ask (of a later month's list, only its own wajib: the arrears it carries are what
    this batch may pay first). A list carries the arrears posted when it was made; when
    the batch that left them is reversed and posted again in full after that, the list
    asks them a second time: its batch then pays wajib only this room (the rest goes to
    sukarela), so what payroll pays to wajib never exceeds what the months asked.

    Only members one of whose lists ever carried wajib arrears are summed (found through
    the partial index on those lines): for any other, no run asked or paid more than its
    own wajib, so the room is at least this run's own wajib, all its batch can pay, and
    the member is left out (no cap). The batch does not read every month's line of
    every member of a long-running cooperative."""
    members = DeductionLine.objects.filter(
        run=run,
        agency_id=agency_id,
        member_id__in=DeductionLine.objects.filter(
            run__status=DeductionRun.Status.READY, wajib_arrears__gt=0
        ).values("member_id"),
    ).values("member_id")
    later = Q(run__year__gt=run.year) | Q(run__year=run.year, run__month__gt=run.month)
    out: dict[int, Decimal] = {}
    for mid, own, other in (
        DeductionLine.objects.filter(run__status=DeductionRun.Status.READY, member_id__in=members)
        .values("member_id")
        .annotate(
            own=Sum(F("wajib") - F("wajib_arrears")),
            other=Sum(
                Case(
                    When(run_id=run.pk, then=ZERO),
                    When(realized__isnull=False, then=F("paid_wajib")),
                    When(later, then=F("wajib") - F("wajib_arrears")),
                    default=F("wajib"),
                )
            ),
        )
        .values_list("member_id", "own", "other")
    ):
        out[mid] = max(own - other, ZERO)
    return out


def _fill(amount: Decimal, parts: list[Decimal]) -> list[Decimal]:
    return fill(amount, parts)


def _purposes_carried(year: int, month: int) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Per purpose-savings account: (shortfall to carry, amount still asked by lists not
    posted yet), from the earlier runs' own amounts less what the lines of every other
    month paid or still ask (what a posted line paid each account: its ``paid_detail``,
    which says what a filled account did not take; for lines posted before it was kept,
    the allocation's order: ``_fill`` of its ``paid_others``)."""
    own: dict[int, Decimal] = defaultdict(lambda: ZERO)
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    pending: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for purposes, realized, paid_others, detail, earlier in (
        _other_lines(year, month)
        .exclude(purposes=[])
        .annotate(earlier=ExpressionWrapper(_is_earlier(year, month), output_field=BooleanField()))
        .values_list("purposes", "realized", "paid_others", "paid_detail", "earlier")
    ):
        amounts = [Decimal(x["amount"]) for x in purposes]
        if realized is None:
            shares = [ZERO] * len(amounts)
        elif detail:
            got = {int(d["account_id"]): Decimal(d["paid"]) for d in detail.get("purposes", [])}
            shares = [got.get(int(x["account_id"]), ZERO) for x in purposes]
        else:
            shares = _fill(paid_others, amounts)
        for x, amount, share in zip(purposes, amounts, shares, strict=True):
            acc = int(x["account_id"])
            if earlier:
                own[acc] += amount - Decimal(x.get("arrears", "0"))
            if realized is None:
                pending[acc] += amount
            else:
                paid[acc] += share
    carried = {a: own[a] - paid[a] - pending[a] for a in own}  # later lists' included
    return {a: v for a, v in carried.items() if v > 0}, dict(pending)


def _loans_pending(year: int, month: int) -> dict[int, tuple[Decimal, Decimal]]:
    """Per loan: (jasa incl. penalty, principal) still asked by lists of other months whose
    file is not posted yet (earlier ones, or a later month's list made first). The loan's
    schedule still shows them due, so this list would ask them again; it asks only what is
    due beyond them."""
    out: dict[int, tuple[Decimal, Decimal]] = {}
    for loans in (
        _other_lines(year, month)
        .filter(realized__isnull=True)
        .exclude(loans=[])
        .values_list("loans", flat=True)
    ):
        for x in loans:
            j, p = out.get(int(x["loan_id"]), (ZERO, ZERO))
            out[int(x["loan_id"])] = (j + Decimal(x["jasa"]), p + Decimal(x["principal"]))
    return out


def _wajib_paid_outside(*, year: int, month: int, product) -> dict[int, Decimal]:
    """Wajib already credited for the month outside payroll batches (at the counter, or
    a payroll posting made directly in savings), per member: the month's list asks only
    what is left of the month's wajib. (The demo's savings seeder posts every finished
    month's wajib this way; the deduction run of the same month billed it again.)

    Only those two kinds count: a ``transfer_in`` to wajib is the "wajib pinjam" fee a
    loan credits at disbursement (``loans.services.savings_credit``), a share of the
    loan, not the month's simpanan wajib. A deposit cancelled since
    (``teller_reverse``: a ``reversal`` movement pointing at it) paid nothing."""
    start = date(year, month, 1)
    end = date(year + (month == 12), month % 12 + 1, 1)
    return dict(
        SavingsTransaction.objects.filter(
            account__product=product,
            on__gte=start,
            on__lt=end,
            kind__in=[SavingsTransaction.Kind.DEPOSIT, SavingsTransaction.Kind.PAYROLL],
            reversed_by__isnull=True,
        )
        .exclude(journal_entry__source="deduction")
        .values("account__member_id")
        .annotate(s=Sum("amount"))
        .values_list("account__member_id", "s")
    )


def deduction_lines_build(run: DeductionRun) -> list[DeductionLine]:
    """What every active member owes at the run's cut-off (not saved): the month's wajib
    (less what was already credited for the month outside payroll batches) plus the
    wajib carried from every earlier run (``wajib_carried``: from what is posted now), each
    running loan's dues (arrears and the next instalment, from the loans module, less what
    a list of another month not posted yet asks), and purpose savings (berjangka) with
    their carried shortfall. Nothing another month's list still asks is asked again."""
    on = run.cutoff_date
    members = list(
        Member.objects.filter(status=Member.Status.ACTIVE, join_date__lte=on)
        .select_related("agency")
        .order_by("agency_id", "number")
    )
    wajib_product = product_for_kind(SavingsProduct.Kind.WAJIB)
    wajib_by_grade: dict[str, Decimal] = {}
    carried = wajib_carried(year=run.year, month=run.month)
    paid_outside = (
        _wajib_paid_outside(year=run.year, month=run.month, product=wajib_product)
        if wajib_product is not None
        else {}
    )
    loans_pending = _loans_pending(run.year, run.month)
    loans: dict[int, list] = defaultdict(list)
    # arrears = due before the cut-off; plus the instalment falling due from the cut-off on
    # (less what an earlier list not posted yet already asks)
    for loan_id, d in sorted(loans_amounts_due(on=on - timedelta(days=1)).items()):
        pj, pp = loans_pending.get(loan_id, (ZERO, ZERO))
        jasa = max(d["penalty"] + d["jasa"] - pj, ZERO)
        principal = max(d["principal"] - pp, ZERO)
        if jasa + principal > 0:
            loans[d["member_id"]].append(
                {
                    "loan_id": loan_id,
                    "number": d["number"],
                    "penalty": str(min(d["penalty"], jasa)),
                    "jasa": str(jasa),
                    "principal": str(principal),
                }
            )
    purposes: dict[int, list] = defaultdict(list)
    p_carried, p_pending = _purposes_carried(run.year, run.month)
    asks = []  # (account, monthly, asked, room left by the balance or None)
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
        asked = monthly + p_carried.get(acc.pk, ZERO)
        room = None
        if p.term_months:  # never past the term's target, counting what is already out
            room = monthly * p.term_months - acc.balance - p_pending.get(acc.pk, ZERO)
        asks.append((acc, monthly, asked, room))
    # the balance may hold jasa: the term caps only the deposits, read (one query for all)
    # where the balance alone would cap
    deposited = berjangka_deposited_bulk(
        [acc for acc, _m, asked, room in asks if room is not None and room < asked]
    )
    for acc, monthly, asked, room in asks:
        if room is not None:
            if acc.pk in deposited:
                room += acc.balance - deposited[acc.pk]
            asked = min(asked, max(room, ZERO))
        if asked > 0:
            arrears = max(asked - monthly, ZERO)
            purposes[acc.member_id].append(
                {
                    "account_id": acc.pk,
                    "number": acc.number,
                    "amount": str(asked),
                    "arrears": str(arrears),
                }
            )
    out = []
    for m in members:
        wajib = ZERO
        if wajib_product is not None:
            key = m.golongan or ""
            if key not in wajib_by_grade:
                wajib_by_grade[key] = wajib_amount_for(member=m, product=wajib_product, on=on)
            wajib = max(wajib_by_grade[key] - paid_outside.get(m.pk, ZERO), ZERO)
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


def _run_failure(run: DeductionRun, exc: Exception) -> dict:
    """Why ``run``'s generation failed, as the run keeps it (called while handling
    ``exc``): a refusal with its code and its message (said again in the reader's
    language when the message has a code, ``Said``); a transient database conflict as
    ``DatabaseBusy`` (logged at WARNING); anything else logged with its traceback (Sentry
    takes it from the log) and kept as a system error, its text never shown."""
    refusal = exc if isinstance(exc, ApplicationError) else None
    refusal = refusal or db_busy_error(exc, where=f"deduction run {run.pk}")
    if refusal is None:
        log.exception("Deduction run %s (%s) failed", run.pk, run.label)
        refusal = ApplicationError(SYSTEM_ERROR, Said("run_system_error"))
    elif refusal is exc:
        log.warning("Deduction run %s (%s) refused: %s", run.pk, run.label, exc.code)
    kept = said_kept(refusal.message)
    return {
        "error": kept["message"][:2000],
        "error_code": refusal.code,
        "error_said": {"code": kept["code"], "params": kept["params"]} if kept["code"] else None,
    }


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
                status=DeductionRun.Status.READY,
                generated_at=timezone.now(),
                error="",
                error_code="",
                error_said=None,
            )
            run.refresh_from_db()
            audit_log(
                actor=by,
                action=DeductionAudit.RUN_GENERATE,
                target=run,
                data={"month": run.label, "lines": len(lines)},
            )
    except Exception as exc:
        failed = _run_failure(run, exc)
        with transaction.atomic():
            DeductionLine.objects.filter(run=run).delete()
            DeductionRun.objects.filter(pk=run.pk).update(
                status=DeductionRun.Status.FAILED, **failed
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
    run.error, run.error_code, run.error_said = "", "", None
    run.save(update_fields=["status", "error", "error_code", "error_said"])
    return run


@transaction.atomic
def deduction_run_regenerate(*, run: DeductionRun, by) -> DeductionRun:
    """Make a run's list again (then filled by the generation task, like a new run): for
    a list made before an earlier month's file was posted, so it asks that file's
    shortfall now. Refused once any agency of the run is posted (its shortfall then goes
    to next month's list: never asked twice either way). Files uploaded but not posted
    are discarded (they refer to the old lines)."""
    _require(by, _("membuat ulang daftar potong gaji"))
    run = DeductionRun.objects.select_for_update().get(pk=run.pk)
    if run.status == DeductionRun.Status.GENERATING:
        raise ApplicationError(E.WRONG_STATUS, _("Daftar sedang dibuat."), status=409)
    if run.posting_status == DeductionRun.PostingStatus.RUNNING:
        raise ApplicationError(
            E.POSTING_RUNNING,
            _("Posting bulan %(m)s sedang berjalan.") % {"m": run.month_shown},
            status=409,
        )
    # lock the run's imports first: a batch posting now holds its import's lock until it
    # commits, so this waits for it and then sees it posted (a plain read would not, and
    # the posted import would be discarded and its lines deleted below)
    imports = list(
        DeductionImport.objects.select_for_update()
        .filter(run=run)
        .order_by("pk")
        .values_list("pk", "status")
    )
    if any(status == DeductionImport.Status.POSTED for _pk, status in imports):
        raise ApplicationError(
            E.ALREADY_POSTED,
            _(
                "Sudah ada instansi bulan %(m)s yang diposting: daftar tidak dapat dibuat "
                "ulang. Kekurangan bulan sebelumnya ditagih di daftar bulan berikutnya."
            )
            % {"m": run.month_shown},
            status=409,
        )
    discarded = [pk for pk, status in imports if status in ("valid", "invalid")]
    DeductionImport.objects.filter(pk__in=discarded).update(status=DeductionImport.Status.DISCARDED)
    DeductionLine.objects.filter(run=run).delete()
    run.status = DeductionRun.Status.GENERATING
    run.progress_done = run.progress_total = 0
    run.error, run.error_code, run.error_said = "", "", None
    run.generated_at = None
    run.save(
        update_fields=[
            "status",
            "progress_done",
            "progress_total",
            "error",
            "error_code",
            "error_said",
            "generated_at",
        ]
    )
    audit_log(
        actor=by,
        action=DeductionAudit.RUN_REGENERATE,
        target=run,
        data={"month": run.label, "discarded_imports": discarded},
    )
    return run
