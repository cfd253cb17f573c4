from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "core.onboarding"
    label = "onboarding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # here, not at the top: the services import the models, loadable only once the
        # app registry is ready
        from core.ledger.close_guards import register

        from .services import move_in_close_refusal

        # the ledger's month close and year close (below this app) refuse to close a
        # draft move-in's cut-over
        register(
            move_in_close_refusal,
            fix_url_name="onboarding:wizard",
            fix_label=_("Buka Pindah ke Lumbung (selesaikan atau batalkan)"),
        )
