from django.apps import AppConfig


class SavingsConfig(AppConfig):
    name = "core.savings"
    label = "savings"
    default_auto_field = "django.db.models.BigAutoField"
