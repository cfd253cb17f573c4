"""Savings: products (pokok, wajib, sukarela, berjangka), accounts per member per product
(the sub-ledger), and the immutable transactions that move them.

Each product maps to a ledger control account; the sum of the product accounts' balances
equals that control account's balance (see ``selectors.savings_reconciliation``).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.common.dates import format_bulan
from core.common.loading import FastFromDb
from core.members.models import Member

ZERO = Decimal("0")
# a product's longest term (jangka): 50 years; the one message for screen, API and service
MAX_TERM_MONTHS = 600
TERM_TOO_LONG = _("Paling lama %(limit_value)s bulan.")


class SavingsProduct(FastFromDb, models.Model):
    class Kind(models.TextChoices):
        POKOK = "pokok", _("Simpanan pokok")
        WAJIB = "wajib", _("Simpanan wajib")
        SUKARELA = "sukarela", _("Simpanan sukarela")
        BERJANGKA = "berjangka", _("Simpanan berjangka / hari raya")

    class InterestBasis(models.TextChoices):
        MINIMUM = "minimum", _("Saldo terendah bulan itu")
        AVERAGE = "average", _("Saldo rata-rata harian")

    class PenaltyType(models.TextChoices):
        NONE = "none", _("Tanpa denda")
        PERCENT = "percent", _("Persen dari saldo")
        FIXED = "fixed", _("Nominal tetap (Rp)")

    code = models.CharField(_("kode"), max_length=30, unique=True)
    name = models.CharField(_("nama produk"), max_length=120)
    kind = models.CharField(_("jenis"), max_length=12, choices=Kind.choices)
    account = models.ForeignKey(
        "ledger.Account",
        on_delete=models.PROTECT,
        related_name="savings_products",
        verbose_name=_("akun buku besar (kontrol)"),
    )
    # pokok: the one-time amount; wajib: the monthly amount when not by grade;
    # berjangka: the fixed monthly amount.
    amount = models.DecimalField(_("nominal"), max_digits=18, decimal_places=2, default=ZERO)
    amount_by_grade = models.BooleanField(_("wajib menurut golongan"), default=False)
    effective_from = models.DateField(_("berlaku mulai"), null=True, blank=True)
    minimum_balance = models.DecimalField(
        _("saldo minimum"), max_digits=18, decimal_places=2, default=ZERO
    )
    # sukarela interest
    interest_enabled = models.BooleanField(_("berbunga (jasa simpanan)"), default=False)
    interest_rate_annual = models.DecimalField(
        _("jasa per tahun (%)"), max_digits=6, decimal_places=3, default=ZERO
    )
    interest_basis = models.CharField(
        _("dasar perhitungan jasa"),
        max_length=10,
        choices=InterestBasis.choices,
        default=InterestBasis.MINIMUM,
    )
    tax_threshold = models.DecimalField(
        _("batas bebas pajak jasa per bulan"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("240000"),
        help_text=_("Jasa bulanan di atas batas ini dipotong PPh."),
    )
    tax_rate = models.DecimalField(
        _("tarif PPh atas jasa (%)"), max_digits=5, decimal_places=2, default=Decimal("10")
    )
    interest_auto = models.BooleanField(
        _("jasa dihitung otomatis tiap awal bulan"),
        default=True,
        help_text=_(
            "Jasa bulan lalu dihitung dan diposting otomatis sejak tanggal 1; matikan untuk "
            "menghitungnya sendiri di halaman rekonsiliasi."
        ),
    )
    # berjangka; at most MAX_TERM_MONTHS (more is a typo, and beyond the column's smallint)
    term_months = models.PositiveSmallIntegerField(_("jangka (bulan)"), null=True, blank=True)
    payout_date = models.DateField(_("tanggal pencairan"), null=True, blank=True)
    # berjangka: the penalty of a payout before the payout date (``savings_early_withdraw``):
    # none, a percentage of the balance (rounded down to whole rupiah) or a fixed amount
    early_penalty_type = models.CharField(
        _("denda pencairan dini"),
        max_length=8,
        choices=PenaltyType.choices,
        default=PenaltyType.NONE,
    )
    early_penalty_value = models.DecimalField(
        _("besar denda pencairan dini"),
        max_digits=18,
        decimal_places=2,
        default=ZERO,
        help_text=_("Persen dari saldo, atau rupiah utuh bila nominal tetap."),
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("produk simpanan")
        verbose_name_plural = _("produk simpanan")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="savings_product_amount_gte_0"),
            models.CheckConstraint(
                condition=Q(minimum_balance__gte=0), name="savings_product_min_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(interest_rate_annual__gte=0) & Q(interest_rate_annual__lte=100),
                name="savings_product_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0) & Q(tax_rate__lte=100),
                name="savings_product_tax_rate_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="berjangka") | (Q(term_months__gte=1) & Q(amount__gt=0)),
                name="savings_product_berjangka_has_term",
            ),
            models.CheckConstraint(
                condition=(Q(early_penalty_type="none") & Q(early_penalty_value=0))
                | (
                    Q(early_penalty_type="percent")
                    & Q(early_penalty_value__gt=0)
                    & Q(early_penalty_value__lte=100)
                )
                | (Q(early_penalty_type="fixed") & Q(early_penalty_value__gt=0)),
                name="savings_product_early_penalty_valid",
            ),
            # one simpanan pokok and one simpanan wajib per cooperative (OR, not IN: an IN
            # list is printed back differently by a cloned schema, see tenants.schema_template)
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="pokok") | Q(kind="wajib"),
                name="savings_product_one_pokok_wajib",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class WajibRate(models.Model):
    """Simpanan wajib per grade group (golongan I, II, III, IV, or a PPPK grade), from a date."""

    product = models.ForeignKey(SavingsProduct, on_delete=models.PROTECT, related_name="rates")
    grade = models.CharField(
        _("golongan"), max_length=10, help_text=_("Kelompok golongan: I, II, III, IV, PPPK, ...")
    )
    amount = models.DecimalField(_("nominal per bulan"), max_digits=18, decimal_places=2)
    effective_from = models.DateField(_("berlaku mulai"))

    class Meta:
        ordering = ["product", "grade", "-effective_from"]
        verbose_name = _("tarif simpanan wajib")
        verbose_name_plural = _("tarif simpanan wajib")
        constraints = [
            models.UniqueConstraint(
                fields=["product", "grade", "effective_from"], name="savings_wajibrate_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="savings_wajibrate_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.grade} {self.amount}"


class SavingsAccount(FastFromDb, models.Model):
    """A member's account in one product. ``balance`` is the sub-ledger balance, changed
    only by services together with a SavingsTransaction row."""

    class Status(models.TextChoices):
        OPEN = "open", _("Aktif")
        CLOSED = "closed", _("Ditutup")

    number = models.CharField(_("nomor rekening"), max_length=40, unique=True)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="savings_accounts")
    product = models.ForeignKey(SavingsProduct, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    balance = models.DecimalField(_("saldo"), max_digits=18, decimal_places=2, default=ZERO)
    opened_on = models.DateField(_("dibuka"))
    closed_on = models.DateField(_("ditutup"), null=True, blank=True)
    # berjangka: the agreed monthly amount and payout date for this account
    monthly_amount = models.DecimalField(
        _("setoran per bulan"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    payout_date = models.DateField(_("tanggal pencairan"), null=True, blank=True)
    # frozen (diblokir) by the bendahara (``savings_account_freeze``): withdrawals,
    # payouts, exit settlement and closing refused; deposits and payroll still accepted
    frozen_at = models.DateTimeField(_("diblokir sejak"), null=True, blank=True)
    # the column's database default is '' too (migration 0016): the member import's
    # COPY leaves it out
    frozen_reason = models.CharField(_("alasan blokir"), max_length=200, blank=True)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("diblokir oleh"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["member", "product"]
        verbose_name = _("rekening simpanan")
        verbose_name_plural = _("rekening simpanan")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="savings_account_balance_gte_0"
            ),
            models.UniqueConstraint(
                fields=["member", "product"],
                condition=Q(status="open"),
                name="savings_account_one_open_per_product",
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(closed_on__isnull=True))
                | (Q(status="closed") & Q(closed_on__isnull=False) & Q(balance=0)),
                name="savings_account_closed_is_empty",
            ),
            # frozen always with its reason, and only while open
            models.CheckConstraint(
                condition=(Q(frozen_at__isnull=True) & Q(frozen_reason=""))
                | (Q(frozen_at__isnull=False) & ~Q(frozen_reason="") & Q(status="open")),
                name="savings_account_frozen_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.product}"


class SavingsTransaction(models.Model):
    """One movement of a savings account. Immutable: a trigger refuses DELETE and any
    UPDATE except attaching the journal entry once (set right after posting)."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Setoran")
        WITHDRAWAL = "withdrawal", _("Penarikan")
        OPENING = "opening", _("Saldo awal")
        INTEREST = "interest", _("Jasa simpanan")
        TAX = "tax", _("PPh jasa simpanan")
        SETTLEMENT = "settlement", _("Pengembalian (keluar anggota)")
        PAYROLL = "payroll", _("Potong gaji")
        PAYOUT = "payout", _("Pencairan")
        EARLY_PAYOUT = "early_payout", _("Pencairan sebelum jatuh tempo")
        EARLY_PENALTY = "early_penalty", _("Denda pencairan dini")
        TRANSFER_IN = "transfer_in", _("Pemindahbukuan masuk")
        TRANSFER_OUT = "transfer_out", _("Pemindahbukuan keluar")
        REVERSAL = "reversal", _("Pembatalan")

    class Channel(models.TextChoices):
        CASH = "cash", _("Tunai")
        BANK = "bank", _("Bank / transfer")
        PAYROLL = "payroll", _("Potong gaji")
        INTERNAL = "internal", _("Pemindahbukuan")
        OPENING = "opening", _("Saldo awal")

    CREDIT_KINDS = frozenset({"deposit", "opening", "interest", "payroll", "transfer_in"})

    # indexed by (account, on, id) below, which it comes first in
    account = models.ForeignKey(
        SavingsAccount, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    on = models.DateField(_("tanggal"), db_index=True)
    kind = models.CharField(_("jenis"), max_length=14, choices=Kind.choices)
    channel = models.CharField(_("cara"), max_length=10, choices=Channel.choices)
    amount = models.DecimalField(
        _("jumlah"), max_digits=18, decimal_places=2, help_text=_("Selalu positif.")
    )
    # signed change of the balance: + for deposits, - for withdrawals
    delta = models.DecimalField(max_digits=18, decimal_places=2)
    balance_after = models.DecimalField(_("saldo setelah"), max_digits=18, decimal_places=2)
    receipt_number = models.CharField(
        _("nomor kuitansi"), max_length=40, null=True, blank=True, unique=True
    )
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="savings_transactions",
    )
    memo = models.CharField(_("keterangan"), max_length=200, blank=True)
    # a reversal (kind "reversal") points at the teller transaction it cancels; each is
    # cancelled at most once (unique)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("membatalkan"),
    )
    # a berjangka payout that emptied the account and so moved it to its next cycle: the
    # payout dates before and after (``berjangka_cycle_next``), which its reversal puts
    # back (``berjangka_cycle_restore``); none on any other movement
    previous_payout_date = models.DateField(_("tanggal pencairan lama"), null=True, blank=True)
    next_payout_date = models.DateField(_("tanggal pencairan berikutnya"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("petugas"),
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["on", "id"]
        verbose_name = _("transaksi simpanan")
        verbose_name_plural = _("transaksi simpanan")
        indexes = [
            # ``delta`` rides along in the index (INCLUDE) so the balance check at commit
            # (migration 0002/0003: an account's balance equals the sum of its deltas) sums
            # an account's history from the index alone, a page or two, instead of visiting
            # one table page per month of payroll (migration 0013, docs/scaling.md)
            models.Index(
                fields=["account", "on", "id"],
                include=["delta"],
                name="savings_txn_account_on_id",
            )
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="savings_txn_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(delta=F("amount")) | Q(delta=-F("amount")),
                name="savings_txn_delta_is_amount",
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="savings_txn_balance_after_gte_0"
            ),
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="savings_txn_reversal_has_original",
            ),
            models.CheckConstraint(
                condition=Q(kind="payout")
                | (Q(previous_payout_date__isnull=True) & Q(next_payout_date__isnull=True)),
                name="savings_txn_cycle_dates_on_payout",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.on} {self.kind} {self.amount}"

    @property
    def description(self) -> str:
        """The movement in words, as the kartu simpanan says it: its kind, then its memo
        ("Setoran — titipan arisan"); a memo that already begins with the kind's name
        stands alone ("Saldo awal", not "Saldo awal — Saldo awal")."""
        kind = str(self.get_kind_display())
        memo = self.memo.strip()
        if not memo:
            return kind
        if memo.casefold().startswith(kind.casefold()):
            return memo
        return f"{kind} — {memo}"


class ReceiptSequence(models.Model):
    """The old receipt counters per prefix and year (KW deposits, TR withdrawals), kept for
    history: receipts are now numbered in the ledger's series (``core.ledger.models.
    ReceiptSeries``, SET/TAR), which continue these counters (migration 0008)."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="savings_receiptseq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}-{self.last}"


class InterestRun(models.Model):
    """One monthly interest accrual of one product (unique per month)."""

    product = models.ForeignKey(SavingsProduct, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField()
    gross_interest = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    tax = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    accounts = models.PositiveIntegerField(default=0)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # reversed as a whole (``savings_interest_reverse``): the month may then be run again
    reversal_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "year", "month"],
                condition=Q(reversed_at__isnull=True),
                name="savings_interestrun_unique",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="savings_interestrun_month"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.year}-{self.month:02d}"

    @property
    def month_shown(self) -> str:
        """The run's month in words, as the screens say it: ``Maret 2026``."""
        return format_bulan(date(self.year, self.month, 1))


class ExitSettlement(models.Model):
    """The settlement when a member leaves: all savings + the jasa simpanan not yet run
    + unpaid SHU − loans outstanding (unless waived by the board on death) = net payable
    to the member or the heirs.
    Written once when confirmed; a mistaken one is reversed (``exit_settlement_reverse``:
    the reversal fields set, the member active again), never deleted. One settlement per
    member that is not reversed.
    ``left_open``: the settlement of a member ALREADY marked as left outside the exit
    (existing data: the status changed, their accounts and loans left open), made on the
    exit screen (``exit_settlement_left_open_confirm``); ``reason`` is the status they
    left with, which it does not change (nor does its reversal)."""

    class Payee(models.TextChoices):
        MEMBER = "member", _("Anggota")
        HEIRS = "heirs", _("Ahli waris")

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="exit_settlements")
    reason = models.CharField(_("alasan keluar"), max_length=10, choices=Member.Status.choices)
    on = models.DateField(_("tanggal"))
    savings_total = models.DecimalField(max_digits=18, decimal_places=2)
    # jasa simpanan the monthly run had not paid yet, credited by the settlement: finished
    # months, and the exit's own month up to the exit date (net of PPh; per account and
    # month in ``details["interest"]``, the exit's month with ``until``)
    interest_credited = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    shu_unpaid = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    loans_outstanding = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    loans_waived = models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)
    net_payable = models.DecimalField(max_digits=18, decimal_places=2)
    payee = models.CharField(max_length=8, choices=Payee.choices, default=Payee.MEMBER)
    payee_name = models.CharField(max_length=200, blank=True)
    channel = models.CharField(
        max_length=10, choices=SavingsTransaction.Channel.choices, default="bank"
    )
    waiver_reason = models.TextField(blank=True)
    board_decision_ref = models.CharField(max_length=100, blank=True)
    left_open = models.BooleanField(_("menyelesaikan rekening yang masih terbuka"), default=False)
    details = models.JSONField(default=dict, blank=True)
    journal_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reversal_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("penyelesaian keluar anggota")
        verbose_name_plural = _("penyelesaian keluar anggota")
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(reversed_at__isnull=True),
                name="savings_exit_one_per_member",
            ),
            models.CheckConstraint(condition=~Q(reason="active"), name="savings_exit_not_active"),
            models.CheckConstraint(condition=Q(net_payable__gte=0), name="savings_exit_net_gte_0"),
            models.CheckConstraint(
                condition=Q(loans_waived=0) | (Q(reason="deceased") & ~Q(waiver_reason="")),
                name="savings_exit_waiver_only_on_death_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.reason} {self.net_payable}"


class CapitalBalanceBroughtIn(models.Model):
    """A member's capital savings at a month-end in the cooperative's old books, before it
    moved to Lumbung (Pindah ke Lumbung: the month-ends of the cut-over's year before the
    cut-over, uploaded by the board). Not a ledger figure: Lumbung's savings start at the
    cut-over's opening balances. The year end's average capital basis takes these
    month-ends from here instead of estimating them from the capital brought in at the
    cut-over. ``sukarela`` is None when the file gave none (the cooperative does not count
    it as capital; if it does after all, the year end estimates that part). ``source_ref``
    names the move-in that brought it in."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    month_end = models.DateField(_("akhir bulan"))
    cutover = models.DateField(_("tanggal pindah"))
    pokok = models.DecimalField(_("simpanan pokok"), max_digits=18, decimal_places=2)
    wajib = models.DecimalField(_("simpanan wajib"), max_digits=18, decimal_places=2)
    sukarela = models.DecimalField(
        _("simpanan sukarela"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    source_ref = models.CharField(_("referensi sumber"), max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member_id", "month_end"]
        verbose_name = _("saldo modal akhir bulan di pembukuan lama")
        verbose_name_plural = _("saldo modal akhir bulan di pembukuan lama")
        constraints = [
            models.CheckConstraint(
                condition=Q(pokok__gte=0)
                & Q(pokok=models.functions.Round("pokok", 0))
                & Q(wajib__gte=0)
                & Q(wajib=models.functions.Round("wajib", 0))
                & (
                    Q(sukarela__isnull=True)
                    | (Q(sukarela__gte=0) & Q(sukarela=models.functions.Round("sukarela", 0)))
                ),
                name="savings_capital_brought_in_whole_non_negative",
            ),
            # a month's last day, before the cut-over, in the cut-over's year
            models.CheckConstraint(
                condition=Q(month_end__lt=F("cutover"))
                & Q(month_end__year=F("cutover__year"))
                & Q(
                    models.lookups.Exact(
                        models.functions.ExtractDay(
                            models.ExpressionWrapper(
                                F("month_end") + timedelta(days=1),
                                output_field=models.DateField(),
                            )
                        ),
                        1,
                    )
                ),
                name="savings_capital_brought_in_month_end_before_cutover",
            ),
            models.UniqueConstraint(
                fields=["member", "month_end"], name="savings_capital_brought_in_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.month_end} {self.pokok}+{self.wajib}"
