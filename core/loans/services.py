"""Writes of the loans module: products, the application workflow, disbursement,
repayment (one service for the counter, bank and payroll batches), early payoff, top-up,
rescheduling. The daily arrears run is in ``arrears.py``.

Every service checks the actor's role itself (so the API, the screens and batch callers
get the same rules), runs in one transaction, writes an audit row and sends notices only
on commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.members.models import Member
from core.users.models import User

from . import schedules as S
from .models import (
    Instalment,
    Loan,
    LoanDocument,
    LoanProduct,
    LoanSettings,
    Repayment,
    Reschedule,
)

ZERO = Decimal("0")
R = User.Role

APPLY_ROLES = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PETUGAS, R.ANGGOTA})
VERIFY_ROLES = frozenset({R.ADMIN, R.BENDAHARA})
APPROVE_ROLES = frozenset({R.KETUA})
REJECT_ROLES = frozenset({R.ADMIN, R.BENDAHARA, R.KETUA})
DISBURSE_ROLES = frozenset({R.ADMIN, R.BENDAHARA})
REPAY_ROLES = frozenset({R.ADMIN, R.KETUA, R.BENDAHARA, R.PETUGAS})
RESCHEDULE_ROLES = frozenset({R.KETUA})
PRODUCT_ROLES = frozenset({R.ADMIN})
SETTINGS_ROLES = frozenset({R.ADMIN})


class LoanErrors(StrEnum):
    PERMISSION = "permission_denied"
    INVALID = "loan_invalid"
    AMOUNT_OUT_OF_RANGE = "loan_amount_out_of_range"
    TENOR_OUT_OF_RANGE = "loan_tenor_out_of_range"
    PRODUCT_INACTIVE = "loan_product_inactive"
    UNAFFORDABLE = "loan_unaffordable"
    TAKE_HOME_PAY_MISSING = "loan_take_home_pay_missing"
    MEMBER_NOT_ACTIVE = "loan_member_not_active"
    MEMBERSHIP_TOO_SHORT = "loan_membership_too_short"
    MEMBER_HAS_MACET = "loan_member_has_macet"
    OWN_APPLICATION = "loan_own_application"
    WRONG_STATUS = "loan_wrong_status"
    NOT_APPROVED = "loan_not_approved"
    NOT_RUNNING = "loan_not_running"
    AMOUNT_NOT_POSITIVE = "loan_amount_not_positive"
    AMOUNT_NOT_WHOLE = "loan_amount_not_whole"
    EXCESS_TARGET = "loan_excess_target_required"
    EXCESS_TOO_LARGE = "loan_excess_exceeds_principal"
    REASON_REQUIRED = "loan_reason_required"
    NET_NOT_POSITIVE = "loan_net_disbursement_not_positive"
    TOPUP_INVALID = "loan_topup_invalid"
    DOCUMENTS_MISSING = "loan_documents_missing"
    DATE_INVALID = "loan_date_invalid"


def _require_role(by, roles, what: str) -> None:
    if not (by and getattr(by, "is_authenticated", False) and by.role in roles):
        raise ApplicationError(
            LoanErrors.PERMISSION,
            _("Peran Anda tidak berwenang untuk %(what)s.") % {"what": what},
            status=403,
        )


def _money(value: Any, *, field: str = "amount") -> Decimal:
    if isinstance(value, float):
        raise ApplicationError(LoanErrors.INVALID, _("Jumlah uang tidak boleh float."))
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except Exception:
        raise ApplicationError(
            LoanErrors.INVALID, _("Jumlah tidak valid."), fields={field: [_("Bukan angka.")]}
        )
    if not d.is_finite():
        raise ApplicationError(LoanErrors.INVALID, _("Jumlah tidak valid."))
    return d


def _whole_positive(value: Any, *, field: str, label: str) -> Decimal:
    d = _money(value, field=field)
    if d <= 0:
        raise ApplicationError(
            LoanErrors.AMOUNT_NOT_POSITIVE,
            _("%(label)s harus lebih dari nol.") % {"label": label},
            fields={field: [_("Harus lebih dari nol.")]},
        )
    if d != d.to_integral_value():
        raise ApplicationError(
            LoanErrors.AMOUNT_NOT_WHOLE,
            _("%(label)s harus rupiah bulat.") % {"label": label},
            fields={field: [_("Harus rupiah bulat.")]},
        )
    return d.quantize(Decimal("1"))


def _notify(loan: Loan, subject: str, body: str) -> None:
    """E-mail the member (if they have an address) once the transaction commits."""
    email = loan.member.email
    if not email:
        return

    def send() -> None:
        send_mail(subject, body, None, [email], fail_silently=True)

    transaction.on_commit(send)


# --- products and settings ----------------------------------------------------------

PRODUCT_FIELDS = (
    "code",
    "name",
    "method",
    "rate",
    "rate_period",
    "min_amount",
    "max_amount",
    "min_tenor",
    "max_tenor",
    *(f"{f}_{p}" for f in (*LoanProduct.FEES, "early_payoff") for p in ("kind", "value")),
    "late_penalty_rate",
    "late_penalty_basis",
    "late_penalty_grace_days",
    "max_instalment_share",
    "min_membership_months",
    "refuse_if_macet",
    "is_active",
)


@transaction.atomic
def loan_product_save(*, by, product: LoanProduct | None = None, **data: Any) -> LoanProduct:
    """Create or change a loan product (admin)."""
    _require_role(by, PRODUCT_ROLES, _("mengatur produk pinjaman"))
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ApplicationError(LoanErrors.INVALID, _("Kolom tidak dikenal: %s") % sorted(unknown))
    obj = product or LoanProduct()
    before = {f: str(getattr(obj, f)) for f in PRODUCT_FIELDS} if product else {}
    for k, v in data.items():
        setattr(obj, k, v)
    try:
        obj.full_clean()
    except Exception as exc:
        fields = getattr(exc, "message_dict", {})
        raise ApplicationError(LoanErrors.INVALID, _("Data produk tidak valid."), fields=fields)
    if obj.max_amount < obj.min_amount or obj.max_tenor < obj.min_tenor:
        raise ApplicationError(
            LoanErrors.INVALID, _("Batas minimum tidak boleh melebihi batas maksimum.")
        )
    obj.save()
    changed = {f: str(getattr(obj, f)) for f in PRODUCT_FIELDS}
    audit_log(
        actor=by,
        action="loan.product.update" if product else "loan.product.create",
        target=obj,
        data={k: v for k, v in changed.items() if before.get(k) != v},
    )
    return obj


@transaction.atomic
def loan_settings_update(*, by, **data: Any) -> LoanSettings:
    """Kolektibilitas thresholds and PPAP rates (admin)."""
    _require_role(by, SETTINGS_ROLES, _("mengubah pengaturan pinjaman"))
    obj = LoanSettings.objects.select_for_update().get_or_create(id=1)[0]
    allowed = {
        "lancar_max_days",
        "kurang_lancar_max_days",
        "diragukan_max_days",
        "ppap_lancar",
        "ppap_kurang_lancar",
        "ppap_diragukan",
        "ppap_macet",
    }
    for k, v in data.items():
        if k not in allowed:
            raise ApplicationError(LoanErrors.INVALID, _("Kolom tidak dikenal: %s") % k)
        setattr(obj, k, v)
    t = obj.thresholds
    if not (0 <= t[0] < t[1] < t[2]):
        raise ApplicationError(
            LoanErrors.INVALID, _("Batas hari kolektibilitas harus naik berurutan.")
        )
    for k in ("ppap_lancar", "ppap_kurang_lancar", "ppap_diragukan", "ppap_macet"):
        v = _money(getattr(obj, k), field=k)
        if not (0 <= v <= 100):
            raise ApplicationError(
                LoanErrors.INVALID, _("Tarif PPAP harus 0-100%."), fields={k: ["0-100"]}
            )
    obj.save()
    audit_log(
        actor=by,
        action="loan.settings.update",
        target=obj,
        data={k: str(v) for k, v in data.items()},
    )
    return obj


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
            "monthly_rate": str(self.schedule.rate.normalize()),
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
            % {"min": f"Rp {product.min_amount:,.0f}", "max": f"Rp {product.max_amount:,.0f}"},
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
                    "b": f"Rp {burden:,.0f}",
                    "s": product.max_instalment_share.normalize(),
                    "l": f"Rp {limit:,.0f}",
                },
                fields={"principal": [_("Tidak terjangkau.")]},
            )


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
    on = on or timezone.localdate()
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
        if hasattr(topup_of, "topped_up_by"):
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
        LoanDocument.objects.create(loan=loan, kind=kind, file=file, uploaded_by=by)
    audit_log(
        actor=by,
        action="loan.apply",
        target=loan,
        data={
            "member": member.number,
            "product": product.code,
            "principal": str(sim.principal),
            "tenor": sim.tenor,
            "topup_of": topup_of.number if topup_of else None,
        },
    )
    _notify(
        loan,
        _("Pengajuan pinjaman %s diterima") % loan.number,
        _("Pengajuan pinjaman Anda sebesar Rp %(p)s untuk %(n)s bulan telah kami terima.")
        % {"p": f"{sim.principal:,.0f}", "n": sim.tenor},
    )
    return loan


@transaction.atomic
def loan_document_add(*, loan: Loan, kind: str, file, by) -> LoanDocument:
    _require_role(by, APPLY_ROLES, _("mengunggah dokumen pinjaman"))
    if kind not in LoanDocument.Kind.values:
        raise ApplicationError(LoanErrors.INVALID, _("Jenis dokumen tidak dikenal."))
    doc = LoanDocument.objects.create(loan=loan, kind=kind, file=file, uploaded_by=by)
    audit_log(actor=by, action="loan.document.add", target=loan, data={"kind": kind})
    return doc


def _lock(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("product", "member").get(pk=loan.pk)


def _refuse_own(loan: Loan, by, what: str) -> None:
    if loan.applied_by_id == by.pk:
        raise ApplicationError(
            LoanErrors.OWN_APPLICATION,
            _("Anda tidak boleh %(what)s pengajuan yang Anda buat sendiri.") % {"what": what},
            status=403,
        )


def _expect_status(loan: Loan, *statuses: str, code=LoanErrors.WRONG_STATUS) -> None:
    if loan.status not in statuses:
        raise ApplicationError(
            code,
            _("Pinjaman %(n)s berstatus %(s)s; tindakan ini tidak dapat dilakukan.")
            % {"n": loan.number, "s": loan.get_status_display()},
        )


@transaction.atomic
def loan_verify(*, loan: Loan, by, note: str = "") -> Loan:
    """The treasurer checks the application and documents."""
    _require_role(by, VERIFY_ROLES, _("memverifikasi pinjaman"))
    loan = _lock(loan)
    _expect_status(loan, Loan.Status.APPLIED)
    _refuse_own(loan, by, _("memverifikasi"))
    loan.status = Loan.Status.VERIFIED
    loan.verified_by = by
    loan.verified_at = timezone.now()
    loan.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
    audit_log(actor=by, action="loan.verify", target=loan, reason=note)
    _notify(
        loan,
        _("Pinjaman %s diverifikasi") % loan.number,
        _("Pengajuan Anda telah diverifikasi bendahara."),
    )
    return loan


@transaction.atomic
def loan_approve(*, loan: Loan, by, note: str = "") -> Loan:
    """The chair approves a verified application (never their own)."""
    _require_role(by, APPROVE_ROLES, _("menyetujui pinjaman"))
    loan = _lock(loan)
    _refuse_own(loan, by, _("menyetujui"))
    _expect_status(loan, Loan.Status.VERIFIED)
    loan.status = Loan.Status.APPROVED
    loan.approved_by = by
    loan.approved_at = timezone.now()
    loan.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    audit_log(actor=by, action="loan.approve", target=loan, reason=note)
    _notify(
        loan, _("Pinjaman %s disetujui") % loan.number, _("Pengajuan Anda telah disetujui ketua.")
    )
    return loan


@transaction.atomic
def loan_reject(*, loan: Loan, by, reason: str) -> Loan:
    _require_role(by, REJECT_ROLES, _("menolak pinjaman"))
    if not (reason or "").strip():
        raise ApplicationError(
            LoanErrors.REASON_REQUIRED,
            _("Alasan penolakan wajib diisi."),
            fields={"reason": [_("Wajib diisi.")]},
        )
    loan = _lock(loan)
    _expect_status(loan, Loan.Status.APPLIED, Loan.Status.VERIFIED, Loan.Status.APPROVED)
    _refuse_own(loan, by, _("menolak"))
    loan.status = Loan.Status.REJECTED
    loan.rejected_by = by
    loan.rejected_at = timezone.now()
    loan.rejection_reason = reason.strip()
    loan.save(
        update_fields=["status", "rejected_by", "rejected_at", "rejection_reason", "updated_at"]
    )
    audit_log(actor=by, action="loan.reject", target=loan, reason=loan.rejection_reason)
    _notify(
        loan,
        _("Pinjaman %s ditolak") % loan.number,
        _("Pengajuan Anda ditolak. Alasan: %s") % loan.rejection_reason,
    )
    return loan


# --- ledger glue --------------------------------------------------------------------


def _line(role: str, *, debit=ZERO, credit=ZERO, member_id=None, memo="", accounts=None):
    """A ledger line on the account mapped to ``role`` (``accounts``: roles already
    resolved by a batch, so each role is looked up once)."""
    from core.ledger.selectors import account_for_role
    from core.ledger.services import LineSpec

    if accounts is not None:
        if role not in accounts:
            accounts[role] = account_for_role(role)
        account = accounts[role]
    else:
        account = account_for_role(role)
    return LineSpec(account=account, debit=debit, credit=credit, member_id=member_id, memo=memo)


def _post(*, on: date, description: str, lines: list, source_ref: str, by):
    from core.ledger.services import journal_post

    return journal_post(
        on=on, description=description, lines=lines, source="loan", source_ref=source_ref, by=by
    )


def savings_credit(*, member: Member, kind: str, amount: Decimal, on: date, by, memo: str):
    """Credit ``amount`` to the member's savings of ``kind`` ("wajib" for wajib pinjam,
    "sukarela" for over-payments). Returns ``(lines, transactions)``: the ledger lines
    to post and the savings transactions to link to the entry. The one place that calls
    the savings module."""
    from core.savings.models import SavingsProduct, SavingsTransaction
    from core.savings.services import savings_account_get_or_open, savings_deposit_apply

    product = SavingsProduct.objects.filter(kind=kind, is_active=True).order_by("id").first()
    if product is None:
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Produk simpanan %(k)s belum ada; tidak dapat mengkredit simpanan anggota.")
            % {"k": kind},
        )
    account = savings_account_get_or_open(member=member, product=product, on=on, by=by)
    applied = savings_deposit_apply(
        account=account,
        amount=amount,
        on=on,
        by=by,
        channel=SavingsTransaction.Channel.INTERNAL,
        kind=SavingsTransaction.Kind.TRANSFER_IN,
        memo=memo,
    )
    return list(applied.lines), [applied.transaction]


def _link_savings(transactions: list, entry) -> None:
    if transactions:
        from core.savings.services import transactions_link_entry

        transactions_link_entry(transactions=transactions, entry=entry)


# --- dues ---------------------------------------------------------------------------


@dataclass
class RowState:
    row: Instalment
    penalty_due: Decimal


def _open_rows(loan: Loan) -> list[Instalment]:
    return list(
        Instalment.objects.select_for_update()
        .filter(loan=loan, is_current=True, settled=False)
        .order_by("number")
    )


def row_penalty_due(loan: Loan, row: Instalment, on: date) -> Decimal:
    """Late penalty still owed on an unsettled row: the product's rate of the instalment
    per day / started month beyond the grace days, less what was paid on it already."""
    if row.settled or row.due_date >= on:
        return ZERO
    p = loan.product
    accrued = S.late_penalty(
        overdue_amount=row.principal + row.jasa - row.jasa_waived,
        days_late=(on - row.due_date).days,
        rate_percent=p.late_penalty_rate,
        basis=p.late_penalty_basis,
        grace_days=p.late_penalty_grace_days,
    )
    return max(accrued - row.penalty_paid, ZERO)


@dataclass
class Dues:
    """What a loan owes on a date: overdue/due rows (due on or before the date), and the
    next instalment (the one a repayment pays after the due ones)."""

    penalty: Decimal
    jasa: Decimal
    principal: Decimal
    next_jasa: Decimal
    next_principal: Decimal
    principal_outstanding: Decimal

    @property
    def due_total(self) -> Decimal:
        return self.penalty + self.jasa + self.principal

    @property
    def with_next(self) -> Decimal:
        return self.due_total + self.next_jasa + self.next_principal


def loan_dues(loan: Loan, on: date, rows: list[Instalment] | None = None) -> Dues:
    if rows is None:
        rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    due = [r for r in rows if r.due_date <= on]
    nxt = next((r for r in rows if r.due_date > on), None)
    return Dues(
        penalty=sum((row_penalty_due(loan, r, on) for r in due), ZERO),
        jasa=sum((r.jasa_left for r in due), ZERO),
        principal=sum((r.principal_left for r in due), ZERO),
        next_jasa=nxt.jasa_left if nxt else ZERO,
        next_principal=nxt.principal_left if nxt else ZERO,
        principal_outstanding=loan.principal_outstanding,
    )


def loan_payoff_quote(*, loan: Loan, on: date) -> dict[str, Decimal]:
    """Early payoff: penalty and jasa on instalments due up to the date, all remaining
    principal, and the product's early-payoff fee on the principal not yet due. Jasa of
    instalments not yet due is waived."""
    rows = list(loan.instalments.filter(is_current=True, settled=False).order_by("number"))
    d = loan_dues(loan, on, rows)
    principal = sum((r.principal_left for r in rows), ZERO)  # = principal_outstanding
    not_yet_due = principal - d.principal
    fee = (
        S.fee_amount(
            base=not_yet_due,
            kind=loan.product.early_payoff_kind,
            value=loan.product.early_payoff_value,
        )
        if not_yet_due > 0
        else ZERO
    )
    return {
        "penalty": d.penalty,
        "jasa": d.jasa,
        "principal": principal,
        "early_payoff_fee": fee,
        "total": d.penalty + d.jasa + principal + fee,
    }


# --- disbursement -------------------------------------------------------------------


@transaction.atomic
def loan_disburse(
    *,
    loan: Loan,
    by,
    on: date | None = None,
    via: str = Loan.Channel.CASH,
    first_due_date: date | None = None,
):
    """Pay out an approved loan: posts the entry (receivable; cash/bank out net of fees;
    fee incomes, insurance payable, risk fund; wajib pinjam to the member's savings; for a
    top-up, the old loan settled first) and fixes the schedule. Returns the entry."""
    _require_role(by, DISBURSE_ROLES, _("mencairkan pinjaman"))
    on = on or timezone.localdate()
    loan = _lock(loan)
    _expect_status(loan, Loan.Status.APPROVED, code=LoanErrors.NOT_APPROVED)
    if via not in Loan.Channel.values:
        raise ApplicationError(LoanErrors.INVALID, _("Cara pencairan tidak dikenal."))
    if on < loan.applied_on:
        raise ApplicationError(LoanErrors.DATE_INVALID, _("Tanggal pencairan sebelum pengajuan."))
    first_due = first_due_date or S.add_months(on, 1)
    if first_due <= on:
        raise ApplicationError(
            LoanErrors.DATE_INVALID, _("Jatuh tempo pertama harus setelah tanggal pencairan.")
        )
    if loan.member.status != Member.Status.ACTIVE:
        raise ApplicationError(LoanErrors.MEMBER_NOT_ACTIVE, _("Anggota tidak aktif."))
    product = loan.product
    fees = product_fees(product, loan.principal)
    member_id = loan.member_id
    lines = [_line("loan_receivable", debit=loan.principal, member_id=member_id, memo=loan.number)]
    fee_roles = {
        "admin_fee": "admin_fee_income",
        "provisi": "provisi_income",
        "insurance": "insurance_payable",
        "risk_fund": "risk_fund",
    }
    for name, role in fee_roles.items():
        if fees[name] > 0:
            lines.append(_line(role, credit=fees[name], member_id=member_id, memo=loan.number))
    savings_txns: list = []
    if fees["wajib_pinjam"] > 0:
        more, savings_txns = savings_credit(
            member=loan.member,
            kind="wajib",
            amount=fees["wajib_pinjam"],
            on=on,
            by=by,
            memo=_("Wajib pinjam %s") % loan.number,
        )
        lines += more
    settlement = ZERO
    old = None
    old_parts: dict[str, Decimal] = {}
    if loan.topup_of_id:
        old = _lock(loan.topup_of)
        if old.status != Loan.Status.DISBURSED:
            raise ApplicationError(
                LoanErrors.TOPUP_INVALID,
                _("Pinjaman lama yang akan di-top-up sudah tidak berjalan."),
            )
        q = loan_payoff_quote(loan=old, on=on)
        old_parts = {"penalty": q["penalty"], "jasa": q["jasa"], "principal": q["principal"]}
        settlement = sum(old_parts.values(), ZERO)
        for part, role in (
            ("penalty", "penalty_income"),
            ("jasa", "loan_interest_income"),
            ("principal", "loan_receivable"),
        ):
            if old_parts[part] > 0:
                lines.append(
                    _line(role, credit=old_parts[part], member_id=member_id, memo=old.number)
                )
    net = loan.principal - sum(fees.values(), ZERO) - settlement
    if net <= 0:
        raise ApplicationError(
            LoanErrors.NET_NOT_POSITIVE,
            _("Jumlah diterima bersih %(n)s tidak positif (biaya dan pelunasan melebihi pokok).")
            % {"n": f"Rp {net:,.0f}"},
        )
    lines.append(
        _line(
            "cash" if via == Loan.Channel.CASH else "bank",
            credit=net,
            member_id=member_id,
            memo=loan.number,
        )
    )
    entry = _post(
        on=on,
        description=_("Pencairan pinjaman %(n)s - %(m)s")
        % {"n": loan.number, "m": loan.member.full_name},
        lines=lines,
        source_ref=f"loan:{loan.pk}:disburse",
        by=by,
    )
    _link_savings(savings_txns, entry)
    sched = S.build_schedule(
        method=loan.method,
        principal=loan.principal,
        rate=S.monthly_rate(loan.rate, loan.rate_period),
        tenor=loan.tenor,
        first_due=first_due,
    )
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan,
            version=1,
            number=r.number,
            due_date=r.due_date,
            principal=r.principal,
            jasa=r.jasa,
        )
        for r in sched.rows
    )
    if old is not None:
        _settle_for_topup(old=old, new=loan, parts=old_parts, on=on, entry=entry, by=by)
    loan.status = Loan.Status.DISBURSED
    loan.disbursed_on = on
    loan.disbursed_by = by
    loan.disbursed_via = via
    loan.disbursement_entry = entry
    for name, amount in fees.items():
        setattr(loan, name, amount)
    loan.topup_settlement = settlement
    loan.net_disbursed = net
    loan.first_due_date = first_due
    loan.principal_outstanding = loan.principal
    loan.save()
    audit_log(
        actor=by,
        action="loan.disburse",
        target=loan,
        data={
            "entry": entry.pk,
            "principal": str(loan.principal),
            "fees": {k: str(v) for k, v in fees.items()},
            "topup_settlement": str(settlement),
            "net": str(net),
            "via": via,
        },
    )
    _notify(
        loan,
        _("Pinjaman %s dicairkan") % loan.number,
        _(
            "Pinjaman Anda telah dicairkan: diterima bersih Rp %(n)s; angsuran pertama Rp %(i)s jatuh tempo %(d)s."
        )
        % {"n": f"{net:,.0f}", "i": f"{sched.first_instalment:,.0f}", "d": first_due.isoformat()},
    )
    return entry


def _settle_for_topup(*, old: Loan, new: Loan, parts: dict, on: date, entry, by) -> None:
    rows = _open_rows(old)
    _apply_to_rows(old, rows, on, penalty=parts["penalty"], jasa=parts["jasa"], principal=ZERO)
    _pay_off_rows(old, rows, on)
    amount = sum(parts.values(), ZERO)
    if amount > 0:
        Repayment.objects.create(
            loan=old,
            paid_on=on,
            channel=Repayment.Channel.TOPUP,
            kind=Repayment.Kind.PAYOFF,
            amount=amount,
            penalty=parts["penalty"],
            jasa=parts["jasa"],
            principal=parts["principal"],
            entry=entry,
            created_by=by,
        )
    old.principal_outstanding = ZERO
    old.status = Loan.Status.CLOSED
    old.closed_on = on
    old.closed_by = Loan.ClosedBy.TOPUP
    old.days_past_due = 0
    old.save(
        update_fields=[
            "principal_outstanding",
            "status",
            "closed_on",
            "closed_by",
            "days_past_due",
            "updated_at",
        ]
    )
    audit_log(
        actor=by,
        action="loan.close.topup",
        target=old,
        data={"new_loan": new.number, **{k: str(v) for k, v in parts.items()}},
    )


# --- repayment ----------------------------------------------------------------------


def _apply_to_rows(
    loan: Loan,
    rows: list[Instalment],
    on: date,
    *,
    penalty: Decimal,
    jasa: Decimal,
    principal: Decimal,
) -> None:
    """Spread penalty, jasa and principal over the rows oldest first (each component
    separately) and save them; marks rows settled when fully paid."""
    for r in _spread_to_rows(loan, rows, on, penalty=penalty, jasa=jasa, principal=principal):
        r.save(update_fields=ROW_PAID_FIELDS)


ROW_PAID_FIELDS = ["penalty_paid", "jasa_paid", "principal_paid", "settled", "settled_on"]


def _spread_to_rows(
    loan: Loan,
    rows: list[Instalment],
    on: date,
    *,
    penalty: Decimal,
    jasa: Decimal,
    principal: Decimal,
) -> list[Instalment]:
    """The in-memory half of ``_apply_to_rows``: spread the amounts over the rows oldest
    first and return the rows touched (not saved; the batch service bulk-updates them)."""
    states = [
        S.RowDue(r.pk, row_penalty_due(loan, r, on), r.jasa_left, r.principal_left) for r in rows
    ]
    spread = S.spread_over_rows(states, S.Allocation(penalty, jasa, principal, ZERO))
    touched = []
    for r in rows:
        a = spread[r.pk]
        if a.applied == 0:
            continue
        r.penalty_paid += a.penalty
        r.jasa_paid += a.jasa
        r.principal_paid += a.principal
        if r.principal_left == 0 and r.jasa_left == 0:
            r.settled = True
            r.settled_on = on
        touched.append(r)
    return touched


def _pay_off_rows(loan: Loan, rows: list[Instalment], on: date) -> None:
    """Remaining rows: principal paid, jasa not yet earned waived, settled."""
    for r in rows:
        if r.settled:
            continue
        r.principal_paid = r.principal
        r.jasa_waived = r.jasa - r.jasa_paid
        r.settled = True
        r.settled_on = on
        r.save(update_fields=["principal_paid", "jasa_waived", "settled", "settled_on"])


def _reamortise(loan: Loan, future: list[Instalment], new_principal: Decimal, on: date) -> None:
    """Replace the untouched future rows by a new schedule (next version) over the
    reduced principal, same count and due dates."""
    if not future:
        return
    if new_principal == 0:
        _pay_off_rows(loan, future, on)
        return
    Instalment.objects.filter(pk__in=[r.pk for r in future]).update(is_current=False)
    version = loan.schedule_version + 1
    sched = S.build_schedule(
        method=loan.method,
        principal=new_principal,
        rate=S.monthly_rate(loan.rate, loan.rate_period),
        tenor=len(future),
        first_due=future[0].due_date,
    )
    start = future[0].number
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan,
            version=version,
            number=start + i,
            due_date=r.due_date,
            principal=r.principal,
            jasa=r.jasa,
        )
        for i, r in enumerate(sched.rows)
    )
    loan.schedule_version = version


@dataclass
class RepaymentDraft:
    """A repayment applied to the loan, with the ledger lines crediting it (penalty
    income, jasa income, loan receivable, and sukarela for an over-payment). The caller
    adds the debit (cash, bank, or the payroll batch's bank line), posts, and links the
    entry with ``loan_repayments_attach_entry``."""

    repayment: Repayment
    lines: list = field(default_factory=list)
    savings_transactions: list = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return self.repayment.amount


def _check_repay_call(service: str, *, by, channel: str, excess_to: str) -> None:
    """What every repayment service checks first (shared with ``core.loans.batch``): inside
    a transaction, a role that may take payments, a known channel and excess target."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{service} must run inside a transaction")
    _require_role(by, REPAY_ROLES, _("menerima pembayaran pinjaman"))
    if channel not in (
        Repayment.Channel.COUNTER,
        Repayment.Channel.BANK,
        Repayment.Channel.PAYROLL,
    ):
        raise ApplicationError(LoanErrors.INVALID, _("Cara bayar tidak dikenal."))
    if excess_to not in Repayment.ExcessTo.values:
        raise ApplicationError(LoanErrors.INVALID, _("Tujuan kelebihan bayar tidak dikenal."))


def _check_repayable(loan: Loan, amount: Any) -> Decimal:
    if loan.status != Loan.Status.DISBURSED:
        raise ApplicationError(
            LoanErrors.NOT_RUNNING,
            _("Pinjaman %(n)s tidak berjalan (%(s)s); pembayaran ditolak.")
            % {"n": loan.number, "s": loan.get_status_display()},
        )
    return _whole_positive(amount, field="amount", label=_("Jumlah pembayaran"))


@dataclass
class RepaymentPlan:
    """How a repayment of ``amount`` splits over a loan's open rows (the rules of
    ``loan_repayment_prepare``, shared with the batch service ``core.loans.batch``)."""

    due_rows: list
    nxt: Instalment | None
    due: S.Allocation
    ahead: S.Allocation
    alloc: S.Allocation
    future: list
    future_principal: Decimal
    extra_principal: Decimal


def _repayment_plan(
    loan: Loan, rows: list[Instalment], amt: Decimal, on: date, excess_to: str
) -> RepaymentPlan:
    due_rows = [r for r in rows if r.due_date <= on]
    nxt = next((r for r in rows if r.due_date > on), None)
    # 1. arrears and what is due today: penalty, then jasa, then principal (oldest first)
    due = S.allocate_repayment(
        amount=amt,
        penalty_due=sum((row_penalty_due(loan, r, on) for r in due_rows), ZERO),
        jasa_due=sum((r.jasa_left for r in due_rows), ZERO),
        principal_due=sum((r.principal_left for r in due_rows), ZERO),
    )
    # 2. then the next instalment: jasa, then principal
    ahead = S.allocate_repayment(
        amount=due.excess,
        penalty_due=ZERO,
        jasa_due=nxt.jasa_left if nxt else ZERO,
        principal_due=nxt.principal_left if nxt else ZERO,
    )
    alloc = S.Allocation(
        due.penalty, due.jasa + ahead.jasa, due.principal + ahead.principal, ahead.excess
    )
    future = [r for r in rows if r.due_date > on and r is not nxt]
    future_principal = sum((r.principal_left for r in future), ZERO)
    extra_principal = ZERO
    if alloc.excess > 0:
        if not excess_to:
            raise ApplicationError(
                LoanErrors.EXCESS_TARGET,
                _(
                    "Pembayaran melebihi tagihan sebesar %(e)s: pilih dibayarkan ke pokok "
                    "atau ke simpanan sukarela."
                )
                % {"e": f"Rp {alloc.excess:,.0f}"},
                fields={"excess_to": [_("Wajib dipilih.")]},
            )
        if excess_to == Repayment.ExcessTo.PRINCIPAL:
            if alloc.excess > future_principal:
                raise ApplicationError(
                    LoanErrors.EXCESS_TOO_LARGE,
                    _("Kelebihan %(e)s melebihi sisa pokok %(p)s; gunakan pelunasan.")
                    % {"e": f"Rp {alloc.excess:,.0f}", "p": f"Rp {future_principal:,.0f}"},
                )
            extra_principal = alloc.excess
    return RepaymentPlan(
        due_rows, nxt, due, ahead, alloc, future, future_principal, extra_principal
    )


def loan_repayment_prepare(
    *,
    loan: Loan,
    amount: Any,
    on: date,
    channel: str,
    by,
    excess_to: str = "",
) -> RepaymentDraft:
    """THE repayment service (counter, bank transfer, payroll deduction). Allocates the
    amount penalty -> jasa -> principal over the instalments due up to ``on`` and then the
    next instalment; what is left over goes to principal (the remaining schedule is
    re-amortised) or to the member's sukarela, as chosen. Locks the loan; call it inside
    the caller's transaction (batches: in loan pk order) and post the returned lines."""
    _check_repay_call("loan_repayment_prepare", by=by, channel=channel, excess_to=excess_to)
    loan = _lock(loan)
    amt = _check_repayable(loan, amount)
    if loan.disbursed_on and on < loan.disbursed_on:
        raise ApplicationError(LoanErrors.DATE_INVALID, _("Tanggal bayar sebelum pencairan."))
    rows = _open_rows(loan)
    plan = _repayment_plan(loan, rows, amt, on, excess_to)
    due_rows, nxt, due, ahead, alloc = plan.due_rows, plan.nxt, plan.due, plan.ahead, plan.alloc
    future, future_principal = plan.future, plan.future_principal
    extra_principal = plan.extra_principal
    _apply_to_rows(loan, due_rows, on, penalty=due.penalty, jasa=due.jasa, principal=due.principal)
    if nxt is not None and ahead.jasa + ahead.principal > 0:
        _apply_to_rows(loan, [nxt], on, penalty=ZERO, jasa=ahead.jasa, principal=ahead.principal)
    if extra_principal > 0:
        _reamortise(loan, future, future_principal - extra_principal, on)
    principal_total = alloc.principal + extra_principal
    rep = _repayment_new(
        loan, amt=amt, alloc=alloc, on=on, channel=channel, excess_to=excess_to, by=by
    )
    rep.save(force_insert=True)
    lines, txns = _repayment_lines(loan, rep, principal_total, by=by, on=on)
    _after_payment(loan, principal_total, on)
    audit_log(
        actor=by,
        action="loan.repay",
        target=loan,
        data={"repayment": rep.pk, **_repay_audit_data(rep, principal_total, excess_to)},
    )
    return RepaymentDraft(rep, lines, txns)


def _repayment_new(
    loan: Loan,
    *,
    amt: Decimal,
    alloc: S.Allocation,
    on: date,
    channel: str,
    excess_to: str,
    by,
    entry_id: int | None = None,
) -> Repayment:
    """The (unsaved) repayment row of an allocation; shared with ``core.loans.batch``."""
    return Repayment(
        loan=loan,
        paid_on=on,
        channel=channel,
        kind=Repayment.Kind.INSTALMENT,
        amount=amt,
        penalty=alloc.penalty,
        jasa=alloc.jasa,
        principal=alloc.principal,
        excess=alloc.excess,
        excess_to=excess_to if alloc.excess > 0 else "",
        created_by=by,
        entry_id=entry_id,
    )


def _repay_audit_data(rep: Repayment, principal_total: Decimal, excess_to: str) -> dict:
    """What the audit log keeps of a repayment (one "loan.repay" row, or one entry of a
    batch's "loan.repay_batch" row)."""
    return {
        "amount": str(rep.amount),
        "channel": rep.channel,
        "penalty": str(rep.penalty),
        "jasa": str(rep.jasa),
        "principal": str(principal_total),
        "excess": str(rep.excess),
        "excess_to": excess_to,
    }


def _repayment_lines(
    loan: Loan, rep: Repayment, principal_total: Decimal, *, by, on: date, accounts=None
) -> tuple[list, list]:
    m = loan.member_id
    txns: list = []
    memo = loan.number
    lines = []
    if rep.penalty + rep.early_payoff_fee > 0:
        lines.append(
            _line(
                "penalty_income",
                credit=rep.penalty + rep.early_payoff_fee,
                member_id=m,
                memo=memo,
                accounts=accounts,
            )
        )
    if rep.jasa > 0:
        lines.append(
            _line(
                "loan_interest_income", credit=rep.jasa, member_id=m, memo=memo, accounts=accounts
            )
        )
    if principal_total > 0:
        lines.append(
            _line(
                "loan_receivable", credit=principal_total, member_id=m, memo=memo, accounts=accounts
            )
        )
    if rep.excess > 0 and rep.excess_to == Repayment.ExcessTo.SUKARELA:
        more, txns = savings_credit(
            member=loan.member,
            kind="sukarela",
            amount=rep.excess,
            on=on,
            by=by,
            memo=_("Kelebihan bayar %s") % loan.number,
        )
        lines += more
    return lines, txns


def _after_payment(
    loan: Loan, principal_paid: Decimal, on: date, closed_by: str = Loan.ClosedBy.REPAID
) -> None:
    loan.principal_outstanding -= principal_paid
    fields = ["principal_outstanding", "schedule_version", "updated_at"]
    if not Instalment.objects.filter(loan=loan, is_current=True, settled=False).exists():
        if loan.principal_outstanding != 0:
            raise AssertionError("schedule settled but principal outstanding")
        loan.status = Loan.Status.CLOSED
        loan.closed_on = on
        loan.closed_by = closed_by
        loan.days_past_due = 0
        fields += ["status", "closed_on", "closed_by", "days_past_due"]
    loan.save(update_fields=fields)


def loan_repayments_attach_entry(*, drafts: Sequence[RepaymentDraft], entry) -> int:
    """Link the repayments (and any sukarela credits) of ``drafts`` to the journal entry
    that posted them. Required before commit (a deferred trigger checks)."""
    reps = [d.repayment for d in drafts]
    unlinked = [r.pk for r in reps if r.entry_id is None]  # not written linked already
    n = (
        Repayment.objects.filter(pk__in=unlinked, entry__isnull=True).update(entry=entry)
        if unlinked
        else 0
    )
    for r in reps:
        r.entry = entry
    _link_savings([t for d in drafts for t in d.savings_transactions], entry)
    return n


def _debit_role(channel: str) -> str:
    return "cash" if channel == Repayment.Channel.COUNTER else "bank"


@transaction.atomic
def loan_repay(
    *,
    loan: Loan,
    amount: Any,
    by,
    on: date | None = None,
    channel: str = Repayment.Channel.COUNTER,
    excess_to: str = "",
) -> Repayment:
    """A repayment at the counter (cash) or by bank transfer: one entry, one receipt."""
    on = on or timezone.localdate()
    if channel == Repayment.Channel.PAYROLL:
        raise ApplicationError(
            LoanErrors.INVALID, _("Potong gaji dibukukan melalui batch potong gaji.")
        )
    draft = loan_repayment_prepare(
        loan=loan, amount=amount, on=on, channel=channel, by=by, excess_to=excess_to
    )
    rep = draft.repayment
    lines = [
        _line(
            _debit_role(channel),
            debit=rep.amount,
            member_id=rep.loan.member_id,
            memo=rep.loan.number,
        ),
        *draft.lines,
    ]
    entry = _post(
        on=on,
        description=_("Angsuran pinjaman %(n)s - %(m)s")
        % {"n": rep.loan.number, "m": rep.loan.member.full_name},
        lines=lines,
        source_ref=f"loan-repayment:{rep.pk}",
        by=by,
    )
    loan_repayments_attach_entry(drafts=[draft], entry=entry)
    _notify(
        rep.loan,
        _("Pembayaran pinjaman %s diterima") % rep.loan.number,
        _("Pembayaran Rp %(a)s diterima (kuitansi %(r)s). Sisa pokok Rp %(s)s.")
        % {
            "a": f"{rep.amount:,.0f}",
            "r": rep.receipt_number,
            "s": f"{rep.loan.principal_outstanding:,.0f}",
        },
    )
    return rep


@transaction.atomic
def loan_payoff(
    *, loan: Loan, by, on: date | None = None, channel: str = Repayment.Channel.COUNTER
) -> Repayment:
    """Early payoff at the counter or by bank: pays the quote, closes the loan."""
    _require_role(by, REPAY_ROLES, _("menerima pelunasan pinjaman"))
    on = on or timezone.localdate()
    if channel not in (Repayment.Channel.COUNTER, Repayment.Channel.BANK):
        raise ApplicationError(LoanErrors.INVALID, _("Cara bayar tidak dikenal."))
    loan = _lock(loan)
    _check_repayable(loan, 1)
    q = loan_payoff_quote(loan=loan, on=on)
    rows = _open_rows(loan)
    _apply_to_rows(
        loan,
        [r for r in rows if r.due_date <= on],
        on,
        penalty=q["penalty"],
        jasa=q["jasa"],
        principal=ZERO,
    )
    _pay_off_rows(loan, rows, on)
    rep = Repayment.objects.create(
        loan=loan,
        paid_on=on,
        channel=channel,
        kind=Repayment.Kind.PAYOFF,
        amount=q["total"],
        penalty=q["penalty"],
        jasa=q["jasa"],
        principal=q["principal"],
        early_payoff_fee=q["early_payoff_fee"],
        created_by=by,
    )
    credit_lines, txns = _repayment_lines(loan, rep, q["principal"], by=by, on=on)
    lines = [
        _line(_debit_role(channel), debit=rep.amount, member_id=loan.member_id, memo=loan.number),
        *credit_lines,
    ]
    entry = _post(
        on=on,
        description=_("Pelunasan pinjaman %(n)s - %(m)s")
        % {"n": loan.number, "m": loan.member.full_name},
        lines=lines,
        source_ref=f"loan-repayment:{rep.pk}",
        by=by,
    )
    loan_repayments_attach_entry(drafts=[RepaymentDraft(rep, credit_lines, txns)], entry=entry)
    _after_payment(loan, q["principal"], on, closed_by=Loan.ClosedBy.PAYOFF)
    audit_log(
        actor=by,
        action="loan.payoff",
        target=loan,
        data={k: str(v) for k, v in q.items()} | {"repayment": rep.pk},
    )
    _notify(
        loan, _("Pinjaman %s lunas") % loan.number, _("Pinjaman Anda telah dilunasi. Terima kasih.")
    )
    return rep


# --- rescheduling -------------------------------------------------------------------


@transaction.atomic
def loan_reschedule(
    *,
    loan: Loan,
    by,
    tenor: int,
    reason: str,
    on: date | None = None,
    rate: Any = None,
    first_due_date: date | None = None,
) -> Reschedule:
    """A new schedule for what is outstanding (the chair's decision): overdue unpaid jasa
    is capitalised into principal (posted: receivable / jasa income), unpaid penalty is
    waived; the old rows are kept as history."""
    _require_role(by, RESCHEDULE_ROLES, _("menjadwal ulang pinjaman"))
    if not (reason or "").strip():
        raise ApplicationError(
            LoanErrors.REASON_REQUIRED,
            _("Alasan penjadwalan ulang wajib diisi."),
            fields={"reason": [_("Wajib diisi.")]},
        )
    on = on or timezone.localdate()
    loan = _lock(loan)
    if loan.status != Loan.Status.DISBURSED:
        raise ApplicationError(
            LoanErrors.NOT_RUNNING, _("Hanya pinjaman berjalan yang dapat dijadwal ulang.")
        )
    try:
        n = int(tenor)
    except (TypeError, ValueError):
        n = 0
    if not (1 <= n <= max(loan.product.max_tenor, 1) * 2):
        raise ApplicationError(
            LoanErrors.TENOR_OUT_OF_RANGE,
            _("Tenor baru harus 1-%(m)s bulan.") % {"m": loan.product.max_tenor * 2},
            fields={"tenor": [_("Di luar batas.")]},
        )
    new_rate = loan.rate if rate in (None, "") else _money(rate, field="rate")
    if new_rate < 0:
        raise ApplicationError(LoanErrors.INVALID, _("Jasa tidak boleh negatif."))
    first_due = first_due_date or S.add_months(on, 1)
    if first_due <= on:
        raise ApplicationError(
            LoanErrors.DATE_INVALID, _("Jatuh tempo pertama harus setelah tanggal penjadwalan.")
        )
    rows = _open_rows(loan)
    due = [r for r in rows if r.due_date <= on]
    capital_jasa = sum((r.jasa_left for r in due), ZERO)
    waived_penalty = sum((row_penalty_due(loan, r, on) for r in due), ZERO)
    new_principal = loan.principal_outstanding + capital_jasa
    entry = None
    version_from = loan.schedule_version
    version_to = version_from + 1
    if capital_jasa > 0:
        entry = _post(
            on=on,
            description=_("Kapitalisasi jasa tertunggak %s (penjadwalan ulang)") % loan.number,
            lines=[
                _line(
                    "loan_receivable",
                    debit=capital_jasa,
                    member_id=loan.member_id,
                    memo=loan.number,
                ),
                _line(
                    "loan_interest_income",
                    credit=capital_jasa,
                    member_id=loan.member_id,
                    memo=loan.number,
                ),
            ],
            source_ref=f"loan:{loan.pk}:reschedule:{version_to}",
            by=by,
        )
    Instalment.objects.filter(pk__in=[r.pk for r in rows]).update(is_current=False)
    sched = S.build_schedule(
        method=loan.method,
        principal=new_principal,
        rate=S.monthly_rate(new_rate, loan.rate_period),
        tenor=n,
        first_due=first_due,
    )
    start = (
        max(Instalment.objects.filter(loan=loan).values_list("number", flat=True), default=0) + 1
    )
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan,
            version=version_to,
            number=start + i,
            due_date=r.due_date,
            principal=r.principal,
            jasa=r.jasa,
        )
        for i, r in enumerate(sched.rows)
    )
    rs = Reschedule.objects.create(
        loan=loan,
        on=on,
        version_from=version_from,
        version_to=version_to,
        principal_before=loan.principal_outstanding,
        capitalised_jasa=capital_jasa,
        waived_penalty=waived_penalty,
        old_tenor=loan.tenor,
        new_tenor=n,
        old_rate=loan.rate,
        new_rate=new_rate,
        reason=reason.strip(),
        entry=entry,
        by=by,
    )
    loan.principal_outstanding = new_principal
    loan.schedule_version = version_to
    loan.rate = new_rate
    loan.save(update_fields=["principal_outstanding", "schedule_version", "rate", "updated_at"])
    audit_log(
        actor=by,
        action="loan.reschedule",
        target=loan,
        reason=rs.reason,
        data={
            "version_from": version_from,
            "version_to": version_to,
            "capitalised_jasa": str(capital_jasa),
            "waived_penalty": str(waived_penalty),
            "new_tenor": n,
            "new_rate": str(new_rate),
            "principal": str(new_principal),
        },
    )
    _notify(
        loan,
        _("Pinjaman %s dijadwal ulang") % loan.number,
        _("Pinjaman Anda dijadwal ulang: %(n)s bulan, angsuran pertama Rp %(i)s.")
        % {"n": n, "i": f"{sched.first_instalment:,.0f}"},
    )
    return rs


# --- exit settlement ----------------------------------------------------------------


def member_loans_settle_apply(
    *, member: Member, on: date, by, waive: bool = False, reason: str = ""
) -> list:
    """Close all the member's running loans for an exit settlement (called by
    ``core.savings.settlement`` inside its transaction). Without ``waive``: returns the
    credit lines (penalty and jasa due to income, principal to the receivable) that the
    savings payout balances, totalling ``selectors.member_loans_outstanding``. With
    ``waive`` (death, board decision): the loans are written off — the lines balance by
    themselves (allowance used first, the rest to PPAP expense); jasa and penalty are
    forgiven."""
    _require_role(by, REPAY_ROLES, _("menyelesaikan pinjaman anggota"))
    loans = list(
        Loan.objects.select_for_update()
        .select_related("product", "member")
        .filter(member=member, status=Loan.Status.DISBURSED)
        .order_by("pk")
    )
    lines: list = []
    for loan in loans:
        q = loan_payoff_quote(loan=loan, on=on)
        rows = _open_rows(loan)
        m, memo = loan.member_id, loan.number
        if waive:
            principal = loan.principal_outstanding
            used = min(loan.ppap_amount, principal)
            if used > 0:
                lines.append(_line("ppap_allowance", debit=used, member_id=m, memo=memo))
            if principal - used > 0:
                lines.append(_line("ppap_expense", debit=principal - used, member_id=m, memo=memo))
            if principal > 0:
                lines.append(_line("loan_receivable", credit=principal, member_id=m, memo=memo))
            for r in rows:
                r.principal_paid = r.principal
                r.jasa_waived = r.jasa - r.jasa_paid
                r.settled, r.settled_on = True, on
                r.save(update_fields=["principal_paid", "jasa_waived", "settled", "settled_on"])
            loan.ppap_amount -= used
            loan.principal_outstanding = ZERO
            loan.status = Loan.Status.CLOSED
            loan.closed_on = on
            loan.closed_by = Loan.ClosedBy.PAYOFF
            loan.days_past_due = 0
            loan.save()
            audit_log(
                actor=by,
                action="loan.writeoff",
                target=loan,
                reason=reason,
                data={"principal": str(principal), "ppap_used": str(used)},
            )
            continue
        _apply_to_rows(
            loan,
            [r for r in rows if r.due_date <= on],
            on,
            penalty=q["penalty"],
            jasa=q["jasa"],
            principal=ZERO,
        )
        _pay_off_rows(loan, rows, on)
        total = q["penalty"] + q["jasa"] + q["principal"]
        if total > 0:
            rep = Repayment.objects.create(
                loan=loan,
                paid_on=on,
                channel=Repayment.Channel.SETTLEMENT,
                kind=Repayment.Kind.PAYOFF,
                amount=total,
                penalty=q["penalty"],
                jasa=q["jasa"],
                principal=q["principal"],
                created_by=by,
            )
            credit, _txns = _repayment_lines(loan, rep, q["principal"], by=by, on=on)
            lines += credit
        _after_payment(loan, q["principal"], on, closed_by=Loan.ClosedBy.PAYOFF)
        audit_log(
            actor=by,
            action="loan.settle.exit",
            target=loan,
            reason=reason,
            data={k: str(v) for k, v in q.items()},
        )
    return lines


def loan_repayment_reverse_apply(*, repayment: Repayment, on: date, by) -> Loan:
    """Undo a payroll repayment on the loan's schedule (for a deduction batch reversed as
    a whole; the journal entry is reversed by the caller with ``journal_reverse``). Only
    the loan's latest repayment, paid without re-amortising: its penalty, jasa and
    principal are taken back from the newest rows that hold them (payments fill rows
    oldest first, so this restores the rows exactly); a loan closed by it reopens. The
    repayment row stays (immutable); any sukarela credit of its excess is the caller's.
    Call inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("loan_repayment_reverse_apply must run inside a transaction")
    _require_role(by, DISBURSE_ROLES, _("membatalkan pembayaran pinjaman"))
    loan = _lock(repayment.loan)
    if repayment.excess_to == Repayment.ExcessTo.PRINCIPAL or repayment.kind != "instalment":
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Pembayaran %(r)s tidak dapat dibatalkan otomatis.") % {"r": repayment},
        )
    if Repayment.objects.filter(loan=loan, pk__gt=repayment.pk).exists():
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Pinjaman %(n)s sudah menerima pembayaran sesudah %(r)s; batalkan itu dulu.")
            % {"n": loan.number, "r": repayment},
        )
    rows = list(
        Instalment.objects.select_for_update()
        .filter(loan=loan, is_current=True)
        .order_by("-number")
    )
    left = {"penalty": repayment.penalty, "jasa": repayment.jasa, "principal": repayment.principal}
    for r in rows:
        changed = False
        for comp, attr in (
            ("penalty", "penalty_paid"),
            ("jasa", "jasa_paid"),
            ("principal", "principal_paid"),
        ):
            take = min(left[comp], getattr(r, attr))
            if take > 0:
                setattr(r, attr, getattr(r, attr) - take)
                left[comp] -= take
                changed = True
        if changed:
            if r.settled and (r.principal_left > 0 or r.jasa_left > 0):
                r.settled = False
                r.settled_on = None
            r.save(
                update_fields=[
                    "penalty_paid",
                    "jasa_paid",
                    "principal_paid",
                    "settled",
                    "settled_on",
                ]
            )
    if any(v != 0 for v in left.values()):
        raise ApplicationError(
            LoanErrors.INVALID,
            _("Jadwal pinjaman %(n)s tidak cocok dengan pembayaran %(r)s.")
            % {"n": loan.number, "r": repayment},
        )
    loan.principal_outstanding += repayment.principal
    fields = ["principal_outstanding", "updated_at"]
    if loan.status == Loan.Status.CLOSED:
        loan.status = Loan.Status.DISBURSED
        loan.closed_on = None
        loan.closed_by = ""
        fields += ["status", "closed_on", "closed_by"]
    loan.save(update_fields=fields)
    audit_log(
        actor=by,
        action="loan.repayment_reverse",
        target=loan,
        data={"repayment": repayment.pk, "amount": str(repayment.amount), "on": on.isoformat()},
    )
    return loan
