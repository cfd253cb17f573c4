from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A login. The table exists in every schema: in the public schema it holds platform
    operators, in a cooperative's schema that cooperative's staff and members. A user of
    one schema cannot authenticate on another host."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        KETUA = "ketua", _("Ketua")
        BENDAHARA = "bendahara", _("Bendahara")
        PETUGAS = "petugas", _("Petugas / teller")
        PENGAWAS = "pengawas", _("Pengawas")
        ANGGOTA = "anggota", _("Anggota")

    class OperatorRole(models.TextChoices):
        SUPPORT = "support", _("Support")
        BILLING = "billing", _("Billing")
        ADMIN = "admin", _("Admin")

    full_name = models.CharField(_("nama lengkap"), max_length=200, blank=True)
    role = models.CharField(_("peran"), max_length=20, choices=Role.choices, blank=True)
    operator_role = models.CharField(
        _("peran operator"), max_length=20, choices=OperatorRole.choices, blank=True
    )

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_operator(self) -> bool:
        return bool(self.operator_role)
