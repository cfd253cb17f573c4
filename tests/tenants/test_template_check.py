"""tenants.W001 (template schema missing or behind) warns only when nobody is about to fix
it: while migrations of the public schema are pending, `migrate_schemas` rebuilds the
template right after them, so a first install or an upgrade says that in one line instead
of printing an alarming warning."""

import logging

from django.db import connection

from tenants.checks import template_schema_check
from tenants.schema_template import TEMPLATE_SCHEMA


def _stale_template():
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {TEMPLATE_SCHEMA}.django_migrations WHERE id = "
            f"(SELECT max(id) FROM {TEMPLATE_SCHEMA}.django_migrations)"
        )


def test_no_warning_when_the_template_is_current(db):
    assert template_schema_check(databases=["default"]) == []


def test_warns_when_the_template_is_behind_and_nothing_is_pending(db):
    _stale_template()
    issues = template_schema_check(databases=["default"])
    assert [i.id for i in issues] == ["tenants.W001"]
    assert "behind by 1 migrations" in issues[0].msg
    assert "template_schema_refresh" in issues[0].hint


def test_says_what_happens_instead_while_public_migrations_are_pending(db, caplog):
    _stale_template()
    with connection.cursor() as cur:  # an upgrade: one migration not yet applied to public
        cur.execute(
            "DELETE FROM public.django_migrations WHERE id = "
            "(SELECT max(id) FROM public.django_migrations)"
        )
    with caplog.at_level(logging.INFO, logger="tenants.checks"):
        assert template_schema_check(databases=["default"]) == []
    assert any("built automatically" in r.getMessage() for r in caplog.records)


def test_only_with_the_database_checks(db):
    _stale_template()
    assert template_schema_check(databases=None) == []
