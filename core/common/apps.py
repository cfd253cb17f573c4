from django.apps import AppConfig
from django.db.models import Field

from .queries import AnyOf


class CommonConfig(AppConfig):
    name = "core.common"
    label = "common"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        Field.register_lookup(AnyOf)  # field__any_of=[...]: one array parameter
