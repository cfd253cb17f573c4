from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin

from lumbung.terms import NOTICE_DAYS


class Cooperative(TenantMixin):
    """A cooperative (tenant). Lives in the public schema; its data in its own schema."""

    class Status(models.TextChoices):
        PROVISIONING = "provisioning", _("Sedang disiapkan")
        FAILED = "failed", _("Gagal disiapkan")
        TRIAL = "trial", _("Masa uji coba")
        ACTIVE = "active", _("Aktif")
        PAST_DUE = "past_due", _("Menunggak pembayaran")
        SUSPENDED = "suspended", _("Ditangguhkan")
        ARCHIVED = "archived", _("Diarsipkan")

    class Kind(models.TextChoices):
        KPRI = "kpri", _("KPRI (Koperasi Pegawai Republik Indonesia)")
        KSP = "ksp", _("Koperasi simpan pinjam lainnya")

    slug = models.SlugField(_("alamat"), max_length=48, unique=True)
    name = models.CharField(_("nama koperasi"), max_length=200)
    kind = models.CharField(_("jenis"), max_length=10, choices=Kind.choices, default=Kind.KPRI)
    legal_number = models.CharField(_("nomor badan hukum"), max_length=100, blank=True)
    legal_date = models.DateField(_("tanggal badan hukum"), null=True, blank=True)
    nik_koperasi = models.CharField(_("NIK koperasi"), max_length=30, blank=True)
    province = models.CharField(_("provinsi"), max_length=100, blank=True)
    regency = models.CharField(_("kabupaten/kota"), max_length=100, blank=True)
    contact_name = models.CharField(_("narahubung"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telepon"), max_length=20, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROVISIONING
    )
    status_reason = models.TextField(_("alasan status"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # A practice copy ("Ruang latihan", tenants.practice) of the cooperative
    # ``practice_of``, at <slug>-latihan: demo data, never billed, never counted in usage,
    # plan limits or the Dinas figures, sends no e-mail; deleted after 90 days unused.
    is_practice = models.BooleanField(_("ruang latihan"), default=False, db_index=True)
    practice_of = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="practice_copy",
        verbose_name=_("latihan dari"),
    )
    practice_reset_at = models.DateTimeField(_("disalin ulang"), null=True, blank=True)
    practice_used_at = models.DateTimeField(_("terakhir dipakai"), null=True, blank=True)

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("koperasi")
        verbose_name_plural = _("koperasi")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(slug__regex=r"^[a-z0-9]([a-z0-9-]{1,38}[a-z0-9])?$")
                    & models.Q(is_practice=False)
                )
                | models.Q(schema_name="public")
                | models.Q(
                    is_practice=True,
                    slug__regex=r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]-latihan$",
                ),
                name="cooperative_slug_format",
            ),
            models.CheckConstraint(
                condition=models.Q(is_practice=False, practice_of__isnull=True)
                | models.Q(is_practice=True, practice_of__isnull=False),
                name="cooperative_practice_has_origin",
            ),
            # One cooperative per NIK koperasi (kept as its digits), where one is set; a
            # practice copy is not another cooperative. Sign-up refuses it on the form,
            # at verification and at provisioning (under a lock): this is the last word.
            models.UniqueConstraint(
                fields=["nik_koperasi"],
                condition=~models.Q(nik_koperasi="") & models.Q(is_practice=False),
                name="tenants_cooperative_nik_koperasi_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domain")

    def __str__(self) -> str:
        return self.domain


class SchemaTemplate(models.Model):
    """The snapshot of the migrated template schema that new cooperatives are cloned
    from (see tenants.schema_template). One row per template schema."""

    name = models.CharField(max_length=63, unique=True)
    script = models.TextField()
    fingerprint = models.CharField(max_length=64)
    migration_count = models.PositiveIntegerField(default=0)
    build_seconds = models.DecimalField(max_digits=8, decimal_places=3, default=0)
    refreshed_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("templat skema")
        verbose_name_plural = _("templat skema")

    def __str__(self) -> str:
        return self.name


class SpareSchema(models.Model):
    """A schema already cloned from the template and waiting for a cooperative: taking
    one is a rename, so provisioning does not wait for the DDL (see
    tenants.schema_template.schema_clone). ``fingerprint`` is the template's migrations
    fingerprint at cloning time; spares of another fingerprint are never used."""

    name = models.CharField(max_length=63, unique=True)
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("skema cadangan")
        verbose_name_plural = _("skema cadangan")

    def __str__(self) -> str:
        return self.name


class SignupRequest(models.Model):
    """A cooperative's online sign-up, from the form to a working tenant.

    pending (e-mail not yet verified) → queued (verified, provisioning task posted) →
    provisioning → ready; or failed (after the last retry; ``last_error`` keeps the
    reason for operators) or expired (never verified). At most one live request per
    slug (partial unique index), so a form submitted twice makes one tenant; submitted
    again while pending, it e-mails a fresh link (``verification_sent_at``)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Menunggu verifikasi e-mail")
        QUEUED = "queued", _("Dalam antrean")
        PROVISIONING = "provisioning", _("Sedang disiapkan")
        READY = "ready", _("Siap")
        FAILED = "failed", _("Gagal")
        EXPIRED = "expired", _("Kedaluwarsa")

    LIVE = (Status.PENDING, Status.QUEUED, Status.PROVISIONING, Status.READY)

    public_id = models.CharField(max_length=43, unique=True, editable=False)
    slug = models.CharField(_("alamat"), max_length=40)
    name = models.CharField(_("nama koperasi"), max_length=200)
    kind = models.CharField(
        _("jenis"), max_length=10, choices=Cooperative.Kind.choices, default=Cooperative.Kind.KPRI
    )
    legal_number = models.CharField(_("nomor badan hukum"), max_length=100)
    legal_date = models.DateField(_("tanggal badan hukum"))
    nik_koperasi = models.CharField(_("NIK koperasi"), max_length=30, blank=True)
    province = models.CharField(_("provinsi"), max_length=100)
    regency = models.CharField(_("kabupaten/kota"), max_length=100)
    member_count = models.PositiveIntegerField(_("perkiraan jumlah anggota"))
    contact_name = models.CharField(_("narahubung"), max_length=200)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("telepon"), max_length=20)
    password_hash = models.CharField(max_length=256)
    terms_accepted_at = models.DateTimeField()
    # The version of the terms the form showed and the person accepted (lumbung.terms);
    # None for sign-ups made before versions were kept.
    terms_version = models.CharField(max_length=20, null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    cooperative = models.ForeignKey(
        Cooperative, null=True, blank=True, on_delete=models.SET_NULL, related_name="signups"
    )
    admin_user_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The last verification e-mail (the form sent again while pending sends a fresh one):
    # the address is held, and a new e-mail may be asked for, counting from here.
    verification_sent_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    login_used_at = models.DateTimeField(null=True, blank=True)
    provision_seconds = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = _("pendaftaran")
        verbose_name_plural = _("pendaftaran")
        constraints = [
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(status__in=["pending", "queued", "provisioning", "ready"]),
                name="signup_one_live_request_per_slug",
            ),
            models.CheckConstraint(
                condition=models.Q(slug__regex=r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$"),
                name="signup_slug_format",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | models.Q(cooperative__isnull=False),
                name="signup_ready_has_cooperative",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"


class TermsAnnouncement(models.Model):
    """An operator's announcement of a registered version of the terms
    (``lumbung.terms``) to every cooperative's admins, made at least 30 days before it
    takes effect (the terms' §8; ``lumbung.console.terms.terms_announce``). One per
    version. Here, in the tenant registry, because the sign-up form says which later
    version was announced, and the registry cannot read the console's tables."""

    version = models.CharField(_("versi"), max_length=20, unique=True)
    effective_on = models.DateField(_("berlaku mulai"))
    summary = models.TextField(_("ringkasan perubahan"))
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    announced_on = models.DateField(_("diumumkan pada"))  # the operator's today
    announced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-effective_on"]
        verbose_name = _("pengumuman syarat")
        verbose_name_plural = _("pengumuman syarat")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(summary=""), name="terms_announcement_summary_required"
            ),
            # the promise of §8, which the service checks first with a plain message
            models.CheckConstraint(
                condition=models.Q(
                    effective_on__gte=models.F("announced_on") + timedelta(days=NOTICE_DAYS)
                ),
                name="terms_announcement_30_days_ahead",
            ),
        ]

    def __str__(self) -> str:
        return self.version


class TermsDelivery(models.Model):
    """The e-mail of one announcement to one cooperative's admins: one row per
    cooperative live when it was announced, ``sent_at`` set once its e-mail went out
    (never sent twice: the send holds this row's lock and checks ``sent_at`` first), or
    why it did not (``error``, said to operators in their language)."""

    class Error(models.TextChoices):
        NO_ADMINS = "no_admins", _("Koperasi tidak punya admin aktif dengan alamat e-mail")
        MAIL_FAILED = "mail_failed", _("Server e-mail menolak atau tidak dapat dihubungi")

    announcement = models.ForeignKey(
        TermsAnnouncement, on_delete=models.CASCADE, related_name="deliveries"
    )
    cooperative = models.ForeignKey(
        Cooperative, on_delete=models.CASCADE, related_name="terms_deliveries"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True)  # the addresses e-mailed
    error = models.CharField(max_length=20, choices=Error.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cooperative__name", "pk"]
        verbose_name = _("pengiriman pengumuman syarat")
        verbose_name_plural = _("pengiriman pengumuman syarat")
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "cooperative"], name="terms_delivery_once_per_cooperative"
            ),
            models.CheckConstraint(
                condition=models.Q(sent_at__isnull=True) | models.Q(error=""),
                name="terms_delivery_sent_has_no_error",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.announcement_id} → {self.cooperative_id}"
