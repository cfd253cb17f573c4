from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DinasConfig(AppConfig):
    """The Dinas Koperasi's view on the apex host (public schema): pembina users scoped
    to a province or regency, the indicators that consenting cooperatives share, and
    the ministry's yearly export."""

    name = "lumbung.dinas"
    label = "dinas"
    verbose_name = _("Dinas Koperasi")

    def ready(self) -> None:
        from core.sharing.signals import consent_changed

        from .tasks import consent_changed_refresh

        consent_changed.connect(consent_changed_refresh, dispatch_uid="dinas-consent-refresh")
