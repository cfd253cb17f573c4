"""Practice-copy fixtures shared by the tenants tests."""

import pytest
from django.db import connection

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
def practice_pair(practice_template, django_db_blocker):
    """``(cooperative pk, practice copy pk)``: a cooperative of its own (first admin
    ``PAIR_ADMIN``) and its practice copy, made once per module that asks and committed;
    both schemas are dropped at the end. Each test still runs in a transaction that is
    rolled back (``db``), so what a test does to either is undone. Opening a copy of
    cooperative A per test cloned the practice template each time."""
    import uuid

    from tenants.practice import practice_open
    from tenants.services import cooperative_create, cooperative_discard
    from tests.conftest import ADMIN_PASSWORD

    with django_db_blocker.unblock():
        slug = f"prak-{uuid.uuid4().hex[:8]}"
        made = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=PAIR_ADMIN,
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        )
        practice = None
        try:
            practice = practice_open(cooperative=made.cooperative, by="tests")
            connection.set_schema_to_public()
            yield made.cooperative.pk, practice.pk
        finally:
            connection.set_schema_to_public()
            if practice is not None:
                cooperative_discard(cooperative=practice)
            cooperative_discard(cooperative=made.cooperative)


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
