from django.apps import AppConfig


class DeductionsConfig(AppConfig):
    name = "core.deductions"
    label = "deductions"
    default_auto_field = "django.db.models.BigAutoField"
