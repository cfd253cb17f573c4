"""Simulation, eligibility and affordability checks, and the application workflow:
apply, documents, verify, approve, reject."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.dates import format_tanggal
from core.common.errors import ApplicationError, reason_required, text_checked
from core.common.money import format_percent, format_rupiah
from core.common.uploads import upload_check
from core.loans.audit import LoanAudit
from core.members.models import Member

from .. import schedules as S
from ..models import (
    Loan,
    LoanDocument,
    LoanProduct,
    LoanSettings,
)
from .common import (
    APPLY_ROLES,
    APPROVE_ROLES,
    REJECT_ROLES,
    VERIFY_ROLES,
    ZERO,
    LoanErrors,
    R,
    _expect_status,
    _lock,
    _notify,
    _refuse_own,
    _require_role,
    _whole_positive,
    check_loan_date,
)

# --- simulation and checks ----------------------------------------------------------


@dataclass(frozen=True)
class Simulation:
    product: LoanProduct
    principal: Decimal
    tenor: int
    schedule: S.Schedule
    fees: dict[str, Decimal]

    @property
    def total_fees(self) -> Decimal:
        return sum(self.fees.values(), ZERO)

    @property
    def net(self) -> Decimal:
        return self.principal - self.total_fees

    def as_dict(self) -> dict:
        return {
            "product": self.product.code,
            "method": self.schedule.method.value,
            "principal": str(self.principal),
            "tenor": self.tenor,
            # rates are percent with their period everywhere in the API
            "rate": str(self.product.rate.normalize()),
            "rate_period": self.product.rate_period,
            "fees": {k: str(v) for k, v in self.fees.items()},
            "total_fees": str(self.total_fees),
            "net_disbursed": str(self.net),
            "first_instalment": str(self.schedule.first_instalment),
            "total_jasa": str(self.schedule.total_jasa),
            "total_payable": str(self.schedule.total),
            "schedule": self.schedule.as_dicts(),
        }


def product_fees(product: LoanProduct, principal: Decimal) -> dict[str, Decimal]:
    return {
        name: S.fee_amount(
            base=principal,
            kind=getattr(product, f"{name}_kind"),
            value=getattr(product, f"{name}_value"),
        )
        for name in LoanProduct.FEES
    }


def _check_terms(product: LoanProduct, principal: Decimal, tenor: int) -> None:
    if not product.is_active:
        raise ApplicationError(LoanErrors.PRODUCT_INACTIVE, _("Produk pinjaman tidak aktif."))
    if not (product.min_amount <= principal <= product.max_amount):
        raise ApplicationError(
            LoanErrors.AMOUNT_OUT_OF_RANGE,
            _("Jumlah pinjaman harus antara %(min)s dan %(max)s untuk produk ini.")
            % {"min": format_rupiah(product.min_amount), "max": format_rupiah(product.max_amount)},
            fields={"principal": [_("Di luar batas produk.")]},
        )
    if not isinstance(tenor, int) or not (product.min_tenor <= tenor <= product.max_tenor):
        raise ApplicationError(
            LoanErrors.TENOR_OUT_OF_RANGE,
            _("Tenor harus antara %(min)s dan %(max)s bulan untuk produk ini.")
            % {"min": product.min_tenor, "max": product.max_tenor},
            fields={"tenor": [_("Di luar batas produk.")]},
        )


def loan_simulate(
    *, product: LoanProduct, principal: Any, tenor: Any, on: date | None = None
) -> Simulation:
    """The full schedule and fees for a would-be loan (nothing is written)."""
    p = _whole_positive(principal, field="principal", label=_("Jumlah pinjaman"))
    try:
        n = int(tenor)
    except (TypeError, ValueError):
        raise ApplicationError(
            LoanErrors.INVALID, _("Tenor harus bilangan bulat."), fields={"tenor": ["?"]}
        )
    _check_terms(product, p, n)
    first_due = S.add_months(on, 1) if on else None
    sched = S.build_schedule(
        method=product.method,
        principal=p,
        rate=S.monthly_rate(product.rate, product.rate_period),
        tenor=n,
        first_due=first_due,
        day=on.day if on else None,  # e.g. from 31 January: 28 February, 31 March, ...
    )
    return Simulation(product, p, n, sched, product_fees(product, p))


def membership_months(join_date: date, on: date) -> int:
    months = (on.year - join_date.year) * 12 + on.month - join_date.month
    if on.day < join_date.day:
        months -= 1
    return max(months, 0)


def member_instalment_burden(member: Member, *, exclude: Sequence[int] = ()) -> Decimal:
    """Monthly instalments the member already carries: the next unpaid instalment of
    each running loan, and the first instalment of loans in the pipeline."""
    total = ZERO
    running = Loan.objects.filter(member=member, status=Loan.Status.DISBURSED).exclude(
        pk__in=exclude
    )
    for loan in running:
        row = loan.instalments.filter(is_current=True, settled=False).order_by("number").first()
        if row is not None:
            total += row.principal + row.jasa
    pipeline = Loan.objects.filter(
        member=member,
        status__in=[Loan.Status.APPLIED, Loan.Status.VERIFIED, Loan.Status.APPROVED],
    ).exclude(pk__in=exclude)
    for loan in pipeline:
        sched = S.build_schedule(
            method=loan.method,
            principal=loan.principal,
            rate=S.monthly_rate(loan.rate, loan.rate_period),
            tenor=loan.tenor,
        )
        total += sched.max_instalment
    return total


def _check_eligibility(
    *, member: Member, product: LoanProduct, on: date, sim: Simulation, exclude: Sequence[int] = ()
) -> None:
    if member.status != Member.Status.ACTIVE:
        raise ApplicationError(LoanErrors.MEMBER_NOT_ACTIVE, _("Anggota tidak aktif."))
    months = membership_months(member.join_date, on)
    if months < product.min_membership_months:
        raise ApplicationError(
            LoanErrors.MEMBERSHIP_TOO_SHORT,
            _("Lama keanggotaan %(m)s bulan; produk ini mensyaratkan minimal %(n)s bulan.")
            % {"m": months, "n": product.min_membership_months},
        )
    if (
        product.refuse_if_macet
        and Loan.objects.filter(
            member=member, status=Loan.Status.DISBURSED, kolektibilitas=S.Kolektibilitas.MACET
        ).exists()
    ):
        raise ApplicationError(
            LoanErrors.MEMBER_HAS_MACET,
            _("Anggota masih memiliki pinjaman berkolektibilitas Macet."),
        )
    if product.max_instalment_share > 0:
        if member.take_home_pay is None or member.take_home_pay <= 0:
            raise ApplicationError(
                LoanErrors.TAKE_HOME_PAY_MISSING,
                _("Gaji bersih anggota belum diisi; kemampuan bayar tidak dapat dinilai."),
            )
        limit = S.rupiah(member.take_home_pay * product.max_instalment_share / 100)
        burden = member_instalment_burden(member, exclude=exclude) + sim.schedule.max_instalment
        if burden > limit:
            raise ApplicationError(
                LoanErrors.UNAFFORDABLE,
                _(
                    "Angsuran total %(b)s melebihi batas %(s)s%% gaji bersih (%(l)s). "
                    "Kurangi jumlah atau perpanjang tenor."
                )
                % {
                    "b": format_rupiah(burden),
                    "s": format_percent(product.max_instalment_share),
                    "l": format_rupiah(limit),
                },
                fields={"principal": [_("Tidak terjangkau.")]},
            )


def loan_limits_recheck(loan: Loan, *, on: date) -> None:
    """The product's limits (active, amount, tenor) and the member's eligibility and
    affordability checked again for a loan in the pipeline, as they are on ``on``: the
    take-home pay, the plafon or the member's other loans may have changed since the
    application. Approval and disbursement call it; the loan itself (and the loan a
    top-up settles) is not counted twice."""
    sim = loan_simulate(product=loan.product, principal=loan.principal, tenor=loan.tenor)
    exclude = [loan.pk] + ([loan.topup_of_id] if loan.topup_of_id else [])
    _check_eligibility(member=loan.member, product=loan.product, on=on, sim=sim, exclude=exclude)


def _next_number(on: date) -> str:
    st = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]
    number = f"PJ-{on:%Y}-{st.next_loan_seq:06d}"
    LoanSettings.objects.filter(id=1).update(next_loan_seq=F("next_loan_seq") + 1)
    return number


# --- workflow -----------------------------------------------------------------------


REQUIRED_DOCUMENTS = (LoanDocument.Kind.APPLICATION_LETTER, LoanDocument.Kind.PAYSLIP)


@transaction.atomic
def loan_apply(
    *,
    member: Member,
    product: LoanProduct,
    principal: Any,
    tenor: Any,
    by,
    on: date | None = None,
    purpose: str = "",
    documents: Sequence[tuple[str, Any]] = (),
    topup_of: Loan | None = None,
) -> Loan:
    """Record an application with its documents (application letter and payslip are
    required). Checks amount and tenor against the product, eligibility and
    affordability. A top-up names the running loan it will settle."""
    _require_role(by, APPLY_ROLES, _("mengajukan pinjaman"))
    if by.role == R.ANGGOTA and getattr(getattr(by, "member", None), "pk", None) != member.pk:
        raise ApplicationError(
            LoanErrors.PERMISSION, _("Anggota hanya dapat mengajukan untuk dirinya."), status=403
        )
    on = check_loan_date(
        on or timezone.localdate(), field="applied_on", label=_("Tanggal pengajuan")
    )
    if on < member.join_date:  # a paper form dated before the member joined: a typo
        raise ApplicationError(
            LoanErrors.DATE_INVALID,
            _("Tanggal pengajuan %(d)s sebelum anggota masuk (%(j)s).")
            % {"d": format_tanggal(on), "j": format_tanggal(member.join_date)},
            fields={
                "applied_on": [
                    _("Paling awal tanggal masuk anggota, %s.") % format_tanggal(member.join_date)
                ]
            },
        )
    sim = loan_simulate(product=product, principal=principal, tenor=tenor)
    kinds = {k for k, _f in documents}
    missing = [k for k in REQUIRED_DOCUMENTS if k not in kinds]
    if missing:
        raise ApplicationError(
            LoanErrors.DOCUMENTS_MISSING,
            _("Dokumen wajib belum diunggah: %s.")
            % ", ".join(str(LoanDocument.Kind(k).label) for k in missing),
            fields={"documents": missing},
        )
    bad_kinds = kinds - set(LoanDocument.Kind.values)
    if bad_kinds:
        raise ApplicationError(LoanErrors.INVALID, _("Jenis dokumen tidak dikenal."))
    exclude: list[int] = []
    if topup_of is not None:
        topup_of = Loan.objects.select_for_update().get(pk=topup_of.pk)
        if topup_of.member_id != member.pk or topup_of.status != Loan.Status.DISBURSED:
            raise ApplicationError(
                LoanErrors.TOPUP_INVALID,
                _("Top-up hanya atas pinjaman berjalan milik anggota yang sama."),
            )
        if topup_of.topped_up_by.exclude(status=Loan.Status.REJECTED).exists():
            raise ApplicationError(
                LoanErrors.TOPUP_INVALID, _("Pinjaman ini sudah diajukan untuk top-up.")
            )
        exclude.append(topup_of.pk)
    Member.objects.select_for_update().filter(pk=member.pk).first()  # serialise per member
    _check_eligibility(member=member, product=product, on=on, sim=sim, exclude=exclude)
    loan = Loan.objects.create(
        number=_next_number(on),
        member=member,
        product=product,
        status=Loan.Status.APPLIED,
        principal=sim.principal,
        tenor=sim.tenor,
        method=product.method,
        rate=product.rate,
        rate_period=product.rate_period,
        purpose=purpose[:300],
        topup_of=topup_of,
        applied_on=on,
        applied_by=by,
    )
    for kind, file in documents:
        upload_check(file, field=kind, code=LoanErrors.INVALID)
        LoanDocument.objects.create(loan=loan, kind=kind, file=file, uploaded_by=by)
    audit_log(
        actor=by,
        action=LoanAudit.APPLY,
        target=loan,
        data={
            "member": member.number,
            "product": product.code,
            "principal": str(sim.principal),
            "tenor": sim.tenor,
            "topup_of": topup_of.number if topup_of else None,
            "applied_on": on.isoformat(),
        },
    )
    _notify(
        loan,
        lambda: (
            _("Pengajuan pinjaman %s diterima") % loan.number,
            _("Pengajuan pinjaman Anda sebesar %(p)s untuk %(n)s bulan telah kami terima.")
            % {"p": format_rupiah(sim.principal), "n": sim.tenor},
        ),
    )
    return loan


# a loan takes documents while it is being decided, not once disbursed, closed or rejected
DOCUMENT_STATES = (Loan.Status.APPLIED, Loan.Status.VERIFIED, Loan.Status.APPROVED)


@transaction.atomic
def loan_document_add(*, loan: Loan, kind: str, file, by) -> LoanDocument:
    _require_role(by, APPLY_ROLES, _("mengunggah dokumen pinjaman"))
    if kind not in LoanDocument.Kind.values:
        raise ApplicationError(LoanErrors.INVALID, _("Jenis dokumen tidak dikenal."))
    if loan.status not in DOCUMENT_STATES:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Dokumen hanya dapat ditambahkan sebelum pinjaman dicairkan."),
            fields={"file": [_("Status pinjaman tidak menerima dokumen.")]},
        )
    upload_check(file, code=LoanErrors.INVALID)
    doc = LoanDocument.objects.create(loan=loan, kind=kind, file=file, uploaded_by=by)
    audit_log(actor=by, action=LoanAudit.DOCUMENT_ADD, target=loan, data={"kind": kind})
    return doc


def _decision_date(on: date | None, *, after: date, after_label: str, label: str) -> date:
    """The business date of a workflow decision (verification, approval) the person
    enters: today when left empty; a real date within the books, not in the future and
    not before the step it follows (``after``, named by ``after_label``). A decision
    posts nothing, so a closed period does not matter here (the disbursement, which
    posts, refuses one itself)."""
    on = check_loan_date(timezone.localdate() if on is None else on, field="on", label=label)
    if on < after:
        msg = _("%(label)s %(on)s sebelum %(step)s (%(after)s).") % {
            "label": label,
            "on": format_tanggal(on),
            "step": after_label,
            "after": format_tanggal(after),
        }
        raise ApplicationError(LoanErrors.DATE_INVALID, msg, fields={"on": [msg]})
    return on


def _note(note: str) -> str:
    """A decision's note as typed (the loan screen posts it straight here): multi-line,
    a control character refused (``validation_error`` on ``note``, ``text_checked``)."""
    return text_checked(note or "", field="note", label=_("Catatan"), multiline=True)


@transaction.atomic
def loan_verify(*, loan: Loan, by, note: str = "", on: date | None = None) -> Loan:
    """The treasurer checks the application and documents, on ``on`` (default today; a
    loan recorded late carries the date of its paper file, not before the application).
    The optional ``note`` (audited) is refused with a control character (``_note``)."""
    _require_role(by, VERIFY_ROLES, _("memverifikasi pinjaman"))
    note = _note(note)
    loan = _lock(loan)
    _expect_status(loan, Loan.Status.APPLIED)
    _refuse_own(loan, by, _("memverifikasi"))
    on = _decision_date(
        on,
        after=loan.applied_on,
        after_label=_("tanggal pengajuan"),
        label=_("Tanggal verifikasi"),
    )
    loan.status = Loan.Status.VERIFIED
    loan.verified_by = by
    loan.verified_at = timezone.now()  # the click, for the audit
    loan.verified_on = on
    loan.save(update_fields=["status", "verified_by", "verified_at", "verified_on", "updated_at"])
    audit_log(
        actor=by, action=LoanAudit.VERIFY, target=loan, reason=note, data={"on": on.isoformat()}
    )
    _notify(
        loan,
        lambda: (
            _("Pinjaman %s diverifikasi") % loan.number,
            _("Pengajuan Anda telah diverifikasi bendahara."),
        ),
    )
    return loan


@transaction.atomic
def loan_approve(*, loan: Loan, by, note: str = "", on: date | None = None) -> Loan:
    """The chair approves a verified application (never their own) on ``on``: default
    today; a loan approved on paper earlier is recorded with that date (not in the
    future, not before its verification). The disbursement may not be dated before it;
    ``approved_at`` stays the click time for the audit. The optional ``note`` as the
    verification's."""
    _require_role(by, APPROVE_ROLES, _("menyetujui pinjaman"))
    note = _note(note)
    loan = _lock(loan)
    _refuse_own(loan, by, _("menyetujui"))
    _expect_status(loan, Loan.Status.VERIFIED)
    if loan.verified_on is not None:
        after, after_label = loan.verified_on, _("verifikasi bendahara")
    else:
        after, after_label = loan.applied_on, _("tanggal pengajuan")
    on = _decision_date(on, after=after, after_label=after_label, label=_("Tanggal persetujuan"))
    loan_limits_recheck(loan, on=on)
    loan.status = Loan.Status.APPROVED
    loan.approved_by = by
    loan.approved_at = timezone.now()  # the click, for the audit
    loan.approved_on = on
    loan.save(update_fields=["status", "approved_by", "approved_at", "approved_on", "updated_at"])
    audit_log(
        actor=by, action=LoanAudit.APPROVE, target=loan, reason=note, data={"on": on.isoformat()}
    )
    _notify(
        loan,
        lambda: (
            _("Pinjaman %s disetujui") % loan.number,
            _("Pengajuan Anda telah disetujui ketua."),
        ),
    )
    return loan


@transaction.atomic
def loan_reject(*, loan: Loan, by, reason: str) -> Loan:
    _require_role(by, REJECT_ROLES, _("menolak pinjaman"))
    reason = reason_required(
        reason, code=LoanErrors.REASON_REQUIRED, message=_("Alasan penolakan wajib diisi.")
    )
    loan = _lock(loan)
    _expect_status(loan, Loan.Status.APPLIED, Loan.Status.VERIFIED, Loan.Status.APPROVED)
    _refuse_own(loan, by, _("menolak"))
    loan.status = Loan.Status.REJECTED
    loan.rejected_by = by
    loan.rejected_at = timezone.now()
    loan.rejection_reason = reason
    loan.save(
        update_fields=["status", "rejected_by", "rejected_at", "rejection_reason", "updated_at"]
    )
    audit_log(actor=by, action=LoanAudit.REJECT, target=loan, reason=loan.rejection_reason)
    _notify(
        loan,
        lambda: (
            _("Pinjaman %s ditolak") % loan.number,
            _("Pengajuan Anda ditolak. Alasan: %s") % loan.rejection_reason,
        ),
    )
    return loan
