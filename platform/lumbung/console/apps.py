from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    """The operator console on the apex host (public schema)."""

    name = "lumbung.console"
    label = "console"
    verbose_name = _("Konsol operator")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (Celery signal handlers: job runs and failures)
