"""Writes of the payroll-deduction cycle: runs, realized imports, posting and reversal.

Posting reuses the savings and loans rules through their set-based batch services
(``core.savings.batch.savings_deposits_apply_bulk``, ``core.loans.batch.
loan_repayments_prepare_bulk``: the same rules as ``savings_deposit_apply`` and
``loan_repayment_prepare``, a fixed number of queries); one journal entry per agency batch, one database
transaction, a unique source reference and unique constraints so nothing posts twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.common.permissions import TREASURY
from core.members.models import Agency, Member

from . import allocation as A
from .models import DeductionImport, DeductionLine, DeductionRun, DeductionSettings
from .parsing import parse_realized

log = logging.getLogger(__name__)

ZERO = Decimal("0")
CHUNK = 1000


class DeductionErrors(StrEnum):
    NOT_ALLOWED = "deduction_not_allowed"
    BAD_MONTH = "deduction_bad_month"
    RUN_EXISTS = "deduction_run_exists"
    RUN_NOT_READY = "deduction_run_not_ready"
    PERIOD_CLOSED = "deduction_period_closed"
    FILE_DUPLICATE = "deduction_file_duplicate"
    FILE_INVALID = "deduction_file_invalid"
    ALREADY_POSTED = "deduction_already_posted"
    WRONG_STATUS = "deduction_wrong_status"
    BAD_SETTINGS = "deduction_bad_settings"
    REASON_REQUIRED = "deduction_reason_required"
    POSTING_RUNNING = "deduction_posting_running"
    NOTHING_TO_POST = "deduction_nothing_to_post"


E = DeductionErrors


def _require(by, what: str) -> None:
    if getattr(by, "role", None) not in TREASURY:
        raise ApplicationError(
            E.NOT_ALLOWED, _("Peran Anda tidak boleh %(w)s.") % {"w": what}, status=403
        )


def _user(by):
    return by if getattr(by, "is_authenticated", False) and getattr(by, "pk", None) else None


def deduction_settings_get() -> DeductionSettings:
    obj, _c = DeductionSettings.objects.get_or_create(pk=1)
    return obj


@transaction.atomic
def deduction_settings_update(
    *, by, cutoff_day: int, priority: str, signer_name: str = "", signer_title: str = ""
) -> DeductionSettings:
    _require(by, _("mengubah pengaturan potong gaji"))
    if not (1 <= int(cutoff_day) <= 28):
        raise ApplicationError(
            E.BAD_SETTINGS,
            _("Tanggal cut-off harus 1 sampai 28."),
            fields={"cutoff_day": [_("1 sampai 28.")]},
        )
    try:
        prio = A.clean_priority(priority)
    except ValueError:
        raise ApplicationError(
            E.BAD_SETTINGS,
            _(
                "Urutan alokasi harus memuat jasa, principal, wajib dan others masing-masing sekali."
            ),
            fields={"priority": [_("Tidak valid.")]},
        ) from None
    obj = deduction_settings_get()
    obj.cutoff_day = int(cutoff_day)
    obj.priority = ",".join(prio)
    obj.signer_name = signer_name
    obj.signer_title = signer_title or obj.signer_title
    obj.save()
    audit_log(actor=by, action="deductions.settings", target=obj, data={"priority": obj.priority})
    return obj


def _period_open(on: date) -> bool:
    from core.ledger.models import Period

    p = Period.objects.filter(start_date__lte=on, end_date__gte=on).first()
    return p is None or p.status == Period.Status.OPEN


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


# --- imports ---------------------------------------------------------------------------


def _validate_rows(*, run: DeductionRun, agency: Agency, parsed) -> tuple[list, list, list]:
    """Match rows to the run's lines of ``agency``; (rows, errors, warnings)."""
    lines = list(
        DeductionLine.objects.filter(run=run).values("id", "member_id", "agency_id", "total")
    )
    line_by_member = {ln["member_id"]: ln for ln in lines}
    nips = {r.nip for r in parsed.rows if r.nip}
    numbers = {r.number for r in parsed.rows if r.number}
    members_by_nip = {}
    members_by_number = {}
    for mid, nip in Member.objects.filter(nip__in=nips).values_list("id", "nip"):
        members_by_nip[nip] = mid
    for mid, number in Member.objects.filter(number__in=numbers).values_list("id", "number"):
        members_by_number[number] = mid
    agency_names = dict(Agency.objects.values_list("id", "name"))
    rows, errors, warnings = [], [], []
    seen: dict[int, int] = {}
    for r in parsed.rows:
        if r.error and not (r.nip or r.number):
            errors.append({"row": r.row, "column": r.column, "message": r.error})
            continue
        mid = members_by_nip.get(r.nip) if r.nip else None
        if mid is None and r.number:
            mid = members_by_number.get(r.number)
        who = r.nip or r.number
        if mid is None:
            errors.append(
                {
                    "row": r.row,
                    "column": "NIP",
                    "message": _("Anggota %(w)s tidak dikenal.") % {"w": who},
                }
            )
            continue
        if mid in seen:
            errors.append(
                {
                    "row": r.row,
                    "column": "NIP",
                    "message": _("Duplikat: anggota %(w)s sudah ada di baris %(r)s.")
                    % {"w": who, "r": seen[mid]},
                }
            )
            continue
        seen[mid] = r.row
        if r.error:  # the member is known, the amount is not usable
            errors.append({"row": r.row, "column": r.column, "message": r.error})
            continue
        line = line_by_member.get(mid)
        if line is None:
            errors.append(
                {
                    "row": r.row,
                    "column": "NIP",
                    "message": _("Anggota %(w)s tidak ada dalam daftar potong gaji bulan ini.")
                    % {"w": who},
                }
            )
            continue
        if line["agency_id"] != agency.pk:
            errors.append(
                {
                    "row": r.row,
                    "column": "NIP",
                    "message": _("Anggota %(w)s terdaftar di instansi %(a)s, bukan %(b)s.")
                    % {"w": who, "a": agency_names.get(line["agency_id"]), "b": agency.name},
                }
            )
            continue
        if r.amount > line["total"]:
            warnings.append(
                {
                    "row": r.row,
                    "column": _("Realisasi"),
                    "message": _(
                        "Jumlah %(a)s melebihi yang diminta %(t)s; kelebihan %(x)s masuk "
                        "simpanan sukarela."
                    )
                    % {
                        "a": f"{r.amount:,.0f}".replace(",", "."),
                        "t": f"{line['total']:,.0f}".replace(",", "."),
                        "x": f"{r.amount - line['total']:,.0f}".replace(",", "."),
                    },
                }
            )
        rows.append({"row": r.row, "line_id": line["id"], "amount": str(r.amount)})
    return rows, errors, warnings


def _status_for(imp: DeductionImport) -> str:
    excluded = set(imp.excluded_rows)
    blocking = [e for e in imp.errors if e["row"] not in excluded]
    if imp.file_errors or blocking:
        return DeductionImport.Status.INVALID
    return DeductionImport.Status.VALID


def _check_agency_open(run: DeductionRun, agency: Agency) -> None:
    if run.status != DeductionRun.Status.READY:
        raise ApplicationError(E.RUN_NOT_READY, _("Daftar potong gaji belum selesai dibuat."))
    if DeductionImport.objects.filter(
        run=run, agency=agency, status=DeductionImport.Status.POSTED
    ).exists():
        raise ApplicationError(
            E.ALREADY_POSTED,
            _("Potong gaji %(a)s bulan %(m)s sudah diposting.")
            % {"a": agency.name, "m": run.label},
            status=409,
        )
    if not _period_open(run.cutoff_date):
        raise ApplicationError(
            E.PERIOD_CLOSED, _("Periode %(m)s sudah ditutup.") % {"m": run.label}
        )


@transaction.atomic
def deduction_import_upload(
    *, run: DeductionRun, agency: Agency, content: bytes, file_name: str, by
) -> DeductionImport:
    """Read and check a realized file. The import is kept with its row errors (status
    "invalid") or ready to post ("valid"); nothing is posted here. The same file (by
    SHA-256) is accepted once per run and agency (a unique constraint)."""
    _require(by, _("mengunggah realisasi potong gaji"))
    _check_agency_open(run, agency)
    digest = hashlib.sha256(content).hexdigest()
    if DeductionImport.objects.filter(
        run=run, agency=agency, file_hash=digest, status__in=["invalid", "valid", "posted"]
    ).exists():
        raise ApplicationError(
            E.FILE_DUPLICATE,
            _("File ini sudah pernah diunggah untuk %(a)s bulan %(m)s.")
            % {"a": agency.name, "m": run.label},
            status=409,
        )
    parsed = parse_realized(content=content, file_name=file_name)
    rows, errors, warnings = ([], [], [])
    if not parsed.file_errors:
        rows, errors, warnings = _validate_rows(run=run, agency=agency, parsed=parsed)
    imp = DeductionImport(
        run=run,
        agency=agency,
        file_name=(file_name or "realisasi")[:255],
        file_hash=digest,
        rows=rows,
        errors=errors,
        file_errors=parsed.file_errors,
        posted_data={"warnings": warnings},
        total_realized=sum((Decimal(r["amount"]) for r in rows), ZERO),
        created_by=_user(by),
    )
    imp.status = _status_for(imp)
    try:
        with transaction.atomic():
            imp.save()
    except IntegrityError:
        raise ApplicationError(
            E.FILE_DUPLICATE, _("File ini sudah pernah diunggah."), status=409
        ) from None
    audit_log(
        actor=by,
        action="deductions.import_upload",
        target=imp,
        data={
            "file": imp.file_name,
            "rows": len(rows),
            "errors": len(errors),
            "status": imp.status,
        },
    )
    return imp


@transaction.atomic
def deduction_import_exclude(*, imp: DeductionImport, rows: list[int], by) -> DeductionImport:
    """Explicitly leave bad rows out (they count as not deducted). Only rows with errors."""
    _require(by, _("mengecualikan baris"))
    imp = DeductionImport.objects.select_for_update().get(pk=imp.pk)
    if imp.status not in (DeductionImport.Status.INVALID, DeductionImport.Status.VALID):
        raise ApplicationError(E.WRONG_STATUS, _("Impor ini tidak dapat diubah lagi."))
    bad = {e["row"] for e in imp.errors}
    wrong = [r for r in rows if r not in bad]
    if wrong:
        raise ApplicationError(
            E.FILE_INVALID,
            _("Hanya baris yang salah dapat dikecualikan (baris %(r)s tidak salah).")
            % {"r": ", ".join(map(str, wrong))},
        )
    imp.excluded_rows = sorted(set(rows))
    imp.status = _status_for(imp)
    imp.save(update_fields=["excluded_rows", "status"])
    audit_log(
        actor=by, action="deductions.import_exclude", target=imp, data={"rows": imp.excluded_rows}
    )
    return imp


@transaction.atomic
def deduction_import_discard(*, imp: DeductionImport, by) -> DeductionImport:
    _require(by, _("membuang impor"))
    imp = DeductionImport.objects.select_for_update().get(pk=imp.pk)
    if imp.status not in (DeductionImport.Status.INVALID, DeductionImport.Status.VALID):
        raise ApplicationError(E.WRONG_STATUS, _("Impor yang sudah diposting tidak dapat dibuang."))
    imp.status = DeductionImport.Status.DISCARDED
    imp.save(update_fields=["status"])
    audit_log(actor=by, action="deductions.import_discard", target=imp)
    return imp


# --- preview and posting ---------------------------------------------------------------


@dataclass
class MemberPlan:
    line: DeductionLine
    realized: Decimal
    alloc: A.Allocation
    in_file: bool = True
    notes: list[str] = field(default_factory=list)


def _amounts(imp: DeductionImport) -> dict[int, Decimal]:
    excluded = set(imp.excluded_rows)
    return {r["line_id"]: Decimal(r["amount"]) for r in imp.rows if r["row"] not in excluded}


def deduction_import_plan(imp: DeductionImport, lines=None) -> list[MemberPlan]:
    """The preview: what each member's realized money pays (members of the agency missing
    from the file count as not deducted)."""
    prio = deduction_settings_get().priority_list
    amounts = _amounts(imp)
    if lines is None:
        lines = DeductionLine.objects.filter(run_id=imp.run_id, agency_id=imp.agency_id).order_by(
            "member_number"
        )
    plans = []
    for ln in lines:
        realized = amounts.get(ln.pk, ZERO)
        alloc = A.allocate(
            realized=realized,
            wajib=ln.wajib,
            loans=[(Decimal(x["jasa"]), Decimal(x["principal"])) for x in ln.loans],
            purposes=[Decimal(x["amount"]) for x in ln.purposes],
            priority=prio,
        )
        plans.append(MemberPlan(line=ln, realized=realized, alloc=alloc, in_file=ln.pk in amounts))
    return plans


def _inject_failure_point(name: str) -> None:
    """Test hook: tests patch this to raise in the middle of posting."""


@transaction.atomic
def deduction_import_post(*, imp: DeductionImport, by):
    """Post a valid import as ONE journal entry (Dr bank = realized total; Cr wajib,
    purpose savings, sukarela excess, loan jasa/penalty/receivable) with the sub-ledger
    movements through the savings and loans services, all in this one transaction."""
    from core.common.bulk import bulk_update_values
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec, journal_entry_id_reserve, journal_post
    from core.loans.batch import loan_repayments_prepare_bulk
    from core.loans.models import Loan, Repayment
    from core.loans.services import loan_repayments_attach_entry
    from core.savings.batch import (
        Deposit,
        savings_accounts_open_bulk,
        savings_deposits_apply_bulk,
    )
    from core.savings.models import SavingsAccount, SavingsProduct, SavingsTransaction
    from core.savings.selectors import product_for_kind
    from core.savings.services import (
        savings_account_open,
        savings_accounts_lock,
        transactions_link_entry,
    )

    _require(by, _("memposting potong gaji"))
    imp = (
        DeductionImport.objects.select_for_update(of=("self",))
        .select_related("run", "agency")
        .get(pk=imp.pk)
    )
    if imp.status == DeductionImport.Status.POSTED:
        raise ApplicationError(E.ALREADY_POSTED, _("Impor ini sudah diposting."), status=409)
    if imp.status != DeductionImport.Status.VALID:
        raise ApplicationError(
            E.FILE_INVALID,
            _("File masih punya kesalahan; perbaiki atau kecualikan baris yang salah dulu."),
        )
    run, agency = imp.run, imp.agency
    _check_agency_open(run, agency)
    on = run.cutoff_date
    lines = list(
        DeductionLine.objects.select_for_update().filter(run=run, agency=agency).order_by("pk")
    )
    plans = deduction_import_plan(imp, lines)
    total = sum((p.realized for p in plans), ZERO)
    if total <= 0:
        raise ApplicationError(
            E.FILE_INVALID, _("Tidak ada potongan yang terealisasi; tidak ada yang diposting.")
        )
    wajib_p = product_for_kind(SavingsProduct.Kind.WAJIB)
    sukarela_p = product_for_kind(SavingsProduct.Kind.SUKARELA)
    # savings accounts involved: wajib and sukarela (opened when missing), purpose accounts
    need_wajib = {p.line.member_id for p in plans if p.alloc.paid["wajib"] > 0}
    need_suk = {p.line.member_id for p in plans if p.alloc.excess > 0}
    member_ids = need_wajib | need_suk
    existing = {}
    for acc_id, mid, prod_id in SavingsAccount.objects.filter(
        member_id__in=member_ids, status="open", product__in=[x for x in (wajib_p, sukarela_p) if x]
    ).values_list("pk", "member_id", "product_id"):
        existing[(mid, prod_id)] = acc_id
    missing = [(m, wajib_p) for m in sorted(need_wajib) if (m, wajib_p.pk) not in existing] + [
        (m, sukarela_p) for m in sorted(need_suk) if (m, sukarela_p.pk) not in existing
    ]
    if missing:
        mem = Member.objects.in_bulk([m for m, _p in missing])
        opened = savings_accounts_open_bulk(
            opens=[(mem[m], prod) for m, prod in missing], on=on, by=by
        )
        for acc in opened:
            existing[(acc.member_id, acc.product_id)] = acc.pk
    purpose_ids = {int(x["account_id"]) for p in plans for x in p.line.purposes}
    locked = savings_accounts_lock(set(existing.values()) | purpose_ids)
    # loans: lock and repay in loan pk order
    loan_pay: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for p in plans:
        for x, (j, pr) in zip(p.line.loans, p.alloc.loans, strict=True):
            if j + pr > 0:
                loan_pay[int(x["loan_id"])] += j + pr
    loan_state = {
        pk: (member_id, status)
        for pk, member_id, status in Loan.objects.filter(pk__in=list(loan_pay)).values_list(
            "pk", "member_id", "status"
        )
    }
    ledger_lines: list = []
    txns: list = []
    drafts = []
    redirected: dict[int, Decimal] = defaultdict(lambda: ZERO)  # member -> to sukarela
    items = []
    for loan_id in sorted(loan_pay):
        amount = loan_pay[loan_id]
        member_id, status = loan_state[loan_id]
        if status != Loan.Status.DISBURSED:  # closed since the list was made: to sukarela
            redirected[member_id] += amount
            continue
        items.append((loan_id, amount))
    # the batch's journal entry id, so repayments and savings transactions are written
    # linked to it (checked at commit: the entry must then exist)
    entry_id = journal_entry_id_reserve()
    # every loan in one set-based call (same rules as loan_repayment_prepare per loan)
    drafts = loan_repayments_prepare_bulk(
        items=items,
        on=on,
        channel=Repayment.Channel.PAYROLL,
        by=by,
        excess_to=Repayment.ExcessTo.SUKARELA,
        entry_id=entry_id,
    )
    for draft in drafts:
        ledger_lines += draft.lines
        txns += draft.savings_transactions
    # a loan over-payment credited a sukarela account already locked above: re-read it
    credited = {t.account_id for t in txns} & set(locked)
    if credited:
        locked.update(savings_accounts_lock(credited))
    _inject_failure_point("after_loans")
    memo = _("Potong gaji %(m)s") % {"m": run.label}
    excess_memo = _("Kelebihan potong gaji %(m)s") % {"m": run.label}
    deposits: list = []
    for p in plans:
        mid = p.line.member_id
        if p.alloc.paid["wajib"] > 0:
            deposits.append((locked[existing[(mid, wajib_p.pk)]], p.alloc.paid["wajib"], memo))
        for x, amt in zip(p.line.purposes, p.alloc.purposes, strict=True):
            if amt > 0:
                deposits.append((locked[int(x["account_id"])], amt, memo))
        to_suk = p.alloc.excess + redirected.get(mid, ZERO)
        if to_suk > 0:
            key = (mid, sukarela_p.pk)
            if key not in existing:
                acc = savings_account_open(
                    member=Member.objects.get(pk=mid), product=sukarela_p, on=on, by=by
                )
                existing[key] = acc.pk
                locked.update(savings_accounts_lock([acc.pk]))
            deposits.append((locked[existing[key]], to_suk, excess_memo))
    # every deposit in one set-based call (same rules as savings_deposit_apply each)
    applied = savings_deposits_apply_bulk(
        deposits=[
            Deposit(
                account=acc,
                amount=amt,
                channel=SavingsTransaction.Channel.PAYROLL,
                kind=SavingsTransaction.Kind.PAYROLL,
                memo=m,
            )
            for acc, amt, m in deposits
        ],
        on=on,
        by=by,
        locked=True,
        entry_id=entry_id,
    )
    for ap in applied:
        ledger_lines += ap.lines
        txns.append(ap.transaction)
    _inject_failure_point("after_savings")
    # the lines and the import are written before the journal entry (its id is known):
    # the entry locks the year's number counter until commit, so what follows it is short
    for p in plans:
        ln = p.line
        ln.realized = p.realized
        ln.paid_jasa = p.alloc.paid["jasa"]
        ln.paid_principal = p.alloc.paid["principal"]
        ln.paid_wajib = p.alloc.paid["wajib"]
        ln.paid_others = p.alloc.paid["others"]
        ln.to_sukarela = p.alloc.excess
        ln.posted_import = imp
    bulk_update_values(
        DeductionLine,
        lines,
        [
            "realized",
            "paid_jasa",
            "paid_principal",
            "paid_wajib",
            "paid_others",
            "to_sukarela",
            "posted_import",
        ],
    )
    imp.status = DeductionImport.Status.POSTED
    imp.entry_id = entry_id
    imp.posted_at = timezone.now()
    imp.total_realized = total
    imp.posted_data = {
        **(imp.posted_data or {}),
        "savings_transactions": [t.pk for t in txns],
        "repayments": [d.repayment.pk for d in drafts],
    }
    imp.save(update_fields=["status", "entry", "posted_at", "total_realized", "posted_data"])
    audit_log(
        actor=by,
        action="deductions.post",
        target=imp,
        data={
            "run": run.label,
            "agency": agency.code,
            "total": str(total),
            "entry": entry_id,
            "members": len(plans),
        },
    )
    bank = account_for_role("bank")
    entry = journal_post(
        on=on,
        description=_("Potong gaji %(m)s - %(a)s (%(n)s anggota)")
        % {"m": run.label, "a": agency.name, "n": sum(1 for p in plans if p.realized > 0)},
        lines=[LineSpec(account=bank, debit=total, memo=agency.code), *ledger_lines],
        source="deduction",
        source_ref=f"deduction:{run.pk}:{agency.pk}:{imp.pk}",
        by=by,
        entry_id=entry_id,
    )
    # links what was not written linked (sukarela credits of a loan over-payment)
    transactions_link_entry(transactions=txns, entry=entry)
    loan_repayments_attach_entry(drafts=drafts, entry=entry)
    imp.entry = entry
    _inject_failure_point("after_journal")
    return imp


# --- post every ready agency (a Celery task) ---------------------------------------------

# a "post all" still marked running after this long died with its worker: it may start again
# (every agency batch is posted at most once whatever happens: the database enforces it)
POSTING_STALE = timedelta(minutes=30)


@transaction.atomic
def deduction_run_post_all_start(*, run: DeductionRun, by) -> list[int]:
    """Mark the run as posting and return the imports to post, one per agency not posted
    yet that has exactly one file ready ("valid"). Agencies with nothing ready are left
    out; an agency with two ready files is reported (discard one first). The caller
    enqueues one ``deduction_run_post_one`` task per import after commit."""
    _require(by, _("memposting potong gaji"))
    run = DeductionRun.objects.select_for_update().get(pk=run.pk)
    if run.status != DeductionRun.Status.READY:
        raise ApplicationError(E.RUN_NOT_READY, _("Daftar potong gaji belum selesai dibuat."))
    now = timezone.now()
    if (
        run.posting_status == DeductionRun.PostingStatus.RUNNING
        and run.posting_started_at
        and now - run.posting_started_at < POSTING_STALE
    ):
        raise ApplicationError(
            E.POSTING_RUNNING,
            _("Posting semua instansi bulan %(m)s sedang berjalan.") % {"m": run.label},
            status=409,
        )
    if not _period_open(run.cutoff_date):
        raise ApplicationError(
            E.PERIOD_CLOSED, _("Periode %(m)s sudah ditutup.") % {"m": run.label}
        )
    from .selectors import run_ready_imports

    ready, ambiguous = run_ready_imports(run)
    queue = [imp.pk for imp in ready]
    results = [
        {
            "agency": imps[0].agency.name,
            "code": imps[0].agency.code,
            "import": None,
            "ok": False,
            "message": _("%(n)s file siap diposting; buang yang tidak dipakai dulu.")
            % {"n": len(imps)},
        }
        for imps in ambiguous
    ]
    if not queue:
        raise ApplicationError(
            E.NOTHING_TO_POST,
            _("Tidak ada instansi dengan file realisasi yang siap diposting.")
            if not results
            else results[0]["message"],
        )
    run.posting_status = DeductionRun.PostingStatus.RUNNING
    run.posting_total = len(queue)
    run.posting_done = 0
    run.posting_results = results
    run.posting_started_at = now
    run.save(
        update_fields=[
            "posting_status",
            "posting_total",
            "posting_done",
            "posting_results",
            "posting_started_at",
        ]
    )
    audit_log(
        actor=by,
        action="deductions.post_all",
        target=run,
        data={"imports": queue, "skipped": len(results)},
    )
    return queue


def deduction_run_post_one(*, run: DeductionRun, import_id: int, by) -> dict:
    """Post one import queued by ``deduction_run_post_all_start`` in its own transaction
    (``deduction_import_post``: all or nothing for the agency), then record its result
    (posted, or the error that left it unposted) and the progress on the run; the last one
    marks the run done. Several run at once (one Celery task per agency): they share no
    rows but the run's progress, updated in a short transaction of its own."""
    imp = DeductionImport.objects.select_related("agency").get(pk=import_id)
    result = {"agency": imp.agency.name, "code": imp.agency.code, "import": imp.pk}
    try:
        posted = deduction_import_post(imp=imp, by=by)
        result.update(ok=True, message="", total=str(posted.total_realized))
    except ApplicationError as e:
        result.update(ok=False, message=str(e.message))
    except Exception:  # its transaction rolled back: report it; the others go on
        log.exception("Posting deduction import %s failed", import_id)
        result.update(ok=False, message=_("Kesalahan sistem; batch ini tidak diposting."))
    with transaction.atomic():
        run = DeductionRun.objects.select_for_update().get(pk=run.pk)
        run.posting_results = [*run.posting_results, result]
        run.posting_done = min(run.posting_done + 1, run.posting_total)
        if run.posting_done == run.posting_total:
            run.posting_status = DeductionRun.PostingStatus.DONE
        run.save(update_fields=["posting_results", "posting_done", "posting_status"])
    return result


def deduction_run_post_all(*, run: DeductionRun, import_ids: list[int], by) -> DeductionRun:
    """The queued imports one after the other in this process (what the Celery tasks do
    side by side)."""
    for import_id in import_ids:
        deduction_run_post_one(run=run, import_id=import_id, by=by)
    run.refresh_from_db()
    return run


@transaction.atomic
def deduction_import_reverse(*, imp: DeductionImport, reason: str, by) -> DeductionImport:
    """Reverse a posted batch as a whole while its month is open: the journal entry by
    ``journal_reverse``, each savings movement by a withdrawal through the savings
    service, each loan repayment by the loans service; the lines' realized amounts are
    cleared (their dues are asked again)."""
    from core.ledger.services import journal_reverse
    from core.loans.models import Repayment
    from core.loans.services import loan_repayment_reverse_apply
    from core.savings.models import SavingsTransaction
    from core.savings.services import (
        savings_accounts_lock,
        savings_withdraw_apply,
        transactions_link_entry,
    )

    _require(by, _("membatalkan potong gaji"))
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            E.REASON_REQUIRED, _("Alasan pembatalan wajib diisi."), fields={"reason": ["?"]}
        )
    imp = (
        DeductionImport.objects.select_for_update(of=("self",)).select_related("run").get(pk=imp.pk)
    )
    if imp.status != DeductionImport.Status.POSTED:
        raise ApplicationError(
            E.WRONG_STATUS, _("Hanya batch yang sudah diposting dapat dibatalkan.")
        )
    on = imp.entry.date
    if not _period_open(on):
        raise ApplicationError(
            E.PERIOD_CLOSED,
            _("Periode %(m)s sudah ditutup; batch tidak dapat dibatalkan.") % {"m": imp.run.label},
        )
    data = imp.posted_data or {}
    originals = list(
        SavingsTransaction.objects.filter(pk__in=data.get("savings_transactions", [])).order_by(
            "pk"
        )
    )
    locked = savings_accounts_lock({t.account_id for t in originals})
    back = []
    for t in originals:
        ap = savings_withdraw_apply(
            account=locked[t.account_id],
            amount=t.amount,
            on=on,
            by=by,
            channel=SavingsTransaction.Channel.INTERNAL,
            kind=SavingsTransaction.Kind.TRANSFER_OUT,
            memo=_("Pembatalan potong gaji %(m)s") % {"m": imp.run.label},
            locked=True,
            settlement=True,  # wajib is taken back too: this undoes a deposit
        )
        back.append(ap.transaction)
    for rep in (
        Repayment.objects.filter(pk__in=data.get("repayments", []))
        .select_related("loan")
        .order_by("-pk")
    ):
        loan_repayment_reverse_apply(repayment=rep, on=on, by=by)
    rev = journal_reverse(entry=imp.entry, on=on, reason=reason, by=by)
    transactions_link_entry(transactions=back, entry=rev)
    DeductionLine.objects.filter(
        run_id=imp.run_id, agency_id=imp.agency_id, posted_import=imp
    ).update(
        realized=None,
        paid_jasa=ZERO,
        paid_principal=ZERO,
        paid_wajib=ZERO,
        paid_others=ZERO,
        to_sukarela=ZERO,
        posted_import=None,
    )
    imp.status = DeductionImport.Status.REVERSED
    imp.reversal_entry = rev
    imp.reversed_at = timezone.now()
    imp.reversal_reason = reason
    imp.save(update_fields=["status", "reversal_entry", "reversed_at", "reversal_reason"])
    audit_log(
        actor=by, action="deductions.reverse", target=imp, reason=reason, data={"entry": rev.pk}
    )
    return imp
