import logging

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from .schema_template import (
    TEMPLATE_SCHEMA,
    applied_migrations,
    expected_migrations,
    template_state,
)

log = logging.getLogger(__name__)


def _public_migrations_pending() -> bool:
    """True while the public schema has migrations on disk to apply (or none applied yet):
    the `migrate_schemas` about to run rebuilds the template right after them."""
    try:
        applied = applied_migrations(settings.PUBLIC_SCHEMA_NAME)
    except DatabaseError:
        return True  # an empty database: not even django_migrations yet
    return bool(expected_migrations() - applied)


def template_schema_check(app_configs=None, databases=None, **kwargs):
    """`manage.py check --database default`: warn when the template schema that new
    cooperatives are cloned from is missing or behind the migrations.

    Not while migrations of the public schema are still to be applied (a first install,
    an upgrade): `migrate_schemas` rebuilds the template by itself right after them
    (``TENANT_TEMPLATE_AUTO_REFRESH``), so it says so in one line instead of warning."""
    if not databases or "default" not in databases:
        return []

    try:
        state = template_state()
    except DatabaseError:
        state = None  # tables not there yet (before the first migrate)
    if state is not None and state.current:
        return []
    what = (
        "missing"
        if state is None or not state.exists
        else f"behind by {len(state.missing)} migrations"
        if state.missing
        else "out of date"
    )
    auto = getattr(settings, "TENANT_TEMPLATE_AUTO_REFRESH", True)
    if auto and _public_migrations_pending():
        log.info(
            "Template schema %s is %s: it is built automatically once these migrations "
            "are applied.",
            TEMPLATE_SCHEMA,
            what,
        )
        return []
    if state is None:
        return []  # an older database being migrated by hand: nothing to say yet
    return [
        checks.Warning(
            f"Template schema {TEMPLATE_SCHEMA} is {what}; sign-ups cannot be provisioned.",
            hint="Run: python manage.py template_schema_refresh",
            id="tenants.W001",
        )
    ]
