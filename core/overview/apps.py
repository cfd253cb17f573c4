from django.apps import AppConfig


class OverviewConfig(AppConfig):
    """Reads that cross the feature apps for staff: one view of a member and the search
    box in the top bar. No models: it only reads through the other apps."""

    name = "core.overview"
    label = "overview"
    default_auto_field = "django.db.models.BigAutoField"
