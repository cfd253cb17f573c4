from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The operator console on the apex host (public schema)."""

    name = "lumbung.console"
    label = "console"
    verbose_name = _("Konsol operator")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from billing.models import Invoice, Subscription
        from tenants.models import Cooperative

        from . import jobs  # Celery signal handlers: job runs and failures
        from .stats import mrr_follow_saved

        post_delete.connect(jobs.job_runs_forget, sender=Cooperative, dispatch_uid="console.jr")
        # The stored MRR follows every billing write that can change it (stats_mrr_follow).
        post_save.connect(mrr_follow_saved, sender=Subscription, dispatch_uid="console.mrr.s")
        post_save.connect(mrr_follow_saved, sender=Invoice, dispatch_uid="console.mrr.i")
