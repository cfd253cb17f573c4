"""Loans: products, loans (application to closing), the instalment schedule (kept with
its history across rescheduling), repayments, documents, arrears runs.

``Loan.principal_outstanding`` is the loan sub-ledger; its sum over loans equals the
ledger's ``loan_receivable`` control account, and the sum of ``Loan.ppap_amount`` equals
the ``ppap_allowance`` account (see ``selectors.loans_reconciliation``).
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.common.dates import format_tanggal
from core.common.loading import FastFromDb
from core.common.uploads import loan_document_path
from core.ledger.models import TransactionNow
from core.ledger.selectors import receipt_number_for, receipt_numbers_for
from core.members.models import Member

from .schedules import (
    KOLEK_GRADES,
    AmountKind,
    KolekScheme,
    Kolektibilitas,
    Method,
    PenaltyBasis,
    RatePeriod,
)

ZERO = Decimal("0")
MONEY = {"max_digits": 18, "decimal_places": 2}


def rate_label(rate: Decimal, period: str) -> str:
    """A rate in percent with its period, written the Indonesian way ("1,5% per bulan")."""
    text = format(Decimal(rate).normalize(), "f").replace(".", ",")
    return f"{text}% {dict(RATE_PERIOD_CHOICES).get(period, period)}"


def _choices(enum, labels):
    return [(m.value, labels[m.value]) for m in enum]


METHOD_CHOICES = _choices(
    Method,
    {"flat": _("Flat"), "annuity": _("Anuitas"), "declining": _("Menurun (efektif)")},
)
RATE_PERIOD_CHOICES = _choices(RatePeriod, {"month": _("per bulan"), "year": _("per tahun")})
AMOUNT_KIND_CHOICES = _choices(AmountKind, {"percent": _("Persen"), "fixed": _("Nominal tetap")})
PENALTY_BASIS_CHOICES = _choices(
    PenaltyBasis, {"per_day": _("per hari"), "per_month": _("per bulan")}
)
KOLEK_CHOICES = _choices(
    Kolektibilitas,
    {
        "lancar": _("Lancar"),
        "dpk": _("Dalam Perhatian Khusus"),
        "kurang_lancar": _("Kurang Lancar"),
        "diragukan": _("Diragukan"),
        "macet": _("Macet"),
    },
)

SCHEME_CHOICES = [
    (KolekScheme.FOUR.value, _("Empat golongan (Lancar, Kurang Lancar, Diragukan, Macet)")),
    (
        KolekScheme.FIVE.value,
        _("Lima golongan (Lancar, Dalam Perhatian Khusus, Kurang Lancar, Diragukan, Macet)"),
    ),
]


class LoanSettings(models.Model):
    """Per-cooperative loan settings (one row, pk=1): the kolektibilitas scheme (four or
    five grades), its thresholds (the last day past due of each grade) and PPAP rates
    (percent of outstanding principal net of deferred jasa), and how many instalments a
    restructured loan pays on time in a row before its grade may improve one step."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    kolek_scheme = models.CharField(
        _("skema kolektibilitas"),
        max_length=5,
        choices=SCHEME_CHOICES,
        default=KolekScheme.FOUR,
    )
    lancar_max_days = models.PositiveIntegerField(_("Lancar sampai (hari)"), default=90)
    dpk_max_days = models.PositiveIntegerField(
        _("Dalam Perhatian Khusus sampai (hari)"),
        default=90,
        help_text=_("Hanya skema lima golongan."),
    )
    kurang_lancar_max_days = models.PositiveIntegerField(
        _("Kurang Lancar sampai (hari)"), default=180
    )
    diragukan_max_days = models.PositiveIntegerField(_("Diragukan sampai (hari)"), default=270)
    ppap_lancar = models.DecimalField(
        _("PPAP Lancar (%)"), max_digits=6, decimal_places=3, default=Decimal("0.5")
    )
    ppap_dpk = models.DecimalField(
        _("PPAP Dalam Perhatian Khusus (%)"), max_digits=6, decimal_places=3, default=Decimal("5")
    )
    ppap_kurang_lancar = models.DecimalField(
        _("PPAP Kurang Lancar (%)"), max_digits=6, decimal_places=3, default=Decimal("10")
    )
    ppap_diragukan = models.DecimalField(
        _("PPAP Diragukan (%)"), max_digits=6, decimal_places=3, default=Decimal("50")
    )
    ppap_macet = models.DecimalField(
        _("PPAP Macet (%)"), max_digits=6, decimal_places=3, default=Decimal("100")
    )
    restructure_probation_instalments = models.PositiveSmallIntegerField(
        _("angsuran tepat waktu sebelum kolektibilitas pinjaman restrukturisasi membaik"),
        default=3,
    )
    next_loan_seq = models.PositiveIntegerField(default=1)
    last_arrears_run = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("pengaturan pinjaman")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="loans_settings_single"),
            models.CheckConstraint(
                condition=Q(lancar_max_days__lt=F("kurang_lancar_max_days"))
                & Q(kurang_lancar_max_days__lt=F("diragukan_max_days"))
                & (
                    Q(kolek_scheme=KolekScheme.FOUR)
                    | Q(
                        lancar_max_days__lt=F("dpk_max_days"),
                        dpk_max_days__lt=F("kurang_lancar_max_days"),
                    )
                ),
                name="loans_settings_thresholds_ascending",
            ),
            models.CheckConstraint(
                condition=Q(kolek_scheme__in=[s.value for s in KolekScheme]),
                name="loans_settings_kolek_scheme",
            ),
            models.CheckConstraint(
                condition=Q(restructure_probation_instalments__gte=1),
                name="loans_settings_probation_gte_1",
            ),
            models.CheckConstraint(
                condition=Q(ppap_lancar__gte=0, ppap_lancar__lte=100)
                & Q(ppap_dpk__gte=0, ppap_dpk__lte=100)
                & Q(ppap_kurang_lancar__gte=0, ppap_kurang_lancar__lte=100)
                & Q(ppap_diragukan__gte=0, ppap_diragukan__lte=100)
                & Q(ppap_macet__gte=0, ppap_macet__lte=100),
                name="loans_settings_ppap_range",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Pengaturan pinjaman"))

    @classmethod
    def get(cls) -> "LoanSettings":
        obj, _created = cls.objects.get_or_create(id=1)
        return obj

    @property
    def is_five(self) -> bool:
        return self.kolek_scheme == KolekScheme.FIVE

    @property
    def grades(self) -> tuple:
        """The grades of the scheme in force, best first."""
        return KOLEK_GRADES[KolekScheme(self.kolek_scheme)]

    @property
    def thresholds(self) -> tuple[int, ...]:
        """The last day past due of each grade but Macet (``schedules.kolektibilitas``)."""
        if self.is_five:
            return (
                self.lancar_max_days,
                self.dpk_max_days,
                self.kurang_lancar_max_days,
                self.diragukan_max_days,
            )
        return (self.lancar_max_days, self.kurang_lancar_max_days, self.diragukan_max_days)

    @property
    def ppap_rates(self) -> dict:
        rates = {
            Kolektibilitas.LANCAR: self.ppap_lancar,
            Kolektibilitas.DPK: self.ppap_dpk,
            Kolektibilitas.KURANG_LANCAR: self.ppap_kurang_lancar,
            Kolektibilitas.DIRAGUKAN: self.ppap_diragukan,
            Kolektibilitas.MACET: self.ppap_macet,
        }
        return {g: rates[g] for g in self.grades}

    def bands(self) -> list[dict]:
        """Each grade of the scheme with its days-past-due band and PPAP rate (for the
        screens and reports)."""
        t = self.thresholds
        out, low = [], 0
        for i, g in enumerate(self.grades):
            high = t[i] if i < len(t) else None
            out.append(
                {
                    "grade": g,
                    "label": dict(KOLEK_CHOICES)[g.value],
                    "from": low,
                    "to": high,
                    "ppap": self.ppap_rates[g],
                }
            )
            low = (high or 0) + 1
        return out


def _kind_field(label: str) -> models.CharField:
    return models.CharField(
        _("jenis %s") % label, max_length=8, choices=AMOUNT_KIND_CHOICES, default=AmountKind.PERCENT
    )


def _value_field(label: str) -> models.DecimalField:
    return models.DecimalField(
        _("nilai %s") % label,
        max_digits=18,
        decimal_places=3,
        default=ZERO,
        help_text=_("Persen dari pokok, atau rupiah bila nominal tetap."),
    )


class LoanProduct(FastFromDb, models.Model):
    code = models.CharField(_("kode"), max_length=30, unique=True)
    name = models.CharField(_("nama produk"), max_length=120)
    method = models.CharField(_("metode"), max_length=10, choices=METHOD_CHOICES)
    rate = models.DecimalField(_("jasa (%)"), max_digits=7, decimal_places=4)
    rate_period = models.CharField(
        _("periode jasa"), max_length=5, choices=RATE_PERIOD_CHOICES, default=RatePeriod.MONTH
    )
    min_amount = models.DecimalField(_("plafon minimum"), **MONEY)
    max_amount = models.DecimalField(_("plafon maksimum"), **MONEY)
    min_tenor = models.PositiveSmallIntegerField(_("tenor minimum (bulan)"), default=1)
    max_tenor = models.PositiveSmallIntegerField(_("tenor maksimum (bulan)"))
    admin_fee_kind = _kind_field("Biaya administrasi")
    admin_fee_value = _value_field("Biaya administrasi")
    provisi_kind = _kind_field("Provisi")
    provisi_value = _value_field("Provisi")
    insurance_kind = _kind_field("Asuransi")
    insurance_value = _value_field("Asuransi")
    wajib_pinjam_kind = _kind_field("Wajib pinjam")
    wajib_pinjam_value = _value_field("Wajib pinjam")
    risk_fund_kind = _kind_field("Dana risiko")
    risk_fund_value = _value_field("Dana risiko")
    late_penalty_rate = models.DecimalField(
        _("denda keterlambatan (% dari angsuran tertunggak)"),
        max_digits=7,
        decimal_places=4,
        default=ZERO,
    )
    late_penalty_basis = models.CharField(
        _("denda dihitung"), max_length=10, choices=PENALTY_BASIS_CHOICES, default="per_month"
    )
    late_penalty_grace_days = models.PositiveSmallIntegerField(_("masa tenggang (hari)"), default=0)
    early_payoff_kind = _kind_field("penalti pelunasan dipercepat")
    early_payoff_value = _value_field("penalti pelunasan dipercepat")
    max_instalment_share = models.DecimalField(
        _("angsuran maksimum (% gaji bersih)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("33.33"),
        help_text=_("0 = tanpa batas kemampuan bayar."),
    )
    min_membership_months = models.PositiveSmallIntegerField(
        _("minimal lama keanggotaan (bulan)"), default=0
    )
    refuse_if_macet = models.BooleanField(_("tolak bila ada pinjaman Macet"), default=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    FEES = ("admin_fee", "provisi", "insurance", "wajib_pinjam", "risk_fund")

    class Meta:
        ordering = ["code"]
        verbose_name = _("produk pinjaman")
        verbose_name_plural = _("produk pinjaman")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_amount__gt=0) & Q(max_amount__gte=F("min_amount")),
                name="loans_product_amount_range",
            ),
            models.CheckConstraint(
                condition=Q(min_tenor__gte=1) & Q(max_tenor__gte=F("min_tenor")),
                name="loans_product_tenor_range",
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(late_penalty_rate__gte=0),
                name="loans_product_rates_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(admin_fee_value__gte=0)
                & Q(provisi_value__gte=0)
                & Q(insurance_value__gte=0)
                & Q(wajib_pinjam_value__gte=0)
                & Q(risk_fund_value__gte=0)
                & Q(early_payoff_value__gte=0),
                name="loans_product_fees_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(max_instalment_share__gte=0) & Q(max_instalment_share__lte=100),
                name="loans_product_share_range",
            ),
            models.CheckConstraint(
                condition=Q(method__in=[m.value for m in Method]), name="loans_product_method"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def rate_label(self) -> str:
        """The rate with its period, for people: "1% per bulan", "12% per tahun"."""
        return rate_label(self.rate, self.rate_period)

    @property
    def choice_label(self) -> str:
        """How a product is offered on the apply and simulate screens."""
        return _("%(name)s — jasa %(rate)s, %(method)s") % {
            "name": self.name,
            "rate": self.rate_label,
            "method": self.get_method_display(),
        }


class Loan(FastFromDb, models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Diajukan")
        VERIFIED = "verified", _("Diverifikasi")
        APPROVED = "approved", _("Disetujui")
        DISBURSED = "disbursed", _("Berjalan")
        CLOSED = "closed", _("Lunas")
        REJECTED = "rejected", _("Ditolak")

    class ClosedBy(models.TextChoices):
        REPAID = "repaid", _("Lunas sesuai jadwal")
        PAYOFF = "payoff", _("Pelunasan dipercepat")
        TOPUP = "topup", _("Dilunasi oleh top-up")
        WRITEOFF = "writeoff", _("Dihapusbukukan")

    class Channel(models.TextChoices):
        CASH = "cash", _("Tunai")
        BANK = "bank", _("Transfer bank")

    number = models.CharField(_("nomor pinjaman"), max_length=30, unique=True)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="loans", verbose_name=_("anggota")
    )
    product = models.ForeignKey(
        LoanProduct, on_delete=models.PROTECT, related_name="loans", verbose_name=_("produk")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.APPLIED, db_index=True
    )
    principal = models.DecimalField(_("pokok pinjaman"), **MONEY)
    tenor = models.PositiveSmallIntegerField(_("tenor (bulan)"))
    method = models.CharField(_("metode"), max_length=10, choices=METHOD_CHOICES)
    rate = models.DecimalField(_("jasa (%)"), max_digits=7, decimal_places=4)
    rate_period = models.CharField(_("periode jasa"), max_length=5, choices=RATE_PERIOD_CHOICES)
    purpose = models.CharField(_("keperluan"), max_length=300, blank=True)
    # one live top-up per loan (a rejected application frees the loan: constraint below)
    topup_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topped_up_by",
        verbose_name=_("top-up atas pinjaman"),
    )

    applied_on = models.DateField(_("tanggal pengajuan"))
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)  # the click, for the audit
    # the business dates (a loan recorded late carries the dates on the paper file)
    verified_on = models.DateField(_("tanggal verifikasi"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)  # the click, for the audit
    approved_on = models.DateField(_("tanggal persetujuan"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_reason = models.TextField(_("alasan penolakan"), blank=True)

    disbursed_on = models.DateField(_("tanggal pencairan"), null=True, blank=True)
    disbursed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    disbursed_via = models.CharField(
        _("dicairkan melalui"), max_length=5, choices=Channel.choices, blank=True
    )
    disbursement_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    admin_fee = models.DecimalField(_("biaya administrasi"), default=ZERO, **MONEY)
    provisi = models.DecimalField(_("provisi"), default=ZERO, **MONEY)
    insurance = models.DecimalField(_("asuransi"), default=ZERO, **MONEY)
    wajib_pinjam = models.DecimalField(_("wajib pinjam"), default=ZERO, **MONEY)
    risk_fund = models.DecimalField(_("dana risiko"), default=ZERO, **MONEY)
    topup_settlement = models.DecimalField(_("pelunasan pinjaman lama"), default=ZERO, **MONEY)
    net_disbursed = models.DecimalField(_("diterima bersih"), default=ZERO, **MONEY)
    first_due_date = models.DateField(_("jatuh tempo pertama"), null=True, blank=True)
    schedule_version = models.PositiveSmallIntegerField(default=1)

    principal_outstanding = models.DecimalField(_("sisa pokok"), default=ZERO, **MONEY)
    days_past_due = models.PositiveIntegerField(_("hari tunggakan"), default=0)
    kolektibilitas = models.CharField(
        _("kolektibilitas"), max_length=15, choices=KOLEK_CHOICES, default=Kolektibilitas.LANCAR
    )
    ppap_amount = models.DecimalField(_("PPAP"), default=ZERO, **MONEY)
    # restructuring: overdue jasa capitalised into the principal, not yet recognised as
    # income (the loan's part of the ``deferred_jasa_income`` liability), and the grade
    # the loan had when it was last restructured ("" = never restructured)
    deferred_jasa = models.DecimalField(_("jasa ditangguhkan"), default=ZERO, **MONEY)
    # of ``deferred_jasa``, the late penalty (denda) capitalised with the overdue jasa (a
    # top-up of a loan in arrears): recognised as penalty income, not jasa income, and
    # first (the allocation order: penalty, then jasa; ``deferred_recognition_split``)
    deferred_penalty = models.DecimalField(_("denda ditangguhkan"), default=ZERO, **MONEY)
    # jasa arrears brought in at a move-in (``core.onboarding``): income of the old books,
    # still owed, held on ``loan_interest_receivable`` (1105). Repayments settle it first
    # (credit 1105, not income) until it is exhausted; the sum over loans is that
    # account's sub-ledger (``selectors.loans_reconciliation``).
    jasa_receivable = models.DecimalField(_("piutang jasa dibawa"), default=ZERO, **MONEY)
    restructured_grade = models.CharField(
        _("kolektibilitas saat restrukturisasi"), max_length=15, choices=KOLEK_CHOICES, blank=True
    )
    restructured_on = models.DateField(_("tanggal restrukturisasi"), null=True, blank=True)
    closed_on = models.DateField(_("tanggal lunas"), null=True, blank=True)
    closed_by = models.CharField(
        _("lunas karena"), max_length=10, choices=ClosedBy.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("pinjaman")
        verbose_name_plural = _("pinjaman")
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["status", "kolektibilitas"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="loans_loan_principal_gt_0"),
            models.CheckConstraint(condition=Q(tenor__gte=1), name="loans_loan_tenor_gte_1"),
            models.CheckConstraint(
                condition=Q(principal_outstanding__gte=0) & Q(ppap_amount__gte=0),
                name="loans_loan_outstanding_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(jasa_receivable__gte=0), name="loans_loan_jasa_receivable_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(admin_fee__gte=0)
                & Q(provisi__gte=0)
                & Q(insurance__gte=0)
                & Q(wajib_pinjam__gte=0)
                & Q(risk_fund__gte=0)
                & Q(topup_settlement__gte=0)
                & Q(net_disbursed__gte=0),
                name="loans_loan_amounts_gte_0",
            ),
            # maker != checker
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True) | ~Q(verified_by=F("applied_by")),
                name="loans_loan_verifier_not_applicant",
            ),
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("applied_by")),
                name="loans_loan_approver_not_applicant",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["disbursed", "closed"])
                | (
                    Q(disbursement_entry__isnull=False)
                    & Q(approved_by__isnull=False)
                    & Q(verified_by__isnull=False)
                    & Q(disbursed_on__isnull=False)
                ),
                name="loans_loan_disbursed_has_entry",
            ),
            # the workflow's dates in order: applied <= verified <= approved <= disbursed
            models.CheckConstraint(
                condition=(Q(verified_on__isnull=True) | Q(verified_on__gte=F("applied_on")))
                & (
                    Q(approved_on__isnull=True)
                    | (
                        Q(approved_on__gte=F("applied_on"))
                        & (Q(verified_on__isnull=True) | Q(approved_on__gte=F("verified_on")))
                    )
                )
                & (
                    Q(disbursed_on__isnull=True)
                    | Q(approved_on__isnull=True)
                    | Q(disbursed_on__gte=F("approved_on"))
                ),
                name="loans_loan_workflow_dates_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="loans_loan_rejected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="disbursed") | Q(principal_outstanding=0),
                name="loans_loan_outstanding_only_when_running",
            ),
            # deferred jasa is part of the principal outstanding (it was capitalised)
            models.CheckConstraint(
                condition=Q(deferred_jasa__gte=0)
                & Q(deferred_jasa__lte=F("principal_outstanding")),
                name="loans_loan_deferred_jasa_within_outstanding",
            ),
            # the deferred penalty is part of the deferred amount
            models.CheckConstraint(
                condition=Q(deferred_penalty__gte=0) & Q(deferred_penalty__lte=F("deferred_jasa")),
                name="loans_loan_deferred_penalty_within_deferred",
            ),
            models.UniqueConstraint(
                fields=["topup_of"],
                condition=~Q(status="rejected"),
                name="loans_loan_one_live_topup",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.DISBURSED

    @property
    def status_label(self) -> str:
        """The status as people read it: a loan closed by a write-off (an exit on death,
        the board's decision) is *Dihapusbukukan*, not *Lunas*: nothing was repaid."""
        if self.status == self.Status.CLOSED and self.closed_by == self.ClosedBy.WRITEOFF:
            return self.get_closed_by_display()
        return self.get_status_display()

    @property
    def is_restructured(self) -> bool:
        return bool(self.restructured_grade)

    @property
    def grade_inherited_on(self) -> date | None:
        """A top-up of a loan in arrears, or of a restructured loan still on its probation,
        takes the old loan's grade (``restructured_grade``, the worse of its grade and its
        days past due) on the day it is paid out: that day; None for any other loan (a
        top-up of a loan with nothing overdue and no probation inherits nothing)."""
        inherited = self.topup_of_id and self.restructured_grade and self.restructured_on
        return (
            self.disbursed_on if inherited and self.restructured_on == self.disbursed_on else None
        )

    @property
    def rate_label(self) -> str:
        return rate_label(self.rate, self.rate_period)


class LoanDocument(models.Model):
    class Kind(models.TextChoices):
        APPLICATION_LETTER = "application_letter", _("Surat permohonan")
        PAYSLIP = "payslip", _("Slip gaji")
        OTHER = "other", _("Lainnya")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("jenis dokumen"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("berkas"), upload_to=loan_document_path, max_length=200)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "id"]
        verbose_name = _("dokumen pinjaman")
        verbose_name_plural = _("dokumen pinjaman")

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind}"


class Instalment(FastFromDb, models.Model):
    """One row of a loan's schedule. Rows of earlier schedule versions (before a
    rescheduling or a re-amortisation after an over-payment) are kept with
    ``is_current=False``."""

    # indexed by the unique (loan, version, number) it comes first in
    loan = models.ForeignKey(
        Loan, on_delete=models.PROTECT, related_name="instalments", db_index=False
    )
    version = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    number = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    principal = models.DecimalField(**MONEY)
    jasa = models.DecimalField(**MONEY)
    principal_paid = models.DecimalField(default=ZERO, **MONEY)
    jasa_paid = models.DecimalField(default=ZERO, **MONEY)
    jasa_waived = models.DecimalField(default=ZERO, **MONEY)
    penalty_paid = models.DecimalField(default=ZERO, **MONEY)
    # late penalty charged so far: ``penalty_periods`` periods (days or started months
    # beyond the grace days, by the product's basis) came to ``penalty_charged``. A
    # payment applied to the row charges the periods up to its date on what was unpaid
    # during them before it changes what is unpaid; later periods are charged on what is
    # left (``schedules.row_penalty_charge``). 0/0: nothing charged yet (every row
    # written before these fields existed).
    penalty_periods = models.PositiveIntegerField(default=0)
    penalty_charged = models.DecimalField(default=ZERO, **MONEY)
    settled = models.BooleanField(default=False)
    settled_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "version", "number"]
        verbose_name = _("angsuran")
        verbose_name_plural = _("angsuran")
        constraints = [
            models.UniqueConstraint(
                fields=["loan", "version", "number"], name="loans_instalment_unique"
            ),
            models.CheckConstraint(
                condition=Q(principal__gte=0) & Q(jasa__gte=0), name="loans_instalment_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(principal_paid__gte=0, principal_paid__lte=F("principal"))
                & Q(jasa_paid__gte=0, jasa_waived__gte=0)
                & Q(jasa_paid__lte=F("jasa") - F("jasa_waived"))
                & Q(penalty_paid__gte=0),
                name="loans_instalment_paid_within_due",
            ),
            models.CheckConstraint(
                condition=~Q(settled=True)
                | (Q(principal_paid=F("principal")) & Q(jasa_paid=F("jasa") - F("jasa_waived"))),
                name="loans_instalment_settled_means_paid",
            ),
            models.CheckConstraint(
                condition=Q(penalty_charged__gte=0), name="loans_instalment_penalty_charged_gte_0"
            ),
        ]
        indexes = [
            # the current schedule's rows by loan and due date. Not limited to unsettled
            # rows on purpose: an index whose condition names ``settled`` makes every
            # payment that settles a row a non-HOT update (new entries in every index)
            models.Index(
                fields=["loan", "due_date"],
                condition=Q(is_current=True),
                name="loans_inst_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}#{self.number} v{self.version}"

    @property
    def total(self) -> Decimal:
        return self.principal + self.jasa

    @property
    def principal_left(self) -> Decimal:
        return self.principal - self.principal_paid

    @property
    def jasa_left(self) -> Decimal:
        return self.jasa - self.jasa_waived - self.jasa_paid


class Repayment(models.Model):
    """Money received for a loan, with its allocation. Its journal entry is posted by the
    caller (the counter service, or a payroll batch posting many repayments in one entry);
    a deferred trigger refuses a commit that leaves a repayment without its entry (except
    an exit settlement's, posted by the savings module's settlement entry)."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Tunai di kantor")
        BANK = "bank", _("Transfer bank")
        PAYROLL = "payroll", _("Potong gaji")
        TOPUP = "topup", _("Pelunasan oleh top-up")
        SETTLEMENT = "settlement", _("Dari simpanan (keluar anggota)")
        # at the counter, from the member's simpanan sukarela (no cash; its own receipt)
        SUKARELA = "sukarela", _("Dari simpanan sukarela")

    class Kind(models.TextChoices):
        INSTALMENT = "instalment", _("Angsuran")
        PAYOFF = "payoff", _("Pelunasan dipercepat")

    class ExcessTo(models.TextChoices):
        NONE = "", _("-")
        PRINCIPAL = "principal", _("Pelunasan sebagian pokok")
        SUKARELA = "sukarela", _("Simpanan sukarela")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="repayments")
    paid_on = models.DateField(_("tanggal bayar"), db_index=True)
    channel = models.CharField(_("cara bayar"), max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INSTALMENT)
    amount = models.DecimalField(_("jumlah"), **MONEY)
    penalty = models.DecimalField(_("denda"), default=ZERO, **MONEY)
    jasa = models.DecimalField(_("jasa"), default=ZERO, **MONEY)
    principal = models.DecimalField(_("pokok"), default=ZERO, **MONEY)
    excess = models.DecimalField(_("kelebihan"), default=ZERO, **MONEY)
    excess_to = models.CharField(
        _("kelebihan ke"), max_length=10, choices=ExcessTo.choices, blank=True
    )
    early_payoff_fee = models.DecimalField(_("penalti pelunasan"), default=ZERO, **MONEY)
    # deferred jasa (capitalised at a restructuring) recognised as income by this payment
    deferred_jasa_recognised = models.DecimalField(
        _("jasa ditangguhkan diakui"), default=ZERO, **MONEY
    )
    # of ``deferred_jasa_recognised``, the capitalised late penalty (the loan's
    # ``deferred_penalty``) recognised: credited to penalty income, the rest to jasa income
    deferred_penalty_recognised = models.DecimalField(
        _("denda ditangguhkan diakui"), default=ZERO, **MONEY
    )
    # the part of ``jasa`` that settled the loan's brought-in jasa receivable (credited to
    # ``loan_interest_receivable``, not income: it was income of the old books)
    jasa_receivable_settled = models.DecimalField(
        _("piutang jasa dibawa yang dilunasi"), default=ZERO, **MONEY
    )
    # an early payoff (top-up, exit settlement): jasa the member had paid ahead on rows not
    # yet due, which the payoff waives like the rest of their jasa: counted toward the
    # principal owed (jasa income debited, the receivable credited in the payoff's entry),
    # so ``amount`` is the parts less it. ``jasa_ahead_rows``: [[instalment id, "amount"],
    # ...], the rows' jasa paid before the payoff, what a reversal restores.
    jasa_ahead_credited = models.DecimalField(
        _("jasa dibayar di muka diperhitungkan"), default=ZERO, **MONEY
    )
    jasa_ahead_rows = models.JSONField(default=list, blank=True, editable=False)
    # a top-up's settlement of a loan in arrears: the part of ``jasa`` capitalised into the
    # new loan (credited to deferred jasa income, not income: no cash came in)
    jasa_deferred = models.DecimalField(_("jasa dikapitalisasi"), default=ZERO, **MONEY)
    # the late-penalty state this payment advanced on schedule rows, as it was before:
    # [[instalment id, penalty_periods, "penalty_charged"], ...]; what a reversal restores.
    # Empty for a payment that charged no new penalty period (and for payments made before
    # rows kept that state, which changed none)
    penalty_rows_before = models.JSONField(default=list, blank=True, editable=False)
    # an excess to principal (``excess_to="principal"``): what it changed, as it was before,
    # so that its reversal restores it exactly: {"rows": [[instalment id, "principal_paid",
    # "jasa_paid", "jasa_waived", "penalty_paid", penalty_periods, "penalty_charged",
    # settled, "settled_on" or null], ...] (the loan's open rows), "future": [ids] (the rows
    # it re-amortised, or paid off when no principal was left), "version_to": the schedule
    # version it wrote (null: none), "loan": {field: value} (outstanding, deferred amounts,
    # status)}. Empty for every other payment, and for one made before it was kept (whose
    # reversal is refused: ``repayment_reversal_refusal``)
    schedule_before = models.JSONField(default=dict, blank=True, editable=False)
    entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("pembayaran angsuran")
        verbose_name_plural = _("pembayaran angsuran")
        constraints = [
            # 0 only for a top-up's or an exit's settlement whose jasa paid ahead covers
            # all that was left (nothing received; the loan is closed by it)
            models.CheckConstraint(
                condition=Q(amount__gt=0)
                | (Q(amount=0) & Q(kind="payoff") & Q(jasa_ahead_credited__gt=0)),
                name="loans_repayment_amount_gt_0",
            ),
            models.CheckConstraint(
                condition=Q(penalty__gte=0)
                & Q(jasa__gte=0)
                & Q(principal__gte=0)
                & Q(excess__gte=0)
                & Q(early_payoff_fee__gte=0)
                & Q(deferred_jasa_recognised__gte=0)
                & Q(jasa_ahead_credited__gte=0),
                name="loans_repayment_parts_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(deferred_penalty_recognised__gte=0)
                & Q(deferred_penalty_recognised__lte=F("deferred_jasa_recognised")),
                name="loans_repayment_deferred_penalty_within_recognised",
            ),
            models.CheckConstraint(
                condition=Q(jasa_receivable_settled__gte=0)
                & Q(jasa_receivable_settled__lte=F("jasa")),
                name="loans_repayment_jasa_receivable_within_jasa",
            ),
            models.CheckConstraint(
                condition=Q(jasa_deferred__gte=0)
                & Q(jasa_deferred__lte=F("jasa") - F("jasa_receivable_settled")),
                name="loans_repayment_jasa_deferred_within_jasa",
            ),
            models.CheckConstraint(
                condition=Q(jasa_ahead_credited=0)
                | (Q(kind="payoff") & Q(jasa_ahead_credited__lte=F("principal"))),
                name="loans_repayment_jasa_ahead_payoff_within_principal",
            ),
            models.CheckConstraint(
                condition=Q(
                    amount=F("penalty")
                    + F("jasa")
                    + F("principal")
                    + F("excess")
                    + F("early_payoff_fee")
                    - F("jasa_ahead_credited")
                ),
                name="loans_repayment_parts_sum",
            ),
            models.CheckConstraint(
                condition=Q(excess=0) | ~Q(excess_to=""), name="loans_repayment_excess_has_target"
            ),
            # the schedule kept for a reversal belongs to an excess to principal, whole
            models.CheckConstraint(
                condition=Q(schedule_before={})
                | (
                    Q(excess_to="principal", excess__gt=0)
                    & Q(schedule_before__has_keys=["rows", "future", "version_to", "loan"])
                ),
                name="loans_repayment_schedule_before_excess_to_principal",
            ),
        ]

    def __str__(self) -> str:
        """Its receipt number; a payment that issued none (a payroll batch's, a top-up's
        or an exit's settlement) what it was: its channel, date and journal entry (a
        batch's reference), never the stand-in ``receipt_number``, which no series holds
        (audit rows, the reversal's memo, the admin)."""
        if not self.pk or self.receipt_issued:
            return self.receipt_number
        label = f"{self.get_channel_display()} {date_format(self.paid_on)}"
        if self.entry_id is None:
            return label
        return f"{label} · {_('ref. %(ref)s') % {'ref': self.entry}}"

    @property
    def issued_receipt_number(self) -> str | None:
        """Its receipt number if it issued one (``receipt_issued``), else None: what the
        API answers, never the stand-in."""
        return self.receipt_number if self.receipt_issued else None

    @property
    def jasa_net(self) -> Decimal:
        """The jasa as a statement shows it: less the jasa paid ahead a payoff counted
        toward the principal (negative for such a payoff), so the parts add up to the
        amount."""
        return self.jasa - self.jasa_ahead_credited

    # A statement's other parts, so that penalty + jasa + principal + to sukarela add up
    # to the amount: the loan page, the portal, the kartu and the repayments report.

    @property
    def penalty_shown(self) -> Decimal:
        """The late penalty with an early payoff's penalty fee."""
        return self.penalty + self.early_payoff_fee

    @property
    def principal_shown(self) -> Decimal:
        """The principal with an excess paid to the principal (a partial prepayment)."""
        return self.principal + (self.excess if self.excess_to == self.ExcessTo.PRINCIPAL else ZERO)

    @property
    def to_sukarela(self) -> Decimal:
        """An excess credited to the member's sukarela."""
        return self.excess if self.excess_to == self.ExcessTo.SUKARELA else ZERO

    @property
    def receipt_number(self) -> str:
        """Its number in the ledger's loan-repayment series (ANG-2026-000001); rows paid
        before that series keep the old form (KW-…). A payroll batch, a top-up's or an
        exit's settlement issues no receipt: its value here is a stand-in shown nowhere
        (``issued_receipt_number`` is None, ``str()`` names what it was)."""
        if not self.pk:
            return "ANG-?"
        if "_receipt_number" not in self.__dict__:  # read with the list: receipts_prime
            self._receipt_number = receipt_number_for(f"loan-repayment:{self.pk}")
        return self._receipt_number or f"KW-{self.paid_on:%Y}-{self.pk:07d}"

    @property
    def receipt_issued(self) -> bool:
        """Whether the payment has a receipt: one of the series (ANG-…), or, paid at the
        counter or by transfer before the series, its number of the old form. A payroll
        batch, a top-up's or an exit's settlement issues none (its ``receipt_number`` is
        a stand-in, shown nowhere; ``str()`` and the API's null ``receipt_number`` do not
        use it): what it was names it (``core.loans.selectors.repayments_name``)."""
        if self.channel in (self.Channel.COUNTER, self.Channel.BANK, self.Channel.SUKARELA):
            return True
        return bool(self.pk) and not self.receipt_number.startswith("KW-")


def receipts_prime(repayments) -> list[Repayment]:
    """Read the receipt numbers of these repayments in one query (a list shows each
    one's ``receipt_number``); returns them as a list."""
    reps = [r for r in repayments if r is not None]
    numbers = receipt_numbers_for([f"loan-repayment:{r.pk}" for r in reps if r.pk])
    for r in reps:
        r._receipt_number = numbers.get(f"loan-repayment:{r.pk}")
    return reps


class Reschedule(models.Model):
    """A rescheduling: the outstanding (with any overdue jasa capitalised, as deferred
    jasa) gets a new schedule; the old rows stay as history (``version_from``). The rows
    of a loan are the history of its terms; ``grade_before`` is the grade it keeps."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="reschedules")
    on = models.DateField()
    version_from = models.PositiveSmallIntegerField()
    version_to = models.PositiveSmallIntegerField()
    principal_before = models.DecimalField(**MONEY)
    capitalised_jasa = models.DecimalField(default=ZERO, **MONEY)
    waived_penalty = models.DecimalField(default=ZERO, **MONEY)
    old_tenor = models.PositiveSmallIntegerField()
    new_tenor = models.PositiveSmallIntegerField()
    old_rate = models.DecimalField(max_digits=7, decimal_places=4)
    new_rate = models.DecimalField(max_digits=7, decimal_places=4)
    rate_period = models.CharField(max_length=5, choices=RATE_PERIOD_CHOICES, blank=True)
    grade_before = models.CharField(max_length=15, choices=KOLEK_CHOICES, blank=True)
    first_due_date = models.DateField(null=True, blank=True)
    reason = models.TextField()
    entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "id"]
        verbose_name = _("penjadwalan ulang")
        verbose_name_plural = _("penjadwalan ulang")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="loans_reschedule_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} v{self.version_from}→v{self.version_to}"


class ArrearsRun(models.Model):
    """One run of the daily arrears task: grades and PPAP updated, allowance change posted.
    (Closed loans keep their PPAP until the next run releases it.)"""

    class Kind(models.TextChoices):
        # as of the day it was made: the daily job, or the screen when the job did not run
        DAILY = "daily", _("Harian")
        # as of a past month's last day, made later (31 December made in January)
        AS_OF = "as_of", _("Per akhir bulan lalu")

    on = models.DateField(db_index=True)
    kind = models.CharField(_("jenis"), max_length=8, choices=Kind.choices, default=Kind.DAILY)
    loans = models.PositiveIntegerField(default=0)
    ppap_before = models.DecimalField(**MONEY)
    ppap_after = models.DecimalField(**MONEY)
    entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    seconds = models.DecimalField(max_digits=9, decimal_places=3, default=ZERO)
    # PostgreSQL's clock (the transaction's start), as a journal entry's ``created_at``:
    # the loan lists compare the two (a disbursement or payment after the run), and an app
    # server's clock ahead of or behind the database's must not move a loan across the run.
    created_at = models.DateTimeField(db_default=TransactionNow())

    class Meta:
        ordering = ["-on"]
        verbose_name = _("proses tunggakan harian")
        verbose_name_plural = _("proses tunggakan harian")

    def __str__(self) -> str:
        return str(self.on)


class LoanGradeSnapshot(models.Model):
    """A running loan's grade as the arrears run left it on a month's last day (the run
    dated that day writes them; a re-run of the same date replaces them): the history
    the RAT pack reads for collectibility and NPL as of 31 December, whatever the loans
    look like when it is printed."""

    on = models.DateField()
    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="+", db_index=False)
    kolektibilitas = models.CharField(max_length=15, choices=KOLEK_CHOICES)
    days_past_due = models.PositiveIntegerField(default=0)
    principal_outstanding = models.DecimalField(**MONEY)
    ppap_amount = models.DecimalField(**MONEY)
    deferred_jasa = models.DecimalField(default=ZERO, **MONEY)
    restructured = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("kolektibilitas akhir bulan")
        verbose_name_plural = _("kolektibilitas akhir bulan")
        constraints = [
            models.UniqueConstraint(fields=["on", "loan"], name="loans_grade_snapshot_unique")
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.on} {self.kolektibilitas}"


class LoanReversal(models.Model):
    """A loan entry cancelled by the loans module's own reversal: a counter/bank repayment
    or early payoff (``repayment``), a payroll repayment undone with its batch (no entry
    of its own here: the batch's reversal holds it), or a disbursement not yet repaid. The
    original rows stay (receipts are never deleted); this row marks them reversed. Written
    once, never changed (trigger)."""

    class Kind(models.TextChoices):
        REPAYMENT = "repayment", _("Pembayaran")
        DISBURSEMENT = "disbursement", _("Pencairan")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="reversals")
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    repayment = models.OneToOneField(
        Repayment, null=True, blank=True, on_delete=models.PROTECT, related_name="reversal"
    )
    entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    on = models.DateField(_("tanggal pembatalan"))
    reason = models.TextField(_("alasan"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["loan", "id"]
        verbose_name = _("pembatalan pinjaman")
        verbose_name_plural = _("pembatalan pinjaman")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="loans_reversal_has_reason"),
            models.CheckConstraint(
                condition=(Q(kind="repayment") & Q(repayment__isnull=False))
                | (Q(kind="disbursement") & Q(repayment__isnull=True) & Q(entry__isnull=False)),
                name="loans_reversal_kind_target",
            ),
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(kind="disbursement"),
                name="loans_reversal_disbursement_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.on}"


class JasaPaidBroughtIn(models.Model):
    """Jasa pinjaman a member paid in a fiscal year in the cooperative's old books, before
    it moved to Lumbung (Pindah ke Lumbung: the cut-over's year, up to the cut-over). Not
    a ledger figure (that jasa is in the opening trial balance's income): the member's
    contribution to the year's jasa anggota (JUA) pool, which the year end adds to the
    jasa paid in Lumbung. ``source_ref`` names the move-in that brought it in."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("tahun buku"))
    amount = models.DecimalField(_("jasa dibayar"), max_digits=18, decimal_places=2)
    source_ref = models.CharField(_("referensi sumber"), max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["year", "member_id"]
        verbose_name = _("jasa dibayar di pembukuan lama")
        verbose_name_plural = _("jasa dibayar di pembukuan lama")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount=models.functions.Round("amount", 0)),
                name="loans_jasa_brought_in_whole_non_negative",
            ),
            models.UniqueConstraint(
                fields=["member", "year", "source_ref"], name="loans_jasa_brought_in_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year} {self.amount}"


class LoanWriteOff(models.Model):
    """A running loan written off (hapus buku): by the board's decision while the member
    stays (``services.writeoff.loan_write_off``, route ``board``: a Macet loan, its own
    entry), or waived at a deceased member's exit by the board's decision (route
    ``exit``: ``services.settlement``, in the exit settlement's entry, which it names):
    the amounts the entry moved for the loan, the decision, and the schedule rows as they
    were (what a board write-off's reversal restores). One in force per loan; written
    once (recoveries are their own rows). Every written-off loan is here, whatever the
    route: the register (``reports.report_write_offs``) and the RAT pack read it."""

    class Route(models.TextChoices):
        BOARD = "board", _("Keputusan pengurus")
        EXIT = "exit", _("Penyelesaian keluar anggota")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="write_offs")
    route = models.CharField(_("jalur"), max_length=10, choices=Route.choices, default=Route.BOARD)
    # the exit settlement that waived the loan (route ``exit``); its entry is ``entry``
    exit_settlement = models.ForeignKey(
        "savings.ExitSettlement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="loan_write_offs",
    )
    on = models.DateField(_("tanggal hapus buku"))
    reason = models.TextField(_("alasan"))
    decision_ref = models.CharField(_("nomor keputusan pengurus"), max_length=100)
    # the receivable written off: principal outstanding (with its deferred jasa) and the
    # jasa arrears brought in at a move-in; what recoveries may total at most
    principal = models.DecimalField(_("pokok dihapusbukukan"), **MONEY)
    jasa_receivable = models.DecimalField(_("piutang jasa dihapusbukukan"), default=ZERO, **MONEY)
    deferred_jasa = models.DecimalField(_("jasa ditangguhkan dibatalkan"), default=ZERO, **MONEY)
    deferred_penalty = models.DecimalField(default=ZERO, **MONEY)
    ppap_used = models.DecimalField(_("PPAP dipakai"), default=ZERO, **MONEY)
    expense = models.DecimalField(_("beban PPAP"), default=ZERO, **MONEY)
    # the loan's grade, days past due and PPAP before, and its open rows as they were:
    # [[instalment id, "principal_paid", "jasa_waived"], ...] (all were open: not settled)
    loan_before = models.JSONField(default=dict, editable=False)
    rows_before = models.JSONField(default=list, editable=False)
    entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # a write-off reversed (its entry reversed, the loan running again as it was)
    reversed_on = models.DateField(_("tanggal pembatalan"), null=True, blank=True)
    reversal_reason = models.TextField(_("alasan pembatalan"), blank=True)
    reversal_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("hapus buku pinjaman")
        verbose_name_plural = _("hapus buku pinjaman")
        constraints = [
            models.CheckConstraint(
                condition=~Q(reason="") & ~Q(decision_ref=""), name="loans_writeoff_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(principal__gte=0)
                & Q(jasa_receivable__gte=0)
                & Q(ppap_used__gte=0)
                & Q(expense__gte=0)
                & Q(deferred_jasa__gte=0)
                & (Q(principal__gt=0) | Q(jasa_receivable__gt=0)),
                name="loans_writeoff_amounts",
            ),
            # one write-off in force per loan (a reversed one stays, marked)
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(reversal_entry__isnull=True),
                name="loans_writeoff_one_in_force",
            ),
            models.CheckConstraint(
                condition=Q(reversal_entry__isnull=True)
                | (Q(reversed_on__isnull=False) & ~Q(reversal_reason="")),
                name="loans_writeoff_reversal_complete",
            ),
            # an exit's write-off names its settlement and is never reversed on its own
            models.CheckConstraint(
                condition=(Q(route="board") & Q(exit_settlement__isnull=True))
                | (
                    Q(route="exit")
                    & Q(exit_settlement__isnull=False)
                    & Q(reversal_entry__isnull=True)
                ),
                name="loans_writeoff_route",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.on}"

    @property
    def amount(self) -> Decimal:
        """The claim written off: what recoveries may total at most."""
        return self.principal + self.jasa_receivable

    @property
    def snapshot_recorded(self) -> bool:
        """Whether the loan as it was (grade, days past due, PPAP, open rows) and its
        deferred penalty were recorded: always, except on the exit write-offs migration
        0028 backfilled from settlements posted before the record existed. Their entry
        debited the deferred jasa income account once for the whole deferred amount
        (jasa and capitalised penalty share one account), so the penalty part cannot be
        read back: such a row stores ``deferred_penalty`` 0 and ``loan_before`` {}, and
        the pages and the API say *not recorded* instead of 0."""
        return bool(self.loan_before)

    @property
    def deferred_penalty_recorded(self) -> Decimal | None:
        """``deferred_penalty``, or None when it was not recorded (``snapshot_recorded``)."""
        return self.deferred_penalty if self.snapshot_recorded else None

    @property
    def grade_before_label(self) -> str | None:
        """The loan's grade before the write-off in words (None: not recorded)."""
        if not self.snapshot_recorded:
            return None
        code = self.loan_before.get("kolektibilitas", "")
        return str(dict(KOLEK_CHOICES).get(code, code))

    def is_reversed_by(self, on: date) -> bool:
        """Whether the write-off was reversed on or before ``on``."""
        return self.reversed_on is not None and self.reversed_on <= on

    def status_label(self, on: date) -> str:
        """Its status as of ``on``, in words, as the register and the API say it: in
        force, or reversed (with the day)."""
        if self.is_reversed_by(on):
            return str(_("Dibatalkan %(d)s") % {"d": format_tanggal(self.reversed_on)})
        return str(_("Berlaku"))


class LoanRecovery(models.Model):
    """Money received on a written-off loan (cash or bank at the counter): other income
    (penerimaan piutang dihapusbukukan), never reopening the loan. A receipt of the loan
    repayment series (``ANG``), its journal entry, audited."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("Tunai di kantor")
        BANK = "bank", _("Transfer bank")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="recoveries")
    write_off = models.ForeignKey(LoanWriteOff, on_delete=models.PROTECT, related_name="recoveries")
    paid_on = models.DateField(_("tanggal terima"))
    channel = models.CharField(_("cara bayar"), max_length=10, choices=Channel.choices)
    amount = models.DecimalField(_("jumlah"), **MONEY)
    receipt_number = models.CharField(_("nomor kuitansi"), max_length=40, unique=True)
    entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # a recovery entered by mistake, reversed (``loan_recovery_reverse``): its entry
    # reversed, the receipt kept and shown cancelled, no longer counted as recovered
    reversed_on = models.DateField(_("tanggal pembatalan"), null=True, blank=True)
    reversal_reason = models.TextField(_("alasan pembatalan"), blank=True)
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-paid_on", "-id"]
        verbose_name = _("penerimaan pinjaman dihapusbukukan")
        verbose_name_plural = _("penerimaan pinjaman dihapusbukukan")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="loans_recovery_amount_gt_0"),
            # reversed with all of it (entry, date, reason, who) or not at all
            models.CheckConstraint(
                condition=(
                    Q(reversal_entry__isnull=True)
                    & Q(reversed_on__isnull=True)
                    & Q(reversal_reason="")
                    & Q(reversed_by__isnull=True)
                )
                | (
                    Q(reversal_entry__isnull=False)
                    & Q(reversed_on__isnull=False)
                    & ~Q(reversal_reason="")
                    & Q(reversed_by__isnull=False)
                    & Q(reversed_on__gte=F("paid_on"))
                ),
                name="loans_recovery_reversal_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number

    @property
    def is_reversed(self) -> bool:
        return self.reversal_entry_id is not None
