from django.apps import AppConfig


class ExitsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "core.exits"
    label = "exits"
    verbose_name = "Penyelesaian keluar"
