"""Public-schema tables of the Dinas view. Figures are written only by the periodic
refresh (``refresh.py``); a request never opens a tenant schema."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.loans.schedules import NplBand

# The loans app's NPL health bands, labelled for the Dinas pages.
BANDS = [
    (NplBand.SEHAT.value, _("Sehat")),
    (NplBand.CUKUP_SEHAT.value, _("Cukup sehat")),
    (NplBand.KURANG_SEHAT.value, _("Kurang sehat")),
    (NplBand.TIDAK_SEHAT.value, _("Tidak sehat")),
]


class Pembina(models.Model):
    """A Dinas Koperasi officer: a public-schema user scoped to a province, or to one
    regency of it. Created by operators (``manage.py create_pembina``); TOTP required."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pembina"
    )
    province = models.CharField(_("provinsi"), max_length=100)
    regency = models.CharField(
        _("kabupaten/kota"), max_length=100, blank=True, help_text=_("Kosong: seluruh provinsi")
    )
    created_by = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pembina")
        verbose_name_plural = _("pembina")
        constraints = [
            models.CheckConstraint(condition=~Q(province=""), name="dinas_pembina_province")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.area_label}"

    @property
    def area_label(self) -> str:
        return f"{self.regency}, {self.province}" if self.regency else self.province

    def covers(self, *, province: str, regency: str) -> bool:
        if province.strip().casefold() != self.province.strip().casefold():
            return False
        return not self.regency or regency.strip().casefold() == self.regency.strip().casefold()


class SharingState(models.Model):
    """Whether a cooperative shares its indicators, as learned by the last refresh."""

    cooperative = models.OneToOneField(
        "tenants.Cooperative", on_delete=models.CASCADE, related_name="dinas_sharing"
    )
    shared = models.BooleanField(default=False, db_index=True)
    refreshed_at = models.DateTimeField()
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.cooperative_id}: {self.shared}"


class Indicator(models.Model):
    """One cooperative's indicators for one month (``month`` = its first day), as of
    ``figures_at``. The current month's row is overwritten by each refresh."""

    cooperative = models.ForeignKey(
        "tenants.Cooperative", on_delete=models.CASCADE, related_name="dinas_indicators"
    )
    month = models.DateField()
    # The cooperative's newest row (the table reads these only; kept by the refresh).
    latest = models.BooleanField(default=False)
    figures_at = models.DateTimeField(_("waktu angka"))
    members_active = models.PositiveIntegerField(default=0)
    members_joined = models.PositiveIntegerField(default=0)
    members_left = models.PositiveIntegerField(default=0)
    total_assets = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    own_capital = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    savings = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    loans_outstanding = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    npl_ratio = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    # The non-performing part of ``loans_outstanding`` (Kurang Lancar, Diragukan, Macet),
    # in rupiah: the area's NPL is the sum of these over the sum of loans outstanding
    # (selectors._totals), never the stored 2-decimal ratios weighted. A row stored
    # before the amount was kept has it derived from its ratio by migration 0004
    # (``npl_estimated``) until its next refresh stores the exact amount.
    npl_outstanding = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    npl_estimated = models.BooleanField(default=False)
    health_band = models.CharField(max_length=20, blank=True, db_index=True)
    shu_year = models.PositiveSmallIntegerField(null=True, blank=True)
    shu_last_year = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    shu_note = models.CharField(max_length=200, blank=True)
    # The RAT of the latest fiscal year recorded (core.yearend.selectors.last_rat): the
    # year it was for and the day it was held. A row stored before last_rat_year existed
    # has only the date until its next refresh (selectors.rat_overdue_q).
    last_rat_year = models.PositiveSmallIntegerField(null=True, blank=True)
    last_rat_date = models.DateField(null=True, blank=True)
    last_activity = models.DateTimeField(null=True, blank=True)
    # "refresh": the periodic refresh's figures; "ledger": a month before the first
    # refresh, rebuilt from the books (refresh.indicators_backfill_one; no NPL)
    source = models.CharField(max_length=10, default="refresh")

    class Meta:
        ordering = ["cooperative_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "month"], name="dinas_indicator_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="dinas_indicator_first_day"),
            models.UniqueConstraint(
                fields=["cooperative"], condition=Q(latest=True), name="dinas_indicator_one_latest"
            ),
        ]
        indexes = [models.Index(fields=["month", "cooperative"])]

    def __str__(self) -> str:
        return f"{self.cooperative_id} {self.month:%Y-%m}"

    @property
    def health_band_label(self) -> str:
        return str(dict(BANDS).get(self.health_band, self.health_band or "–"))


class YearFigures(models.Model):
    """A cooperative's yearly figures for the ministry's data system (``complete`` once
    the year has ended)."""

    cooperative = models.ForeignKey(
        "tenants.Cooperative", on_delete=models.CASCADE, related_name="dinas_years"
    )
    year = models.PositiveSmallIntegerField()
    figures_at = models.DateTimeField()
    complete = models.BooleanField(default=False)
    members = models.PositiveIntegerField(default=0)
    own_capital = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    outside_capital = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    business_volume = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    total_assets = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    shu = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    rat_held = models.BooleanField(default=False)
    rat_date = models.DateField(null=True, blank=True)
    staff = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["cooperative_id", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "year"], name="dinas_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id} {self.year}"
