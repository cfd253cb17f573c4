"""Billing tables (public schema): plans, one subscription per cooperative, invoices
(Stripe's mirrored and our own bank-transfer ones), transfer proofs, webhook events."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.common.uploads import payment_proof_path

from .webhook_flags import flag_shown as webhook_flag_shown


class Plan(models.Model):
    """A price tier by number of active members. Data, edited by operators."""

    code = models.SlugField(_("kode"), max_length=40, unique=True)
    name = models.CharField(_("nama"), max_length=100)
    max_members = models.PositiveIntegerField(
        _("maksimal anggota aktif"), null=True, blank=True, help_text=_("Kosong = tanpa batas.")
    )
    price_monthly = models.DecimalField(_("harga bulanan (Rp)"), max_digits=14, decimal_places=0)
    price_yearly = models.DecimalField(_("harga tahunan (Rp)"), max_digits=14, decimal_places=0)
    features = models.JSONField(_("fitur"), default=list, blank=True)
    limits = models.JSONField(_("batasan"), default=dict, blank=True)
    prices_include_ppn = models.BooleanField(
        _("harga sudah termasuk PPN"),
        default=True,
        help_text=_("Bila tidak, PPN ditambahkan di atas harga pada tagihan."),
    )
    is_active = models.BooleanField(_("ditawarkan"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("urutan"), default=0)
    # The provider's price ids (Stripe Price/Plan ids); empty until synced.
    stripe_product_id = models.CharField(max_length=100, blank=True)
    stripe_price_monthly_id = models.CharField(max_length=100, blank=True)
    stripe_price_yearly_id = models.CharField(max_length=100, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("paket")
        verbose_name_plural = _("paket")
        constraints = [
            models.CheckConstraint(
                condition=Q(price_monthly__gte=0) & Q(price_yearly__gte=0),
                name="billing_plan_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_members__isnull=True) | Q(max_members__gt=0),
                name="billing_plan_max_members_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def price_for(self, interval: str):
        return self.price_yearly if interval == Interval.YEAR else self.price_monthly

    def stripe_price_for(self, interval: str) -> str:
        return (
            self.stripe_price_yearly_id
            if interval == Interval.YEAR
            else self.stripe_price_monthly_id
        )

    def allows(self, member_count: int) -> bool:
        return self.max_members is None or member_count <= self.max_members


class Interval(models.TextChoices):
    MONTH = "month", _("Bulanan")
    YEAR = "year", _("Tahunan")


class Subscription(models.Model):
    """A cooperative's subscription. Its status mirrors ``Cooperative.status`` (which
    governs access); billing.services keeps both in step."""

    class Status(models.TextChoices):
        TRIAL = "trial", _("Masa uji coba")
        ACTIVE = "active", _("Aktif")
        PAST_DUE = "past_due", _("Menunggak pembayaran")
        SUSPENDED = "suspended", _("Ditangguhkan (hanya baca)")
        ARCHIVED = "archived", _("Diarsipkan")

    class Provider(models.TextChoices):
        NONE = "", _("Belum memilih")
        STRIPE = "stripe", _("Kartu (Stripe)")
        BANK_TRANSFER = "bank_transfer", _("Transfer bank")

    cooperative = models.OneToOneField(
        "tenants.Cooperative", on_delete=models.CASCADE, related_name="subscription"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    interval = models.CharField(max_length=10, choices=Interval.choices, default=Interval.MONTH)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TRIAL)
    provider = models.CharField(max_length=20, choices=Provider.choices, blank=True, default="")
    trial_ends_at = models.DateTimeField(null=True, blank=True)
    trial_notice_sent_at = models.DateTimeField(null=True, blank=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    suspended_since = models.DateTimeField(null=True, blank=True)
    # Suspended by an operator (the console), not for an unpaid bill: only an operator
    # lifts it (a card payment reported by Stripe does not).
    suspended_by_operator = models.BooleanField(default=False)
    # Archived by an operator (the console), not by the daily sweep for an unpaid bill:
    # only an operator lifts it (a payment confirmed meanwhile does not).
    archived_by_operator = models.BooleanField(default=False)
    # The reason the operator typed when suspending or archiving (``*_by_operator``),
    # kept while that lasts (also once the sweep archives an operator's suspension):
    # what the cooperative's staff are shown (billing.middleware).
    operator_reason = models.TextField(blank=True)
    # Days after suspension before archiving; empty = settings.BILLING_ARCHIVE_AFTER_DAYS.
    archive_after_days = models.PositiveIntegerField(null=True, blank=True)
    stripe_customer_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    stripe_subscription_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    stripe_status = models.CharField(max_length=30, blank=True)
    # The end of the last period a card paid for (Stripe's period end, recorded once the
    # card subscription's latest invoice is paid). It outlives the card subscription: a
    # card set up again before then is first charged then (card_billing_start).
    card_paid_until = models.DateTimeField(null=True, blank=True)
    # The card subscription ended at Stripe with nothing recorded here to go with it (a
    # manual payment whose commit failed after Stripe ended the card, or Stripe ending a
    # card we still thought billed): flagged for operators until a payment is recorded.
    card_end_unrecorded_at = models.DateTimeField(null=True, blank=True)
    # Usage, recorded by the daily count.
    active_members = models.PositiveIntegerField(null=True, blank=True)
    active_members_counted_at = models.DateTimeField(null=True, blank=True)
    over_limit_since = models.DateTimeField(null=True, blank=True)
    # A change that applies at renewal (a downgrade or another interval on bank transfer,
    # or the interval of a paid upgrade); the renewal invoice is issued for it.
    next_plan = models.ForeignKey(
        Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    next_interval = models.CharField(max_length=10, choices=Interval.choices, blank=True)
    # The card subscription ends at the period end (Stripe's cancel_at_period_end).
    cancel_at_period_end = models.BooleanField(default=False)
    # The buyer on tax invoices (copied onto each invoice when issued).
    npwp = models.CharField(_("NPWP koperasi"), max_length=30, blank=True)
    tax_address = models.CharField(_("alamat NPWP"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("langganan")
        verbose_name_plural = _("langganan")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="past_due") | Q(past_due_since__isnull=False),
                name="billing_subscription_past_due_has_since",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["suspended", "archived"])
                | Q(suspended_since__isnull=False),
                name="billing_subscription_suspended_has_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cooperative} · {self.plan}"

    @property
    def is_over_limit(self) -> bool:
        return self.over_limit_since is not None


class DeletedCooperative(models.Model):
    """A cooperative deleted from the console (billing_records_purge), with or without
    invoices: who it was when it was deleted, for the operators' list of deleted
    cooperatives and the documents they left (the console's *Koperasi terhapus*). The
    invoices and credit notes it issued are kept as tax records: each kept invoice
    points at it (``Invoice.deleted_cooperative``), a note through its invoice; the
    documents themselves still name their buyer as issued (buyer_*). Those deleted
    without an invoice before every deletion was recorded here come from their
    deletion's audit row (migration 0021)."""

    # The id the cooperative had (its deletion's audit row, console.tenant_deleted,
    # targets it); empty when grouped without that row (migration 0020).
    cooperative_pk = models.PositiveIntegerField(null=True, blank=True)
    slug = models.CharField(_("alamat"), max_length=48, blank=True)
    name = models.CharField(_("nama koperasi"), max_length=200)
    nik_koperasi = models.CharField(_("NIK koperasi"), max_length=30, blank=True)
    # The NPWP entered on /langganan/ when it was deleted (each document has its own).
    npwp = models.CharField(_("NPWP koperasi"), max_length=30, blank=True)
    # Empty: not recorded (documents kept before this table, with no deletion audit row).
    deleted_at = models.DateTimeField(_("dihapus"), null=True, blank=True)

    class Meta:
        ordering = [F("deleted_at").desc(nulls_last=True), "-id"]
        verbose_name = _("koperasi terhapus")
        verbose_name_plural = _("koperasi terhapus")

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    """An invoice shown to the cooperative: a Stripe invoice mirrored from the API, or a
    bank-transfer invoice issued by us (with a unique payment reference)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Belum dibayar")
        AWAITING = "awaiting_confirmation", _("Menunggu konfirmasi")
        PAID = "paid", _("Lunas")
        VOID = "void", _("Dibatalkan")

    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Langganan")
        PRORATION = "proration", _("Selisih naik paket")

    # Empty once its cooperative is deleted: an issued invoice is a tax record, kept
    # (10 years) with the buyer as issued (buyer_*; billing_records_purge).
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="invoices", null=True, blank=True
    )
    # Set when its cooperative is deleted (then ``subscription`` is empty): whose it was.
    deleted_cooperative = models.ForeignKey(
        DeletedCooperative,
        on_delete=models.PROTECT,
        related_name="invoices",
        null=True,
        blank=True,
    )
    provider = models.CharField(max_length=20, choices=Subscription.Provider.choices)
    number = models.CharField(_("nomor"), max_length=40, unique=True)
    reference = models.CharField(
        _("kode referensi transfer"), max_length=40, null=True, blank=True, unique=True
    )
    # Stripe's invoice: one copy of it (unique among invoices that re-issue nothing),
    # plus at most its re-issue (below), which carries the same id.
    stripe_invoice_id = models.CharField(max_length=100, null=True, blank=True)
    # Stripe's own invoice number, kept as a reference (ours is ``number``).
    provider_number = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SUBSCRIPTION)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    interval = models.CharField(max_length=10, choices=Interval.choices)
    amount = models.DecimalField(_("jumlah (Rp)"), max_digits=14, decimal_places=0)
    # The cooperative's credit (CreditEntry) taken off this bank-transfer invoice when it
    # was issued: the transfer due is amount - credit_applied (amount stays the taxed
    # price, as the tax invoice shows it).
    credit_applied = models.DecimalField(
        _("dikurangi kredit (Rp)"), max_digits=14, decimal_places=0, default=0
    )
    # Tax (PPN): amount = dpp + ppn, at ppn_rate (a fraction, e.g. 0.11).
    dpp = models.DecimalField(_("DPP (Rp)"), max_digits=14, decimal_places=0, null=True)
    ppn = models.DecimalField(_("PPN (Rp)"), max_digits=14, decimal_places=0, null=True)
    ppn_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True)
    # The buyer as on the day of issue (a tax document): copied from the subscription's
    # tax details and the cooperative, never read from them again (invoice_buyer_fields).
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_npwp = models.CharField(max_length=30, blank=True)
    buyer_address = models.CharField(max_length=300, blank=True)
    buyer_legal_number = models.CharField(max_length=100, blank=True)
    buyer_nik_koperasi = models.CharField(max_length=30, blank=True)
    buyer_email = models.EmailField(blank=True)
    # False only on a document whose cooperative was deleted before the legal number,
    # NIK koperasi and e-mail were copied onto documents (migration 0018): those are
    # not known, and the PDF says so instead of showing them as absent.
    buyer_identity_known = models.BooleanField(default=True)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.OPEN)
    issued_on = models.DateField(_("tanggal terbit"))
    due_on = models.DateField(_("jatuh tempo"))
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # The day it was made void: voided after its month, it stays in that month's
    # e-Faktur data and is cancelled in the month of this day (billing.efaktur).
    voided_on = models.DateField(null=True, blank=True)
    # The void invoice this one re-issues: Stripe reported it paid after it was made void
    # (an invoice marked uncollectible, then paid). The void one stays void in the
    # months it was reported in; this one records the payment, dated the day it was
    # recorded, for the same buyer, plan, period and PPN rate (webhooks._invoice_mirror,
    # services.invoice_reissue_paid). One re-issue per void invoice (unique).
    reissue_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, related_name="reissue", null=True, blank=True
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hosted_url = models.URLField(max_length=500, blank=True)
    last_reminder_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("tagihan")
        verbose_name_plural = _("tagihan")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="billing_invoice_amount_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(provider="bank_transfer") | Q(reference__isnull=False),
                name="billing_invoice_bank_has_reference",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | Q(paid_at__isnull=False),
                name="billing_invoice_paid_has_time",
            ),
            models.CheckConstraint(
                condition=Q(dpp__isnull=True) | Q(amount=F("dpp") + F("ppn")),
                name="billing_invoice_dpp_plus_ppn_is_amount",
            ),
            models.CheckConstraint(
                condition=Q(credit_applied__gte=0) & Q(credit_applied__lte=F("amount")),
                name="billing_invoice_credit_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(subscription__isnull=False) | ~Q(buyer_name=""),
                name="billing_invoice_kept_names_its_buyer",
            ),
            models.CheckConstraint(
                condition=Q(deleted_cooperative__isnull=True) | Q(subscription__isnull=True),
                name="billing_invoice_deleted_cooperative_has_no_subscription",
            ),
            models.CheckConstraint(
                condition=Q(status="void", voided_on__isnull=False)
                | (~Q(status="void") & Q(voided_on__isnull=True)),
                name="billing_invoice_void_has_its_day",
            ),
            models.UniqueConstraint(
                fields=["stripe_invoice_id"],
                condition=Q(reissue_of__isnull=True),
                name="billing_invoice_stripe_invoice_copied_once",
            ),
            # A re-issue records a payment: it is paid (and paid is final). That what it
            # re-issues is void is checked by a trigger (migration 0023).
            models.CheckConstraint(
                condition=Q(reissue_of__isnull=True) | Q(status="paid"),
                name="billing_invoice_reissue_is_paid",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def amount_due(self):
        """What is to be transferred: the amount less the credit applied."""
        return self.amount - self.credit_applied


# The buyer's identity a tax document carries (Invoice and CreditNote), copied on when
# it is issued.
BUYER_FIELDS = (
    "buyer_name",
    "buyer_npwp",
    "buyer_address",
    "buyer_legal_number",
    "buyer_nik_koperasi",
    "buyer_email",
    "buyer_identity_known",
)


class UpgradeDifference(models.Model):
    """What an upgrade's prorated invoice billed for one later period (a renewal paid
    early, or whose transfer awaits the operator): the difference to the dearer plan for
    the period beginning on ``period_start``, measured from ``renewal``'s price, in
    rupiah as billed (its own DPP and PPN, a line of the invoice's: the invoice's
    amount, DPP and PPN are the sum of its lines). A period is topped up once by an
    upgrade, whichever invoices were issued for it (a monthly and a yearly one from the
    same day are one period). Credited back, when that period does not run on the
    upgrade's plan, as the very figure billed."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="differences")
    renewal = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="upgrade_differences"
    )
    period_start = models.DateField()
    amount = models.DecimalField(_("jumlah (Rp)"), max_digits=14, decimal_places=0)
    dpp = models.DecimalField(_("DPP (Rp)"), max_digits=14, decimal_places=0)
    ppn = models.DecimalField(_("PPN (Rp)"), max_digits=14, decimal_places=0)

    class Meta:
        ordering = ["period_start", "id"]
        verbose_name = _("selisih naik paket")
        verbose_name_plural = _("selisih naik paket")
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "period_start"], name="billing_upgrade_difference_once"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(dpp__gte=0) & Q(ppn__gte=0),
                name="billing_upgrade_difference_positive",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("dpp") + F("ppn")),
                name="billing_upgrade_difference_dpp_plus_ppn_is_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} · {self.period_start} · {self.amount}"


class CreditEntry(models.Model):
    """One movement of a subscription's credit (kredit/saldo) in whole rupiah: money
    paid that is no longer owed (+), credit taken off an invoice or refunded by bank
    (-), credit given back from a voided invoice (+). Immutable: a correction is a
    new entry. The balance is the sum of the amounts, kept on each entry as
    ``balance_after``; entries of a subscription are numbered 1, 2, 3… (``seq``), so
    two writers computing from the same last entry cannot both commit (unique), and
    the database refuses a negative balance."""

    class Reason(models.TextChoices):
        UPGRADE_DIFFERENCE = "upgrade_difference", _("Selisih naik paket tidak terpakai")
        APPLIED = "applied", _("Dipakai untuk tagihan")
        INVOICE_VOIDED = "invoice_voided", _("Tagihan dibatalkan, kredit dikembalikan")
        DUPLICATE_PAYMENT = "duplicate_payment", _("Periode yang sama dibayar dua kali")
        REFUND = "refund", _("Dikembalikan lewat transfer bank")
        # A transfer received for less than was due on an invoice (bank_transfer_receive):
        # in (+), and taken off that invoice at once (APPLIED), which stays open for the
        # rest.
        PAYMENT_RECEIVED = "payment_received", _("Transfer diterima sebagian")
        # What a transfer brought beyond what was due on the invoice it paid.
        OVERPAYMENT = "overpayment", _("Kelebihan transfer")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="credit_entries"
    )
    seq = models.PositiveIntegerField()
    amount = models.DecimalField(_("jumlah (Rp)"), max_digits=14, decimal_places=0)
    balance_after = models.DecimalField(_("saldo (Rp)"), max_digits=14, decimal_places=0)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    note = models.TextField(_("keterangan"), blank=True)
    # The invoice the credit came from (an upgrade's paid difference) or went to.
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    # The period (its first day) an upgrade's difference was paid for: credited once.
    for_period_start = models.DateField(null=True, blank=True)
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("kredit langganan")
        verbose_name_plural = _("kredit langganan")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "seq"], name="billing_credit_entry_seq_unique"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="billing_credit_balance_not_negative"
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="billing_credit_amount_not_zero"),
            models.UniqueConstraint(
                fields=["invoice", "for_period_start"],
                condition=Q(reason="upgrade_difference"),
                name="billing_credit_upgrade_difference_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription} · {self.seq} · {self.amount}"


class CreditNote(models.Model):
    """A credit note (nota retur / pengurangan) on a paid invoice: part of its price the
    cooperative no longer owes and got back as credit (an upgrade's difference for a
    period that does not run on that plan, a period paid twice), with its own DPP and
    PPN at the invoice's rate. It is in the e-Faktur data of its month as a reduction,
    so the PPN of money credited and reused on another invoice is reported once. One
    per credit movement; never more than the invoice's amount (credit_note_issue)."""

    # Both empty once its cooperative is deleted (the note is kept with its invoice, a
    # tax record; its credit ledger goes: billing_records_purge).
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.PROTECT,
        related_name="credit_notes",
        null=True,
        blank=True,
    )
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    credit_entry = models.OneToOneField(
        CreditEntry,
        on_delete=models.PROTECT,
        related_name="credit_note",
        null=True,
        blank=True,
    )
    # The invoice's number with -R1, -R2… (its first, second note).
    number = models.CharField(_("nomor"), max_length=50, unique=True)
    issued_on = models.DateField(_("tanggal terbit"))
    amount = models.DecimalField(_("jumlah (Rp)"), max_digits=14, decimal_places=0)
    dpp = models.DecimalField(_("DPP (Rp)"), max_digits=14, decimal_places=0)
    ppn = models.DecimalField(_("PPN (Rp)"), max_digits=14, decimal_places=0)
    ppn_rate = models.DecimalField(max_digits=5, decimal_places=4)
    # The buyer as on the invoice it reduces (credit_note_issue copies the invoice's).
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_npwp = models.CharField(max_length=30, blank=True)
    buyer_address = models.CharField(max_length=300, blank=True)
    buyer_legal_number = models.CharField(max_length=100, blank=True)
    buyer_nik_koperasi = models.CharField(max_length=30, blank=True)
    buyer_email = models.EmailField(blank=True)
    buyer_identity_known = models.BooleanField(default=True)
    reason = models.TextField(_("keterangan"), blank=True)
    # Why the money was credited (its credit entry's reason), kept on the note: the
    # entry goes with a deleted cooperative's credit ledger, the note stays.
    credit_reason = models.CharField(max_length=30, choices=CreditEntry.Reason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("nota retur")
        verbose_name_plural = _("nota retur")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(dpp__gte=0) & Q(ppn__gte=0),
                name="billing_credit_note_amount_positive",
            ),
            models.CheckConstraint(
                condition=Q(amount=F("dpp") + F("ppn")),
                name="billing_credit_note_dpp_plus_ppn_is_amount",
            ),
            models.CheckConstraint(
                condition=Q(subscription__isnull=False, credit_entry__isnull=False)
                | ~Q(buyer_name=""),
                name="billing_credit_note_kept_names_its_buyer",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceSequence(models.Model):
    """The last number used in a year's invoice series (``INV/2026/000123``). A number
    is taken under a row lock in the transaction that creates the invoice, so the
    series has no gaps (a rolled-back invoice gives its number back)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("nomor tagihan terakhir")

    def __str__(self) -> str:
        return f"INV/{self.year}/{self.last:06d}"


class PaymentProof(models.Model):
    """Proof of a bank transfer uploaded by the cooperative."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="proofs")
    file = models.FileField(upload_to=payment_proof_path, max_length=200)
    uploaded_by = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    # What the cooperative says it transferred (whole rupiah, typed with the proof);
    # empty when not said (proofs uploaded before it was asked). The operator checks it
    # against the invoice before confirming.
    amount_claimed = models.DecimalField(
        _("jumlah yang ditransfer (Rp)"), max_digits=14, decimal_places=0, null=True, blank=True
    )
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejected_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("bukti transfer")
        verbose_name_plural = _("bukti transfer")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_claimed__isnull=True) | Q(amount_claimed__gt=0),
                name="billing_payment_proof_amount_claimed_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} · {self.created_at:%Y-%m-%d}"


class Notice(models.Model):
    """An in-app notice to a cooperative about its subscription (the same events as the
    billing e-mails), shown on its billing page and, while recent, in the staff banner,
    in the reader's language (``billing.notices.notice_shown``)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=40)
    message = models.TextField()  # as written: the e-mail's subject, in Indonesian
    # what it says, to say it again in the reader's language (``billing.notices``);
    # None: kept before params, its ``message`` is shown
    params = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("pemberitahuan langganan")
        verbose_name_plural = _("pemberitahuan langganan")

    def __str__(self) -> str:
        return f"{self.subscription} · {self.kind}"


class WebhookEvent(models.Model):
    """Every webhook request received, valid or not. A valid event's id is unique, so a
    replay is recognised and changes nothing."""

    class State(models.TextChoices):
        RECEIVED = "received", _("Diterima")
        PROCESSED = "processed", _("Diproses")
        IGNORED = "ignored", _("Diabaikan")
        FAILED = "failed", _("Gagal")
        REJECTED = "rejected", _("Ditolak (tanda tangan tidak sah)")

    provider = models.CharField(max_length=20, default="stripe")
    event_id = models.CharField(max_length=100, blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    valid = models.BooleanField(default=False)
    raw_body = models.TextField()
    headers = models.JSONField(default=dict)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    error = models.TextField(blank=True)
    flagged = models.BooleanField(default=False, db_index=True)
    flag_reason = models.CharField(max_length=300, blank=True)
    # the reason as a code (``billing.webhook_flags.FLAGS``) and its params, said again in
    # the operator's language (``flag_shown``); empty for an event flagged before codes
    flag_code = models.CharField(max_length=50, blank=True)
    flag_params = models.JSONField(null=True, blank=True)
    subscription = models.ForeignKey(
        Subscription, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("event webhook")
        verbose_name_plural = _("event webhook")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=Q(valid=True),
                name="billing_webhook_valid_event_unique",
            ),
            models.CheckConstraint(
                condition=Q(valid=True) | Q(state="rejected"),
                name="billing_webhook_invalid_is_rejected",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id or '?'} {self.event_type}"

    @property
    def flag_shown(self) -> str:
        """Why the event was flagged, in the active language (``flag_reason`` as stored
        for an event flagged before codes)."""
        return webhook_flag_shown(
            code=self.flag_code, params=self.flag_params, message=self.flag_reason
        )
