"""Console tables (public schema): per-tenant usage snapshots for the tenants list,
support sessions, bulk migration runs, scheduled-job runs and task failures."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TenantStats(models.Model):
    """The latest usage figures of one cooperative, refreshed by a periodic task
    (``console.stats.stats_refresh``) so the tenants list is one indexed query."""

    cooperative = models.OneToOneField(
        "tenants.Cooperative", on_delete=models.CASCADE, related_name="console_stats"
    )
    members = models.PositiveIntegerField(_("anggota"), default=0, db_index=True)
    active_members = models.PositiveIntegerField(_("anggota aktif"), default=0)
    staff_users = models.PositiveIntegerField(_("pengguna staf"), default=0)
    last_staff_activity = models.DateTimeField(
        _("aktivitas staf terakhir"), null=True, blank=True, db_index=True
    )
    db_size_bytes = models.BigIntegerField(_("ukuran basis data"), default=0, db_index=True)
    mrr = models.DecimalField(
        _("MRR (Rp)"), max_digits=14, decimal_places=0, default=0, db_index=True
    )
    migrations_pending = models.PositiveIntegerField(_("migrasi tertunda"), default=0)
    refreshed_at = models.DateTimeField(_("diperbarui"), null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("statistik koperasi")
        verbose_name_plural = _("statistik koperasi")
        constraints = [
            models.CheckConstraint(condition=Q(mrr__gte=0), name="console_stats_mrr_not_negative"),
            models.CheckConstraint(
                condition=Q(db_size_bytes__gte=0), name="console_stats_size_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id}"


class TenantUsageDaily(models.Model):
    """One row per cooperative per day: the usage history on the tenant page."""

    cooperative = models.ForeignKey(
        "tenants.Cooperative", on_delete=models.CASCADE, related_name="console_usage"
    )
    day = models.DateField()
    members = models.PositiveIntegerField(default=0)
    active_members = models.PositiveIntegerField(default=0)
    db_size_bytes = models.BigIntegerField(default=0)
    mrr = models.DecimalField(max_digits=14, decimal_places=0, default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["cooperative", "day"], name="console_usage_one_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.cooperative_id} {self.day}"


class SupportSession(models.Model):
    """An operator's read-only look inside a cooperative: reason, expiry, and when the
    one-time link was used. The cooperative's own audit log records it too."""

    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="support_sessions"
    )
    operator_label = models.CharField(max_length=300)
    cooperative = models.ForeignKey(
        "tenants.Cooperative", on_delete=models.CASCADE, related_name="support_sessions"
    )
    reason = models.TextField(_("alasan"))
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("berakhir"))
    entered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sesi dukungan")
        verbose_name_plural = _("sesi dukungan")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="console_support_reason_required"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="console_support_expires_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operator_label} → {self.cooperative_id}"


class MigrationRun(models.Model):
    """One bulk migration of every tenant schema (command or console action)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Dalam antrean")
        RUNNING = "running", _("Berjalan")
        DONE = "done", _("Selesai")
        FAILED = "failed", _("Selesai dengan kegagalan")

    started_by = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    failures = models.JSONField(default=dict, blank=True)  # schema -> error
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"migration run {self.pk} ({self.status})"


class JobRun(models.Model):
    """The last run of each Celery task in each schema, recorded by signal handlers
    (``console.jobs``): the health page's "last successful run per tenant"."""

    task = models.CharField(max_length=200)
    schema_name = models.CharField(max_length=63)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["task", "schema_name"]
        constraints = [
            models.UniqueConstraint(fields=["task", "schema_name"], name="console_jobrun_unique")
        ]

    def __str__(self) -> str:
        return f"{self.task}@{self.schema_name}"


class TaskFailure(models.Model):
    """A failed Celery task (kept for the health page)."""

    task = models.CharField(max_length=200)
    task_id = models.CharField(max_length=100, blank=True)
    schema_name = models.CharField(max_length=63, blank=True)
    error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task} {self.created_at:%Y-%m-%d %H:%M}"
