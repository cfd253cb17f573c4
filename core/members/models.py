"""Member registry: agencies (instansi / satuan kerja), members, heirs, change history."""

from decimal import InvalidOperation

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from core.common.loading import FastFromDb
from core.common.money import format_rupiah
from core.common.said import said_register, said_shown

from .validators import validate_nik, validate_nip, validate_phone


class Agency(models.Model):
    """An instansi / satuan kerja paying members' salaries; its payroll treasurer
    (bendahara gaji) deducts the cooperative's dues."""

    code = models.CharField(_("kode"), max_length=30, unique=True)
    name = models.CharField(_("nama instansi"), max_length=200)
    treasurer_name = models.CharField(_("nama bendahara gaji"), max_length=200, blank=True)
    treasurer_phone = models.CharField(
        _("telepon bendahara gaji"), max_length=20, blank=True, validators=[validate_phone]
    )
    treasurer_email = models.EmailField(_("e-mail bendahara gaji"), blank=True)
    address = models.TextField(_("alamat"), blank=True)
    is_active = models.BooleanField(_("aktif"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("instansi")
        verbose_name_plural = _("instansi")
        constraints = [
            models.CheckConstraint(condition=~Q(code=""), name="members_agency_code_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberSettings(models.Model):
    """One row per cooperative: how member numbers are made.

    ``number_pattern`` is a Python format string with ``{seq}`` (the running number,
    e.g. ``{seq:05d}``) and optionally ``{year}`` (join year) and ``{agency}`` (agency code).
    """

    number_pattern = models.CharField(_("pola nomor anggota"), max_length=60, default="A{seq:05d}")
    next_seq = models.PositiveIntegerField(_("nomor urut berikutnya"), default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pengaturan anggota")
        verbose_name_plural = _("pengaturan anggota")
        constraints = [
            # a singleton: only the row with pk 1
            models.CheckConstraint(condition=Q(pk=1), name="members_settings_singleton"),
        ]

    def __str__(self) -> str:
        return str(self.number_pattern)


class Member(FastFromDb, models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktif")
        RESIGNED = "resigned", _("Keluar")
        RETIRED = "retired", _("Pensiun")
        MOVED = "moved", _("Pindah")
        DECEASED = "deceased", _("Meninggal")

    class Gender(models.TextChoices):
        MALE = "L", _("Laki-laki")
        FEMALE = "P", _("Perempuan")

    number = models.CharField(_("nomor anggota"), max_length=30, unique=True)
    full_name = models.CharField(_("nama lengkap"), max_length=200)
    # unique among the members who have not left (and the deceased): a former member
    # who joins again is a new record with the same NIP/NIK (Meta.constraints)
    nip = models.CharField(_("NIP"), max_length=18, db_index=True, validators=[validate_nip])
    nik = models.CharField(_("NIK"), max_length=16, db_index=True, validators=[validate_nik])
    gender = models.CharField(_("jenis kelamin"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("tanggal lahir"), null=True, blank=True)
    golongan = models.CharField(
        _("golongan"), max_length=10, blank=True, help_text=_("mis. III/a, IV/b, atau PPPK IX")
    )
    position = models.CharField(_("jabatan"), max_length=200, blank=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="members", verbose_name=_("instansi")
    )
    join_date = models.DateField(_("tanggal masuk"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    exit_date = models.DateField(_("tanggal keluar"), null=True, blank=True)
    exit_reason = models.TextField(_("alasan keluar"), blank=True)
    address = models.TextField(_("alamat"), blank=True)
    phone = models.CharField(_("telepon"), max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(_("e-mail"), blank=True)
    bank_name = models.CharField(_("nama bank"), max_length=100, blank=True)
    bank_account_number = models.CharField(_("nomor rekening"), max_length=40, blank=True)
    bank_account_holder = models.CharField(_("nama pemilik rekening"), max_length=200, blank=True)
    take_home_pay = models.DecimalField(
        _("gaji bersih (take home pay)"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Untuk aturan kemampuan bayar pinjaman."),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
        verbose_name=_("akun login"),
    )
    # the same person's membership before this one (they left, then joined again)
    previous_member = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_membership",
        verbose_name=_("keanggotaan sebelumnya"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("anggota")
        verbose_name_plural = _("anggota")
        indexes = [
            models.Index(fields=["full_name"]),
            models.Index(fields=["agency", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(nip__regex=r"^[0-9]{18}$"), name="members_member_nip_18_digits"
            ),
            models.CheckConstraint(
                condition=Q(nik__regex=r"^[0-9]{16}$"), name="members_member_nik_16_digits"
            ),
            models.CheckConstraint(
                condition=(Q(status="active") & Q(exit_date__isnull=True))
                | (~Q(status="active") & Q(exit_date__isnull=False)),
                name="members_member_exit_date_iff_not_active",
            ),
            models.CheckConstraint(
                condition=Q(take_home_pay__isnull=True) | Q(take_home_pay__gte=0),
                name="members_member_thp_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^\+62[1-9][0-9]{7,12}$"),
                name="members_member_phone_plus62",
            ),
            # one current membership per NIP and per NIK; a deceased member's stay
            # taken for good (exit_date is null exactly when the status is active)
            models.UniqueConstraint(
                fields=["nip"],
                condition=Q(exit_date__isnull=True) | Q(status="deceased"),
                name="members_member_nip_current_uniq",
            ),
            models.UniqueConstraint(
                fields=["nik"],
                condition=Q(exit_date__isnull=True) | Q(status="deceased"),
                name="members_member_nik_current_uniq",
            ),
            # ``kp-001`` is ``KP-001``: the office reads and looks numbers up in any case
            models.UniqueConstraint(Upper("number"), name="members_member_number_upper_uniq"),
            models.CheckConstraint(
                condition=~Q(previous_member=models.F("pk")),
                name="members_member_previous_not_self",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.full_name}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class Heir(models.Model):
    """An ahli waris: receives the exit settlement if the member dies."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="heirs")
    full_name = models.CharField(_("nama lengkap"), max_length=200)
    relationship = models.CharField(_("hubungan"), max_length=50)
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[validate_nik])
    phone = models.CharField(_("telepon"), max_length=20, blank=True, validators=[validate_phone])
    address = models.TextField(_("alamat"), blank=True)
    share_percent = models.DecimalField(
        _("bagian (%)"), max_digits=5, decimal_places=2, default=100
    )
    is_active = models.BooleanField(_("aktif"), default=True)
    # the previous membership's heir this one was copied from when the member joined
    # again (a copy: editing it leaves the old record as it was)
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("dibawa dari"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["member", "id"]
        verbose_name = _("ahli waris")
        verbose_name_plural = _("ahli waris")
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__gt=0) & Q(share_percent__lte=100),
                name="members_heir_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.relationship})"


# Reasons the system words into a member's history (``MemberChange.reason_said``), by code.
MEMBER_CHANGE_REASONS = {
    "member.login_moved": lambda p: _("Dipindahkan ke keanggotaan baru No. %(no)s.") % p,
}
said_register(MEMBER_CHANGE_REASONS)


class MemberChange(models.Model):
    """History of changes to a member's data: one row per changed field. Immutable
    (a trigger refuses UPDATE and DELETE)."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="changes")
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    field = models.CharField(_("kolom"), max_length=50)
    old_value = models.TextField(_("nilai lama"), blank=True)
    new_value = models.TextField(_("nilai baru"), blank=True)
    reason = models.TextField(_("alasan"), blank=True)
    # a reason the system words: {"code", "params"} of ``REASONS``, said again in the
    # reader's language (``reason_shown``); None for a reason typed (or kept before codes)
    reason_said = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("riwayat perubahan anggota")
        verbose_name_plural = _("riwayat perubahan anggota")

    def __str__(self) -> str:
        return f"{self.member_id} {self.field}: {self.old_value} → {self.new_value}"

    # rows about something other than a column of the member
    OTHER_LABELS = {"heir": _("ahli waris")}

    @property
    def reason_shown(self) -> str:
        """The reason in the reader's language when the system worded it, else as stored."""
        if not self.reason_said:
            return self.reason
        return said_shown({**self.reason_said, "message": self.reason})

    @property
    def field_label(self) -> str:
        """The column as the forms name it, in the user's language (``take_home_pay`` →
        "gaji bersih (take home pay)")."""
        if self.field in self.OTHER_LABELS:
            return str(self.OTHER_LABELS[self.field])
        try:
            return str(Member._meta.get_field(self.field).verbose_name)
        except FieldDoesNotExist:  # a column since removed: its stored name
            return self.field

    def _shown(self, value: str) -> str:
        if self.field == "status":
            return str(dict(Member.Status.choices).get(value, value))
        if self.field == "gender":
            return str(dict(Member.Gender.choices).get(value, value))
        if self.field == "take_home_pay" and value:
            try:
                return format_rupiah(value)
            except (InvalidOperation, ValueError):
                return value
        return value

    @property
    def old_display(self) -> str:
        return self._shown(self.old_value)

    @property
    def new_display(self) -> str:
        return self._shown(self.new_value)


class MemberImport(models.Model):
    """An uploaded file of members and opening balances. Validated on upload (the report
    is kept); imported all-or-nothing when confirmed."""

    class Status(models.TextChoices):
        INVALID = "invalid", _("Ada kesalahan")
        VALID = "valid", _("Siap diimpor")
        IMPORTED = "imported", _("Sudah diimpor")
        # removed again by the move-in's undo (members, accounts, opening balances)
        UNDONE = "undone", _("Dibatalkan")

    file_name = models.CharField(max_length=255)
    content = models.BinaryField()
    status = models.CharField(max_length=10, choices=Status.choices)
    row_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # [{"row", "column", "message"}]
    # the file's rows as read on upload (JSON-safe), so the import does not parse it again
    rows = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    opening_date = models.DateField(null=True, blank=True)
    journal_entry_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("impor anggota")
        verbose_name_plural = _("impor anggota")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"
