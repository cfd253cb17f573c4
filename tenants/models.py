from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


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

    slug = models.SlugField(_("alamat"), max_length=40, unique=True)
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

    auto_create_schema = True
    auto_drop_schema = True

    class Meta:
        verbose_name = _("koperasi")
        verbose_name_plural = _("koperasi")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(slug__regex=r"^[a-z0-9]([a-z0-9-]{1,38}[a-z0-9])?$")
                | models.Q(schema_name="public"),
                name="cooperative_slug_format",
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
