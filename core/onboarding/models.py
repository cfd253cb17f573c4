"""A cooperative's move onto Lumbung ("pindah ke Lumbung"): one record per attempt, the
cut-over date chosen first, a status per step, saved and resumable. The records the
move-in made (the opening entry, the loans brought in) are linked here so that the
reconciliation can read them and the undo can remove them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.common.uploads import onboarding_document_path


class MoveIn(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Sedang disiapkan")
        LIVE = "live", _("Sudah berjalan (go-live)")
        UNDONE = "undone", _("Dibatalkan")

    class Step(models.TextChoices):
        PENDING = "pending", _("Belum")
        DONE = "done", _("Selesai")

    cutover_date = models.DateField(_("tanggal pindah (cut-over)"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    trial_balance_step = models.CharField(
        _("neraca saldo awal"), max_length=10, choices=Step.choices, default=Step.PENDING
    )
    members_step = models.CharField(
        _("anggota dan simpanan"), max_length=10, choices=Step.choices, default=Step.PENDING
    )
    loans_step = models.CharField(
        _("pinjaman berjalan"), max_length=10, choices=Step.choices, default=Step.PENDING
    )
    opening_entry = models.ForeignKey(
        "ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # the trial balance as last submitted (rows as given), so the step can be resumed
    trial_balance_rows = models.JSONField(default=list, blank=True)
    last_errors = models.JSONField(default=list, blank=True)
    # the months the go-live closed (reopened by an undo)
    closed_periods = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    went_live_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("pindah ke Lumbung")
        verbose_name_plural = _("pindah ke Lumbung")
        constraints = [
            # at most one move-in that is not undone (draft or live)
            models.UniqueConstraint(
                models.Value(1),
                condition=~Q(status="undone"),
                name="onboarding_movein_one_active",
            ),
            models.CheckConstraint(
                condition=~Q(status="live") | Q(opening_entry__isnull=False),
                name="onboarding_movein_live_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Pindah {self.cutover_date.isoformat()}"


class MoveInLoan(models.Model):
    """A running loan brought in by a move-in, with the row of the file it came from."""

    move_in = models.ForeignKey(MoveIn, on_delete=models.CASCADE, related_name="loans")
    loan = models.OneToOneField("loans.Loan", on_delete=models.CASCADE, related_name="+")
    row = models.PositiveIntegerField()
    arrears_jasa = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    arrears_principal = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    outstanding = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    ppap = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        ordering = ["row"]

    def __str__(self) -> str:
        return f"{self.move_in_id}:{self.row}"


class MoveInAdjustment(models.Model):
    """A documented adjustment of the reconciliation: the admin's explanation of why a
    control account of the opening trial balance differs from its sub-ledger, and the
    journal entry (dated the cut-over) that brings the books to the sub-ledger. ``amount``
    is signed like the reconciliation's figures: it is added to the trial balance's."""

    move_in = models.ForeignKey(MoveIn, on_delete=models.CASCADE, related_name="adjustments")
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    offset_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("penyesuaian"), max_digits=18, decimal_places=2)
    explanation = models.TextField(_("penjelasan"))
    document = models.FileField(
        _("dokumen pendukung"), upload_to=onboarding_document_path, max_length=200, blank=True
    )
    entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("penyesuaian rekonsiliasi")
        verbose_name_plural = _("penyesuaian rekonsiliasi")
        constraints = [
            models.CheckConstraint(
                condition=~Q(amount=0), name="onboarding_adjustment_amount_not_0"
            ),
            models.CheckConstraint(
                condition=~Q(explanation=""), name="onboarding_adjustment_explained"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.move_in_id}:{self.account_id} {self.amount}"


class UploadPreview(models.Model):
    """An upload checked and shown (*Unggah dan pratinjau*) but not saved yet: the file
    is kept here, in the cooperative's schema, and the confirm form carries only a signed
    reference to it (``core.onboarding.preview``), so a file of any size the upload
    accepts can be confirmed. *Simpan* reads the file again, the step's service checks it
    again and saves; the row is then deleted. Two hours, then it expires."""

    class Kind(models.TextChoices):
        TRIAL_BALANCE = "trial_balance", _("Neraca saldo awal")
        LOANS = "loans", _("Pinjaman berjalan")
        SHU_CONTRIBUTIONS = "shu_contributions", _("Jasa pinjaman tahun berjalan")
        CAPITAL_BALANCES = "capital_balances", _("Saldo modal akhir bulan")

    move_in = models.ForeignKey(MoveIn, on_delete=models.CASCADE, related_name="previews")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    # of ``content``: the reference signs it, the confirm checks the file against it
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # what the upload form said besides the file (hidden rows checked, the trial
    # balance's account mapping)
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "trial_balance",
                        "loans",
                        "shu_contributions",
                        "capital_balances",
                    ]
                ),
                name="onboarding_uploadpreview_kind",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"),
                name="onboarding_uploadpreview_sha256",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.move_in_id}:{self.kind} {self.file_name}"
