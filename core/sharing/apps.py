from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    """Tenant side of the Dinas view: the cooperative's consent to share its indicators
    with its Dinas Koperasi, and the selectors that compute those indicators."""

    name = "core.sharing"
    label = "sharing"
    verbose_name = _("Berbagi data dengan Dinas")
