"""Practice-copy fixtures shared by the tenants tests."""

import pytest
from django.db import connection


@pytest.fixture(scope="session")
def practice_template(django_db_setup, django_db_blocker):
    """The practice template (demo data), built once per session and committed."""
    from tenants.practice import practice_template_refresh

    with django_db_blocker.unblock():
        practice_template_refresh()
        connection.set_schema_to_public()


@pytest.fixture
def practice_a(practice_template, tenant_a):
    from tenants.practice import practice_open

    practice = practice_open(cooperative=tenant_a, by="tests")
    connection.set_schema_to_public()
    return practice
