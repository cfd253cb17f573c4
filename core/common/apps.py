from django.apps import AppConfig
from django.db.models import Field

from .queries import AnyOf
from .text import install as control_characters_refused


class CommonConfig(AppConfig):
    name = "core.common"
    label = "common"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        Field.register_lookup(AnyOf)  # field__any_of=[...]: one array parameter
        control_characters_refused()  # in every form and serializer text field (text.py)
