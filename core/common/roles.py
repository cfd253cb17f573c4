"""The roles of a cooperative's users (domain brief): admin (users, settings) · ketua
(approves loans, signs reports) · bendahara (cash, postings, deduction batches, year end) ·
petugas (teller, data entry) · pengawas (reads everything, changes nothing, sees the audit
log) · anggota (own data only). ``core.users.models.User.Role`` is this class."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Admin")
    KETUA = "ketua", _("Ketua")
    BENDAHARA = "bendahara", _("Bendahara")
    PETUGAS = "petugas", _("Petugas / teller")
    PENGAWAS = "pengawas", _("Pengawas")
    ANGGOTA = "anggota", _("Anggota")
