from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The operator console on the apex host (public schema)."""

    name = "lumbung.console"
    label = "console"
    verbose_name = _("Konsol operator")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from tenants.models import Cooperative

        from . import jobs  # Celery signal handlers: job runs and failures

        post_delete.connect(jobs.job_runs_forget, sender=Cooperative, dispatch_uid="console.jr")
