"""Practice-copy fixtures shared by the tenants tests."""

import pytest
from django.db import connection

from tests.module_coop import module_cooperative

PAIR_ADMIN = "admin@latihan.test"  # the first admin of ``practice_pair``'s cooperative


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


@pytest.fixture(scope="module")
def practice_pair(practice_template, django_db_blocker, tmp_path_factory):
    """``(cooperative pk, practice copy pk)``: a cooperative of its own (first admin
    ``PAIR_ADMIN``, ``tests.module_coop.module_cooperative``) and its practice copy, made
    once per module that asks and committed; both schemas are dropped at the end. Each
    test still runs in a transaction that is rolled back (``db``), so what a test does to
    either is undone. Opening a copy of cooperative A per test cloned the practice
    template each time."""
    from tenants.practice import practice_open
    from tenants.services import cooperative_discard

    with module_cooperative(
        django_db_blocker, tmp_path_factory, "prak", lambda: None, admin_email=PAIR_ADMIN
    ) as (coop, _):
        with django_db_blocker.unblock():
            practice = practice_open(cooperative=coop, by="tests")
            connection.set_schema_to_public()
        try:
            yield coop.pk, practice.pk
        finally:
            with django_db_blocker.unblock():
                connection.set_schema_to_public()
                cooperative_discard(cooperative=practice)


@pytest.fixture
def pair_coop(db, practice_pair):
    """``practice_pair``'s cooperative, as this test sees it."""
    from tenants.models import Cooperative

    return Cooperative.objects.get(pk=practice_pair[0])


@pytest.fixture
def pair_practice(pair_coop, practice_pair):
    """``practice_pair``'s practice copy, as this test sees it."""
    from tenants.models import Cooperative

    return Cooperative.objects.get(pk=practice_pair[1])
