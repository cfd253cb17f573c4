from django.core import checks
from django.db import DatabaseError


def template_schema_check(app_configs=None, databases=None, **kwargs):
    """`manage.py check --database default`: warn when the template schema that new
    cooperatives are cloned from is missing or behind the migrations."""
    if not databases or "default" not in databases:
        return []
    from .schema_template import TEMPLATE_SCHEMA, template_state

    try:
        state = template_state()
    except DatabaseError:
        return []  # tables not there yet (before the first migrate)
    if state.current:
        return []
    what = "missing" if not state.exists else f"behind by {len(state.missing)} migrations"
    return [
        checks.Warning(
            f"Template schema {TEMPLATE_SCHEMA} is {what}; sign-ups cannot be provisioned.",
            hint="Run: python manage.py template_schema_refresh",
            id="tenants.W001",
        )
    ]
