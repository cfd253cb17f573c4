"""Year end and SHU: the allocation settings (history by year), the year's close and
its SHU posting, each member's share and its payouts."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.members.models import Member

ZERO = Decimal("0")
MONEY = {"max_digits": 18, "decimal_places": 2}


def _pct(label: str, default: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=5, decimal_places=2, default=Decimal(default))


class ShuSettings(models.Model):
    """How a year's SHU is allocated. One row per year it changed (``effective_year``);
    a year uses the latest row at or before it (``selectors.shu_settings_for``)."""

    class CapitalBasis(models.TextChoices):
        YEAR_END = "year_end", _("Saldo akhir tahun")
        AVERAGE = "average", _("Saldo rata-rata bulanan")

    class Leavers(models.TextChoices):
        PRO_RATA = "pro_rata", _("Dihitung pro rata sampai tanggal keluar")
        EXCLUDED = "excluded", _("Tidak mendapat SHU")

    class Payout(models.TextChoices):
        CASH = "cash", _("Tunai")
        SUKARELA = "sukarela", _("Dikreditkan ke simpanan sukarela")
        CHOICE = "choice", _("Pilihan masing-masing anggota")

    class TaxRule(models.TextChoices):
        NONE = "none", _("Tidak ada pajak penghasilan")
        SHU_PERCENT = "shu_percent", _("Persentase dari SHU sebelum pajak")
        TURNOVER_FINAL = "turnover_final", _("Final dari peredaran bruto (PP 55/2022)")

    effective_year = models.PositiveSmallIntegerField(_("berlaku mulai tahun buku"), unique=True)
    pct_jasa_modal = _pct(_("jasa modal (%)"), "25")
    pct_jasa_anggota = _pct(_("jasa anggota (%)"), "25")
    pct_cadangan = _pct(_("cadangan (%)"), "20")
    pct_pengurus = _pct(_("dana pengurus (%)"), "10")
    pct_pendidikan = _pct(_("dana pendidikan (%)"), "10")
    pct_karyawan = _pct(_("dana karyawan (%)"), "5")
    pct_pembangunan = _pct(_("dana pembangunan daerah kerja (%)"), "2.5")
    pct_sosial = _pct(_("dana sosial (%)"), "2.5")
    capital_includes_sukarela = models.BooleanField(
        _("simpanan sukarela dihitung sebagai modal"), default=False
    )
    capital_basis = models.CharField(
        _("dasar modal"), max_length=10, choices=CapitalBasis.choices, default=CapitalBasis.YEAR_END
    )
    rounding_unit = models.PositiveIntegerField(
        _("pembulatan SHU anggota (rupiah)"),
        default=1,
        help_text=_("1, 10, 100 atau 1000; sisa pembulatan masuk cadangan."),
    )
    leavers = models.CharField(
        _("anggota yang keluar dalam tahun buku"),
        max_length=10,
        choices=Leavers.choices,
        default=Leavers.PRO_RATA,
    )
    payout_method = models.CharField(
        _("cara pembayaran SHU"), max_length=10, choices=Payout.choices, default=Payout.CHOICE
    )
    tax_rule = models.CharField(
        _("pajak penghasilan koperasi"),
        max_length=16,
        choices=TaxRule.choices,
        default=TaxRule.NONE,
    )
    tax_rate = models.DecimalField(
        _("tarif pajak (%)"), max_digits=5, decimal_places=2, default=ZERO
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    PCT_FIELDS = (
        "pct_jasa_modal",
        "pct_jasa_anggota",
        "pct_cadangan",
        "pct_pengurus",
        "pct_pendidikan",
        "pct_karyawan",
        "pct_pembangunan",
        "pct_sosial",
    )

    class Meta:
        ordering = ["-effective_year"]
        verbose_name = _("pengaturan SHU")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    pct_jasa_modal__gte=0,
                    pct_jasa_anggota__gte=0,
                    pct_cadangan__gte=0,
                    pct_pengurus__gte=0,
                    pct_pendidikan__gte=0,
                    pct_karyawan__gte=0,
                    pct_pembangunan__gte=0,
                    pct_sosial__gte=0,
                ),
                name="yearend_settings_pct_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(
                    pct_jasa_modal=100
                    - F("pct_jasa_anggota")
                    - F("pct_cadangan")
                    - F("pct_pengurus")
                    - F("pct_pendidikan")
                    - F("pct_karyawan")
                    - F("pct_pembangunan")
                    - F("pct_sosial")
                ),
                name="yearend_settings_pct_sum_100",
            ),
            models.CheckConstraint(
                condition=Q(rounding_unit__in=[1, 10, 100, 1000]), name="yearend_settings_rounding"
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="yearend_settings_tax_rate"
            ),
        ]

    def __str__(self) -> str:
        return f"Pengaturan SHU mulai {self.effective_year}"

    def percentages(self) -> dict[str, Decimal]:
        return {f.removeprefix("pct_"): getattr(self, f) for f in self.PCT_FIELDS}


class YearEnd(models.Model):
    """A fiscal year's close and SHU. Closed: the SHU after tax sits in *SHU belum
    dibagi*. Posted: the RAT approved and the split was posted (shares are rows of
    ``MemberShare``). Reopened: the close was reversed (the row stays as history)."""

    class Status(models.TextChoices):
        CLOSED = "closed", _("Ditutup, menunggu RAT")
        POSTED = "posted", _("SHU dibagi (diposting)")
        REOPENED = "reopened", _("Dibuka kembali")

    year = models.PositiveSmallIntegerField(_("tahun buku"), unique=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    shu_before_tax = models.DecimalField(_("SHU sebelum pajak"), **MONEY)
    turnover = models.DecimalField(_("peredaran bruto"), **MONEY, default=ZERO)
    income_tax = models.DecimalField(_("pajak penghasilan"), **MONEY, default=ZERO)
    shu_after_tax = models.DecimalField(_("SHU setelah pajak"), **MONEY)
    settings_snapshot = models.JSONField(_("pengaturan yang dipakai"), default=dict)
    tax_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    transfer_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopen_reason = models.TextField(blank=True)
    # Posting (after the RAT).
    rat_date = models.DateField(_("tanggal RAT"), null=True, blank=True)
    rat_decision = models.CharField(_("nomor keputusan RAT"), max_length=100, blank=True)
    funds = models.JSONField(_("pembagian ke dana"), default=dict)
    posting_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The members' unpaid SHU of a year before the books started in Lumbung, brought in
    # per member from the old books (``services.shu_old_books_bring_in``): posted, with
    # the old RAT's date and decision, its shares paid out as any year's; no close, no
    # preview and no RAT pack of its own (the year's figures are the old books').
    old_books = models.BooleanField(_("dari pembukuan lama"), default=False)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("tutup buku tahunan")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["closed", "posted", "reopened"]), name="yearend_status"
            ),
            models.CheckConstraint(
                condition=~Q(status="posted")
                | (
                    Q(posting_entry__isnull=False) & Q(rat_date__isnull=False) & ~Q(rat_decision="")
                ),
                name="yearend_posted_has_entry",
            ),
            models.CheckConstraint(condition=Q(income_tax__gte=0), name="yearend_tax_nonneg"),
        ]

    def __str__(self) -> str:
        return f"Tutup buku {self.year}"


class MemberShare(models.Model):
    """One member's SHU of a posted year: its inputs and result, and what was paid."""

    year_end = models.ForeignKey(YearEnd, on_delete=models.PROTECT, related_name="shares")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="shu_shares")
    capital = models.DecimalField(_("modal"), **MONEY)
    contribution = models.DecimalField(_("jasa pinjaman dibayar"), **MONEY)
    jma = models.DecimalField(_("jasa modal (JMA)"), **MONEY)
    jua = models.DecimalField(_("jasa usaha (JUA)"), **MONEY)
    total = models.DecimalField(_("SHU anggota"), **MONEY)
    paid = models.DecimalField(_("sudah dibayar"), **MONEY, default=ZERO)

    class Meta:
        ordering = ["year_end", "member__number"]
        verbose_name = _("SHU anggota")
        constraints = [
            models.UniqueConstraint(fields=["year_end", "member"], name="yearend_share_once"),
            models.CheckConstraint(
                condition=Q(jma__gte=0, jua__gte=0, total=F("jma") + F("jua")),
                name="yearend_share_sum",
            ),
            models.CheckConstraint(
                condition=Q(paid__gte=0, paid__lte=F("total")), name="yearend_share_paid_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"SHU {self.year_end.year} {self.member_id}"

    @property
    def unpaid(self) -> Decimal:
        return self.total - self.paid


class ShuPayout(models.Model):
    """A payment of (part of) a member's share: cash at the counter or a bank transfer
    (each with a receipt), or a credit to sukarela. A batch of payouts shares one
    journal entry."""

    class Method(models.TextChoices):
        CASH = "cash", _("Tunai")
        SUKARELA = "sukarela", _("Ke simpanan sukarela")
        BANK = "bank", _("Transfer bank")

    share = models.ForeignKey(MemberShare, on_delete=models.PROTECT, related_name="payouts")
    on = models.DateField(_("tanggal"))
    method = models.CharField(_("cara"), max_length=10, choices=Method.choices)
    amount = models.DecimalField(_("jumlah"), **MONEY)
    receipt_number = models.CharField(_("nomor kuitansi"), max_length=40, blank=True)
    entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    # paid to the heirs of a member who died (``core.members.selectors.heir_parts``):
    # ``[{name, relationship, share_percent, amount}]`` adding up to ``amount``; empty
    # when paid to the member
    heirs = models.JSONField(_("ahli waris"), default=list, blank=True)
    # credited to sukarela: the account credited (the member's own, or for an earlier
    # membership of a person who joined again, their current membership's)
    credited_account = models.ForeignKey(
        "savings.SavingsAccount",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("rekening dikreditkan"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Reversed (``services.shu_payout_reverse``): the entry taking back this payout's own
    # lines of its batch entry, when, by whom and why. The row and its receipt number
    # stay; the share is unpaid again by ``amount``.
    reversal_entry = models.OneToOneField(
        "ledger.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reversed_at = models.DateTimeField(_("dibatalkan pada"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.TextField(_("alasan pembatalan"), blank=True)

    class Meta:
        ordering = ["-on", "-id"]
        verbose_name = _("pembayaran SHU")
        constraints = [
            # reversed: the entry, the time and the reason together, or none of them
            models.CheckConstraint(
                condition=(
                    Q(reversal_entry__isnull=True, reversed_at__isnull=True, reversal_reason="")
                    | (
                        Q(reversal_entry__isnull=False, reversed_at__isnull=False)
                        & ~Q(reversal_reason="")
                    )
                ),
                name="yearend_payout_reversal_complete",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="yearend_payout_positive"),
            models.CheckConstraint(
                condition=Q(method__in=["cash", "sukarela", "bank"]), name="yearend_payout_method"
            ),
            # money paid out of the cooperative (cash or transfer) has its receipt
            models.CheckConstraint(
                condition=Q(method="sukarela") | ~Q(receipt_number=""),
                name="yearend_payout_receipt",
            ),
        ]

    def __str__(self) -> str:
        return f"Pembayaran SHU {self.share_id} {self.amount}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class RatReport(models.Model):
    """The texts of a year's RAT pack, edited by the board: the agenda, the board's
    (pengurus) and the supervisors' (pengawas) reports, and the notes' policies."""

    year = models.PositiveSmallIntegerField(_("tahun buku"), unique=True)
    agenda = models.TextField(_("acara RAT"), blank=True)
    board_report = models.TextField(_("laporan pengurus"), blank=True)
    supervisor_report = models.TextField(_("laporan pengawas"), blank=True)
    policies = models.TextField(_("kebijakan akuntansi (CaLK)"), blank=True)
    # The day the RAT of this fiscal year was held, as the cooperative records it (also
    # for years whose books were not closed in Lumbung); the Dinas view's "last RAT".
    held_on = models.DateField(_("tanggal RAT diselenggarakan"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    TEXT_FIELDS = ("agenda", "board_report", "supervisor_report", "policies")

    class Meta:
        verbose_name = _("laporan RAT")
        constraints = [
            # a year's RAT is held after the year has ended
            models.CheckConstraint(
                condition=Q(held_on__isnull=True) | Q(held_on__year__gt=models.F("year")),
                name="yearend_rat_held_after_year",
            ),
        ]

    def __str__(self) -> str:
        return f"RAT {self.year}"
