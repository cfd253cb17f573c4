"""The cooperative's consent to share its indicators with its Dinas Koperasi (one row)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DinasConsent(models.Model):
    """Singleton (pk=1). Off by default; every change is audited (``sharing.consent``)."""

    share_indicators = models.BooleanField(
        _("bagikan indikator dengan Dinas Koperasi"), default=False
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("persetujuan berbagi data")
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="sharing_consent_singleton")]

    def __str__(self) -> str:
        return "on" if self.share_indicators else "off"

    @classmethod
    def get(cls) -> "DinasConsent":
        return cls.objects.filter(pk=1).first() or cls(pk=1)
