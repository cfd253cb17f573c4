"""General ledger tables (one set per cooperative schema).

Invariants live in the database as well as in the services (see migration
0002_db_rules): an entry balances (deferred constraint trigger), a line has exactly one
positive side (CHECK), posted entries and lines are never updated or deleted (trigger),
no line lands in a closed or missing period, group or inactive accounts take no postings,
and ``AccountBalance`` (per account per month) is kept in step by a statement-level
trigger on the lines, so bulk paths (COPY) keep it consistent too.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.common.loading import FastFromDb
from core.common.uploads import ledger_export_path

ZERO = Decimal("0")


class TransactionNow(models.Func):
    """``CURRENT_TIMESTAMP``: the transaction's start time (Django's ``Now()`` is the
    statement's time on PostgreSQL)."""

    template = "CURRENT_TIMESTAMP"
    output_field = models.DateTimeField()


class LedgerSettings(models.Model):
    """Per-cooperative ledger settings (a single row, pk=1)."""

    class CapitalAs(models.TextChoices):
        EQUITY = "equity", _("Ekuitas")
        LIABILITY = "liability", _("Kewajiban")

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    capital_savings_as = models.CharField(
        _("simpanan pokok & wajib dicatat sebagai"),
        max_length=10,
        choices=CapitalAs.choices,
        default=CapitalAs.EQUITY,
    )
    manual_entry_approval = models.BooleanField(_("jurnal manual perlu persetujuan"), default=False)
    coa_template = models.CharField(_("templat bagan akun"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("pengaturan buku besar")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="ledger_settings_single")]

    def __str__(self) -> str:
        return "Pengaturan buku besar"

    @classmethod
    def get(cls) -> "LedgerSettings":
        obj, _created = cls.objects.get_or_create(id=1)
        return obj


class Account(FastFromDb, models.Model):
    class Type(models.TextChoices):
        ASSET = "asset", _("Aset")
        LIABILITY = "liability", _("Kewajiban")
        EQUITY = "equity", _("Ekuitas")
        INCOME = "income", _("Pendapatan")
        EXPENSE = "expense", _("Beban")

    class Side(models.TextChoices):
        DEBIT = "debit", _("Debit")
        CREDIT = "credit", _("Kredit")

    class CashFlow(models.TextChoices):
        OPERATING = "operating", _("Aktivitas operasi")
        INVESTING = "investing", _("Aktivitas investasi")
        FINANCING = "financing", _("Aktivitas pendanaan")

    code = models.CharField(_("kode"), max_length=20, unique=True)
    name = models.CharField(_("nama"), max_length=200)
    type = models.CharField(_("jenis"), max_length=10, choices=Type.choices)
    normal_side = models.CharField(_("saldo normal"), max_length=6, choices=Side.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("induk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_group = models.BooleanField(_("akun kelompok"), default=False)
    is_contra = models.BooleanField(_("akun lawan (kontra)"), default=False)
    is_active = models.BooleanField(_("aktif"), default=True)
    is_cash = models.BooleanField(
        _("kas / setara kas"), default=False, help_text=_("Dipakai laporan arus kas.")
    )
    cash_flow = models.CharField(
        _("kelompok arus kas"),
        max_length=10,
        choices=CashFlow.choices,
        default=CashFlow.OPERATING,
    )
    # A control account of a sub-ledger (savings products' accounts, loan receivable,
    # PPAP): set by the database when the account is mapped to a control role or a
    # savings product (migration 0008); manual journal lines on it are refused.
    is_control = models.BooleanField(
        _("akun kontrol buku pembantu"),
        default=False,
        help_text=_("Hanya modulnya yang memposting; jurnal manual ditolak."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("akun")
        verbose_name_plural = _("akun")
        constraints = [
            models.CheckConstraint(
                condition=Q(normal_side__in=["debit", "credit"]), name="ledger_account_side"
            ),
            models.CheckConstraint(
                condition=Q(type__in=["asset", "liability", "equity", "income", "expense"]),
                name="ledger_account_type",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def sign(self) -> int:
        """+1 when debit is this account's normal side, else -1."""
        return 1 if self.normal_side == self.Side.DEBIT else -1


class AccountRole(models.Model):
    """Maps a role key used by module logic (``cash``, ``loan_receivable``…) to an account,
    so no account code is hard-coded in logic."""

    key = models.SlugField(_("peran"), max_length=60, unique=True)
    account = models.ForeignKey(Account, verbose_name=_("akun"), on_delete=models.PROTECT)
    description = models.CharField(_("keterangan"), max_length=200, blank=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("peran akun")
        verbose_name_plural = _("peran akun")

    def __str__(self) -> str:
        return f"{self.key} → {self.account.code}"


class FiscalYear(models.Model):
    """A financial year (tahun buku; calendar year). Its row is also the journal-number
    counter for the year: ``last_number`` is locked FOR UPDATE while posting, so numbers
    are sequential with no gaps (a rolled-back posting rolls the counter back too)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Terbuka")
        CLOSED = "closed", _("Ditutup")

    year = models.PositiveSmallIntegerField(_("tahun"), unique=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    last_number = models.PositiveIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_entry = models.ForeignKey(
        "JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Closed through the year end (``fiscal_year_close(by_year_end=True)``): reopened there
    # only (``period_reopen(by_year_end=True)`` clears it), whatever the year's SHU. The
    # ledger does not import the year end: this mark is how it knows.
    closed_by_year_end = models.BooleanField(default=False)

    class Meta:
        ordering = ["year"]
        verbose_name = _("tahun buku")
        verbose_name_plural = _("tahun buku")
        constraints = [
            # a year marked closed by the year end is closed: no path opens it and leaves
            # the year end's row saying closed
            models.CheckConstraint(
                condition=Q(closed_by_year_end=False) | Q(status="closed"),
                name="ledger_fiscal_year_closed_by_year_end_closed",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class Period(models.Model):
    """A month of a fiscal year. Closed months take no postings (trigger)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Terbuka")
        CLOSED = "closed", _("Ditutup")

    fiscal_year = models.ForeignKey(FiscalYear, on_delete=models.PROTECT, related_name="periods")
    month = models.PositiveSmallIntegerField()
    start_date = models.DateField(unique=True)
    end_date = models.DateField(unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("periode")
        verbose_name_plural = _("periode")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "month"], name="ledger_period_month"),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12), name="ledger_period_month_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_date:%Y-%m}"


class JournalEntry(models.Model):
    """A posted journal entry. Never updated or deleted (trigger); corrected by a reversing
    entry (``reverses``)."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("Jurnal manual")
        SAVINGS = "savings", _("Simpanan")
        LOAN = "loan", _("Pinjaman")
        DEDUCTION = "deduction", _("Potong gaji")
        SHU = "shu", _("SHU")
        OPENING = "opening", _("Saldo awal")
        CLOSING = "closing", _("Tutup buku")
        REVERSAL = "reversal", _("Pembalik")
        MEMBER = "member", _("Keanggotaan")
        SHOP = "shop", _("Toko")
        OTHER = "other", _("Lainnya")

    class Status(models.TextChoices):
        POSTED = "posted", _("Diposting")

    fiscal_year = models.PositiveSmallIntegerField(_("tahun buku"))
    number = models.PositiveIntegerField(_("nomor"))
    date = models.DateField(_("tanggal"), db_index=True)
    # Room for a reversal's whole description: "Pembalik JU-…: <module label>: <reason>",
    # the reason up to core.common.errors.REASON_MAX_LENGTH (1,000) and the label up to
    # about 260 (an exit's names the member). A manual entry's own description stays
    # within ManualEntryRequest.description (500).
    description = models.CharField(_("uraian"), max_length=2000)
    source = models.CharField(_("sumber"), max_length=20, default=Source.MANUAL)
    source_ref = models.CharField(_("referensi sumber"), max_length=120, blank=True, default="")
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("membalik jurnal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversals",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.POSTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The transaction's timestamp (now()): the DB uses it to refuse lines added to an
    # entry committed earlier.
    created_at = models.DateTimeField(db_default=TransactionNow())
    # An entry of the year close itself, beside the ``closing`` entry: the year end's
    # income tax and move to SHU belum dibagi (source "shu"), or their reversal when the
    # year is reopened. Dated the last day of a year that is not closed yet, it may come
    # before the latest closed month (January of the next year closed before the RAT).
    year_close = models.BooleanField(
        _("jurnal tutup buku tahunan"), default=False, db_default=False
    )

    class Meta:
        ordering = ["-date", "-fiscal_year", "-number"]
        verbose_name = _("jurnal")
        verbose_name_plural = _("jurnal")
        constraints = [
            models.UniqueConstraint(fields=["fiscal_year", "number"], name="ledger_entry_number"),
            models.UniqueConstraint(
                fields=["source", "source_ref"],
                condition=~Q(source_ref=""),
                name="ledger_entry_source_ref",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="ledger_entry_reversed_once",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="ledger_entry_number_pos"),
            models.CheckConstraint(
                condition=Q(year_close=False) | Q(source__in=["shu", "reversal"]),
                name="ledger_entry_year_close_source",
            ),
        ]
        indexes = [models.Index(fields=["source", "date"], name="ledger_entry_source_date")]

    def __str__(self) -> str:
        return f"JU-{self.fiscal_year}-{self.number:05d}"

    @property
    def display_number(self) -> str:
        return str(self)


class JournalLine(models.Model):
    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    # no index of its own: ledger_line_account_date starts with it (one index fewer to
    # write for every line)
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="lines", db_index=False
    )
    # Copied from the entry (checked by the DB) so an account's ledger is one index range.
    date = models.DateField()
    debit = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    credit = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    # A plain id, not a FK: the members app sits above the ledger. Indexed by
    # ledger_line_member_account (it comes first there).
    member_id = models.BigIntegerField(null=True, blank=True)
    memo = models.CharField(max_length=300, blank=True, default="")
    # One side of a non-cash pair inside an entry that touches cash (the deferred jasa a
    # restructured loan's repayment earns: Dr pendapatan jasa ditangguhkan / Cr jasa
    # income): no receipt and no payment in the cash flow. The flagged lines of an entry
    # balance and are never on a cash account (deferred trigger, migration 0024); a
    # reversal copies the flag.
    non_cash = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("baris jurnal")
        verbose_name_plural = _("baris jurnal")
        constraints = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="ledger_line_one_side_positive",
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "date", "id"],
                include=["debit", "credit"],
                name="ledger_line_account_date",
            ),
            # entry too: the cash flow's open month pairs each line with its entry's cash
            # lines from this index alone (an index-only scan, no visit to the table)
            models.Index(
                fields=["date"],
                include=["account", "debit", "credit", "entry"],
                name="ledger_line_date",
            ),
            models.Index(fields=["member_id", "account"], name="ledger_line_member_account"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} D{self.debit} K{self.credit}"


class AccountBalance(models.Model):
    """Debit and credit totals per account per month, maintained by a trigger on
    ``JournalLine`` inserts. ``selectors.balances_check()`` proves it equals the lines."""

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()  # first day of the month
    debit = models.DecimalField(max_digits=20, decimal_places=2, default=ZERO)
    credit = models.DecimalField(max_digits=20, decimal_places=2, default=ZERO)
    # Number of lines: lets the buku besar find a page without counting every line.
    lines = models.BigIntegerField(db_default=0)

    class Meta:
        verbose_name = _("saldo akun per bulan")
        constraints = [
            models.UniqueConstraint(fields=["account", "month"], name="ledger_balance_key"),
        ]
        indexes = [models.Index(fields=["month", "account"], name="ledger_balance_month")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.month:%Y-%m} D{self.debit} K{self.credit}"


class ManualEntryRequest(models.Model):
    """A manual journal entry waiting for approval (when the cooperative requires it).
    Nothing is in the ledger until it is approved and posted."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu persetujuan")
        APPROVED = "approved", _("Disetujui & diposting")
        REJECTED = "rejected", _("Ditolak")

    date = models.DateField(_("tanggal"))
    description = models.CharField(_("uraian"), max_length=500)
    lines = models.JSONField(_("baris"))  # [{"account": code, "debit": "..", "credit": "..", ...}]
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    entry = models.OneToOneField(
        JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("permintaan jurnal manual")

    def __str__(self) -> str:
        return f"Permintaan jurnal #{self.pk} ({self.date})"


class ReconciliationRun(models.Model):
    """One run of the sub-ledger checks (``core.ledger.reconciliation``): every
    sub-ledger (savings, loans, …) against its control accounts. The latest run with a
    difference is the dashboard's alert for bendahara and admin."""

    checked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ok = models.BooleanField()
    # [{"subledger", "item", "item_code"?, "item_params"?, "kind", "subledger_total",
    # "ledger_balance", "difference", "ok"}] for every item checked (kind "count": the
    # figures count accounts or members; "amount": rupiah); {"subledger", "error", "ok":
    # false} for a check that failed
    results = models.JSONField(default=list)

    class Meta:
        ordering = ["-checked_at"]
        verbose_name = _("rekonsiliasi buku pembantu")

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'selisih'}"

    @property
    def differences(self) -> list[dict]:
        return [r for r in self.results if not r.get("ok")]


class ReceiptSeries(models.Model):
    """One gap-free receipt series per kind and year (``SET-2026-000123``): the counter
    row is locked FOR UPDATE inside the posting transaction that takes a number, like
    the journal's entry-number counter (a rolled-back posting gives its number back)."""

    class Kind(models.TextChoices):
        SAVINGS_DEPOSIT = "SET", _("Setoran simpanan")
        SAVINGS_WITHDRAWAL = "TAR", _("Penarikan simpanan")
        LOAN_REPAYMENT = "ANG", _("Angsuran pinjaman")
        DISBURSEMENT = "PCR", _("Bukti pencairan pinjaman")
        SHU_PAYOUT = "SHU", _("Pembayaran SHU")

    kind = models.CharField(max_length=3, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("seri kuitansi")
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="ledger_receiptseries_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}-{self.last:06d}"


class Receipt(models.Model):
    """Every receipt number issued, with what it was issued for (``source_ref``, e.g.
    ``loan-repayment:12``): auditors list a series and find no gap."""

    kind = models.CharField(max_length=3, choices=ReceiptSeries.Kind.choices)
    year = models.PositiveSmallIntegerField()
    seq = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    source_ref = models.CharField(max_length=120, blank=True, default="")
    issued_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kuitansi")
        ordering = ["kind", "year", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "year", "seq"], name="ledger_receipt_seq_unique"
            ),
            models.UniqueConstraint(
                fields=["source_ref"],
                condition=~Q(source_ref=""),
                name="ledger_receipt_source_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class CashFlowMonth(models.Model):
    """The cash-flow statement's figures of one closed month (what ``reports.cash_flow``
    attributes to each non-cash account: credits as inflows, debits as outflows, of the
    entries touching a cash account, opening entries left out), stored when the month
    is closed. A closed month takes no postings (trigger), so they cannot go stale; they
    are used only while the month is still closed since ``computed_at`` and the cash
    accounts are the ones listed. ``reports.cash_flow_months_check`` (run with the daily
    reconciliation) proves them equal to the lines."""

    month = models.DateField(unique=True)  # first day
    computed_at = models.DateTimeField()
    cash_account_ids = models.JSONField(default=list)  # sorted
    # {account_id: [inflow, outflow]} as strings
    flows = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("arus kas per bulan")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class CashFlowDay(models.Model):
    """The cash-flow statement's figures per day and non-cash account: of each entry
    touching a cash account (``is_cash``, not a group), opening entries left out, every
    other line's credit is an inflow and its debit an outflow (in a reversal, its debit
    lowers the inflow and its credit the outflow: migration 0022). Every line of an entry
    shares its date, so any range of whole days sums to what ``reports.cash_flow``
    computes from the lines. Written only by triggers (migration 0017): a statement
    trigger on the lines adds what each insert brings (also when an entry's lines come in
    several statements), and changing an account's ``is_cash`` rebuilds the table.
    ``reports.cash_flow_days_check`` (daily reconciliation) proves it equal to the lines."""

    day = models.DateField()
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    inflow = models.DecimalField(max_digits=20, decimal_places=2, default=ZERO)
    outflow = models.DecimalField(max_digits=20, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("arus kas per hari")
        constraints = [
            models.UniqueConstraint(fields=["day", "account"], name="ledger_cashflowday_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.account_id} +{self.inflow} -{self.outflow}"


class LedgerExport(models.Model):
    """A buku besar XLSX built in the background (``services.ledger_export_build``): a
    range of more than ``LEDGER_XLSX_SYNC_MAX_LINES`` lines takes longer to write than a
    request may last. The file lies in the cooperative's own storage directory
    (``core.common.uploads.ledger_export_path``), so removing the cooperative or its
    practice copy removes it too; the daily clean-up deletes files and rows older than
    ``LEDGER_EXPORT_KEEP_DAYS``. One queued or running export per user, account and
    range (database constraint)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Menunggu")
        RUNNING = "running", _("Sedang dibuat")
        READY = "ready", _("Siap")
        FAILED = "failed", _("Gagal")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="+")
    date_from = models.DateField()
    date_to = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # the lines of the range: as counted when asked, then as written into the file
    line_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=ledger_export_path, max_length=200, blank=True)
    error = models.TextField(blank=True)
    # why it failed, said in the reader's language on the page
    # (``services.exports.ledger_export_error_shown``); "" for an export failed before
    # codes, whose ``error`` is shown as stored
    error_code = models.CharField(max_length=20, blank=True, default="")
    language = models.CharField(max_length=8, blank=True)  # of the asker: the file's labels
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ekspor buku besar")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "ready", "failed"]),
                name="ledger_export_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(date_from__lte=models.F("date_to")),
                name="ledger_export_range_ordered",
            ),
            # a ready export has its file and its finishing time; a failed one its time
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & Q(finished_at__isnull=False)),
                name="ledger_export_ready_has_file",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | Q(finished_at__isnull=False),
                name="ledger_export_failed_finished",
            ),
            models.CheckConstraint(
                condition=Q(error_code__in=["", "stale", "build_failed"]),
                name="ledger_export_error_code_valid",
            ),
            # (an OR, not IN: PostgreSQL prints an IN predicate of an index differently
            # once re-read, and the template schema's clone check would see a difference)
            models.UniqueConstraint(
                fields=["account", "date_from", "date_to", "requested_by"],
                condition=Q(status="queued") | Q(status="running"),
                name="ledger_export_one_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Ekspor buku besar {self.account_id} {self.date_from}–{self.date_to}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE
