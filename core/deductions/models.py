"""Payroll deduction (potong gaji): monthly runs, their lines per member, and the realized
files imported per agency (instansi), each posted as one journal entry."""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.common.dates import format_bulan
from core.common.loading import FastFromDb
from core.common.said import said_shown
from core.members.models import Agency, Member

ZERO = Decimal("0")
MONEY = {"max_digits": 18, "decimal_places": 2}
COMPONENTS = ("jasa", "principal", "wajib", "others")
COMPONENT_LABELS = {
    "jasa": _("jasa dan denda pinjaman"),
    "principal": _("pokok pinjaman"),
    "wajib": _("simpanan wajib"),
    "others": _("simpanan lainnya"),
}


class DeductionSettings(models.Model):
    """One row per cooperative (pk 1): the monthly cut-off day and the allocation order."""

    cutoff_day = models.PositiveSmallIntegerField(
        _("tanggal cut-off"), default=20, help_text=_("Tanggal 1-28 setiap bulan.")
    )
    priority = models.CharField(
        _("urutan alokasi"),
        max_length=60,
        default="jasa,principal,wajib,others",
        help_text=_("Urutan komponen: jasa, principal (pokok), wajib, others (lainnya)."),
    )
    signer_name = models.CharField(_("penandatangan surat"), max_length=200, blank=True)
    signer_title = models.CharField(_("jabatan penandatangan"), max_length=100, default="Bendahara")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pengaturan potong gaji")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="deductions_settings_singleton"),
            models.CheckConstraint(
                condition=Q(cutoff_day__gte=1) & Q(cutoff_day__lte=28),
                name="deductions_settings_cutoff_range",
            ),
        ]

    def __str__(self) -> str:
        return f"cut-off {self.cutoff_day}"

    @property
    def priority_list(self) -> list[str]:
        return [p.strip() for p in self.priority.split(",") if p.strip()]

    @property
    def priority_display(self) -> str:
        """The allocation order in words: ``jasa dan denda pinjaman → pokok pinjaman → …``."""
        return " → ".join(str(COMPONENT_LABELS.get(p, p)) for p in self.priority_list)


class DeductionRun(models.Model):
    class Status(models.TextChoices):
        GENERATING = "generating", _("Sedang dibuat")
        READY = "ready", _("Siap")
        FAILED = "failed", _("Gagal dibuat")

    class PostingStatus(models.TextChoices):
        IDLE = "", _("Belum")
        RUNNING = "running", _("Sedang diposting")
        DONE = "done", _("Selesai")

    year = models.PositiveSmallIntegerField(_("tahun"))
    month = models.PositiveSmallIntegerField(_("bulan"))
    cutoff_date = models.DateField(_("tanggal cut-off"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.GENERATING)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # why it failed: the refusal's code (``system_error``: an unexpected exception, logged,
    # its text never shown) and {"code", "params"} of its message (``core.common.said``),
    # said again in the reader's language (``error_shown``); "" / None for a run failed
    # before codes or a message without one, whose ``error`` is shown as stored
    error_code = models.CharField(max_length=60, blank=True, default="")
    error_said = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    # "post every ready agency" (a Celery task): progress and one result per agency
    posting_status = models.CharField(
        max_length=8, choices=PostingStatus.choices, default=PostingStatus.IDLE, blank=True
    )
    posting_done = models.PositiveIntegerField(default=0)
    posting_total = models.PositiveIntegerField(default=0)
    posting_results = models.JSONField(default=list, blank=True)
    posting_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-year", "-month"]
        verbose_name = _("daftar potong gaji")
        constraints = [
            models.UniqueConstraint(fields=["year", "month"], name="deductions_run_one_per_month"),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="deductions_run_month_range"
            ),
            models.CheckConstraint(
                condition=Q(posting_done__lte=F("posting_total")),
                name="deductions_run_posting_progress",
            ),
        ]

    def __str__(self) -> str:
        return self.month_shown

    @property
    def error_shown(self) -> str:
        """Why the list could not be made, in the reader's language when its message has
        a code, else as stored."""
        if not self.error_said:
            return self.error
        return said_shown({**self.error_said, "message": self.error})

    @property
    def label(self) -> str:
        """The month's code, ``03/2026``: in journal descriptions, the audit, the API."""
        return f"{self.month:02d}/{self.year}"

    @property
    def month_shown(self) -> str:
        """The month as the screens and messages say it: ``Maret 2026``."""
        return format_bulan(date(self.year, self.month, 1))

    @property
    def month_start(self):
        return date(self.year, self.month, 1)

    @property
    def payday(self):
        """The salary the list is cut from is paid on the 1st of the month after the
        cut-off: the default date a batch is received (and posted) on."""
        c = self.cutoff_date
        return date(c.year + 1, 1, 1) if c.month == 12 else date(c.year, c.month + 1, 1)


class DeductionLine(FastFromDb, models.Model):
    """What is asked from one member in one run (snapshot at generation), and — once the
    agency's realized file is posted — what was cut and what it paid."""

    run = models.ForeignKey(DeductionRun, on_delete=models.CASCADE, related_name="lines")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    member_number = models.CharField(max_length=30)
    nip = models.CharField(max_length=18)
    full_name = models.CharField(max_length=200)
    wajib = models.DecimalField(_("simpanan wajib"), default=ZERO, **MONEY)
    wajib_arrears = models.DecimalField(_("tunggakan wajib"), default=ZERO, **MONEY)
    jasa = models.DecimalField(_("jasa pinjaman"), default=ZERO, **MONEY)  # incl. penalty
    principal = models.DecimalField(_("pokok pinjaman"), default=ZERO, **MONEY)
    others = models.DecimalField(_("simpanan tujuan/lainnya"), default=ZERO, **MONEY)
    total = models.DecimalField(_("jumlah diminta"), default=ZERO, **MONEY)
    # [{"loan_id", "number", "penalty", "jasa", "principal"}], [{"account_id", "number", "amount"}]
    loans = models.JSONField(default=list, blank=True)
    purposes = models.JSONField(default=list, blank=True)
    # set when posted (cleared on reversal)
    realized = models.DecimalField(_("terealisasi"), null=True, blank=True, **MONEY)
    paid_jasa = models.DecimalField(default=ZERO, **MONEY)
    paid_principal = models.DecimalField(default=ZERO, **MONEY)
    paid_wajib = models.DecimalField(default=ZERO, **MONEY)
    paid_others = models.DecimalField(default=ZERO, **MONEY)
    to_sukarela = models.DecimalField(default=ZERO, **MONEY)
    # where each loan's and purpose account's share actually went when posted (a loan
    # closed or over-paid, a purpose account filled since the list: to sukarela):
    # {"loans": [{"loan_id", "number", "penalty", "jasa", "principal", "to_sukarela"}],
    #  "purposes": [{"account_id", "number", "paid", "to_sukarela"}]}; {} until posted
    paid_detail = models.JSONField(default=dict, blank=True)
    # not indexed on its own: lines are found by (run, agency), which a posting sets
    # (and the UPDATE of a posting then leaves every index untouched: a HOT update)
    posted_import = models.ForeignKey(
        "DeductionImport",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["agency_id", "member_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "member"], name="deductions_line_one_per_member"
            ),
            models.CheckConstraint(
                condition=Q(wajib__gte=0)
                & Q(wajib_arrears__gte=0)
                & Q(jasa__gte=0)
                & Q(principal__gte=0)
                & Q(others__gte=0)
                & Q(wajib_arrears__lte=F("wajib")),
                name="deductions_line_parts_gte_0",
            ),
            models.CheckConstraint(
                condition=Q(total=F("wajib") + F("jasa") + F("principal") + F("others")),
                name="deductions_line_total_sum",
            ),
            models.CheckConstraint(
                condition=Q(realized__isnull=True)
                | (
                    Q(realized__gte=0)
                    & Q(
                        realized=F("paid_jasa")
                        + F("paid_principal")
                        + F("paid_wajib")
                        + F("paid_others")
                        + F("to_sukarela")
                    )
                ),
                name="deductions_line_realized_sum",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "agency"]),
            # the few lines that carried wajib arrears, per member (``wajib_room``)
            models.Index(
                fields=["member"],
                condition=Q(wajib_arrears__gt=0),
                name="deductions_line_arrears_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.member_number}"

    @property
    def shortfall(self) -> Decimal:
        """What the agency cut short of what was asked. Not ``total`` less the paid
        components: an instalment of a loan closed since the list, cut in full and
        credited to sukarela, is not short."""
        if self.realized is None:
            return self.total
        return max(self.total - self.realized, ZERO)


class DeductionImport(models.Model):
    """A realized file for one agency of a run: validated on upload (row errors kept),
    posted as one journal entry, reversible as a whole while the month is open."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("Ada kesalahan")
        VALID = "valid", _("Siap diposting")
        POSTED = "posted", _("Diposting")
        REVERSED = "reversed", _("Dibatalkan")
        DISCARDED = "discarded", _("Dibuang")

    run = models.ForeignKey(DeductionRun, on_delete=models.PROTECT, related_name="imports")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255)
    file_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices)
    # [{"row", "line_id", "amount"}] read from the file; [{"row", "column", "message"}]
    rows = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    file_errors = models.JSONField(default=list, blank=True)
    excluded_rows = models.JSONField(default=list, blank=True)
    total_realized = models.DecimalField(default=ZERO, **MONEY)
    entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # what the posting changed, so the reversal can undo it through the same services
    posted_data = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # the same file is imported once per run and agency (until discarded/reversed)
            models.UniqueConstraint(
                fields=["run", "agency", "file_hash"],
                condition=Q(status="invalid") | Q(status="valid") | Q(status="posted"),
                name="deductions_import_file_once",
            ),
            # one posted batch per run and agency
            models.UniqueConstraint(
                fields=["run", "agency"],
                condition=Q(status="posted"),
                name="deductions_import_one_posted",
            ),
            # a posted batch has its journal entry, except a confirmed "nothing deducted"
            # batch, which books no money (and so its reversal has no entry either)
            models.CheckConstraint(
                condition=~Q(status="posted") | Q(entry__isnull=False) | Q(total_realized=0),
                name="deductions_import_posted_has_entry",
            ),
            models.CheckConstraint(
                condition=~Q(status="reversed")
                | Q(reversal_entry__isnull=False)
                | Q(entry__isnull=True),
                name="deductions_import_reversed_has_entry",
            ),
            models.CheckConstraint(
                condition=Q(entry__isnull=True) | Q(total_realized__gt=0),
                name="deductions_import_entry_books_money",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
