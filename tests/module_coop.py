"""Data a test module (or class) builds once for tests that start from the same books
(building them per test was most of their time), in one of two ways.

``module_cooperative(django_db_blocker, tmp_path_factory, "books", build)`` creates the
cooperative (a clone of the template schema, named uniquely per xdist worker; its first
admin ``admin@<slug>.test`` unless ``admin_email=``), runs
``build()`` inside it with the writes committed and uploads stored under a temporary
``MEDIA_ROOT``, and yields ``(cooperative, what build returned)``; the schema, its domain
and its row are dropped when the module is done. Each test then enters the schema with
``entered(cooperative)`` under ``db``: its own writes (a login's session) are rolled back
as usual, the module's data stays.

``module_uncommitted(django_db_blocker, tmp_path_factory, build)`` runs ``build()`` in a
cooperative of the session (A unless ``slug=``) inside a transaction held open for the
module and rolled back at its end, uploads under a temporary ``MEDIA_ROOT``, and yields
what it returned: nothing is committed, so no other module or worker sees it, and no
cooperative is made. Each test's own transaction (``db``) is a savepoint inside it,
rolled back after the test, so every test starts from what ``build()`` made. Once a test
of a module asked for it, the rest of the module runs inside that transaction: keep tests
that commit for real (``scratch_tenant``, threads) in modules without it.
``uncommitted_add(django_db_blocker, build)`` runs a further ``build()`` in it (a later
module-scoped fixture's data)."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.test import Client, override_settings

from tests.conftest import ADMIN_PASSWORD, TENANTS


@contextmanager
def module_cooperative(
    django_db_blocker,
    tmp_path_factory,
    prefix: str,
    build: Callable[[], Any],
    *,
    admin_email: str | None = None,
) -> Iterator[tuple[Any, Any]]:
    from tenants.services import cooperative_create, cooperative_discard

    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    media = tmp_path_factory.mktemp(f"{prefix}-media")
    with django_db_blocker.unblock():
        made = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=admin_email or f"admin@{slug}.test",
            admin_password=ADMIN_PASSWORD,
            actor="tests",
        )
    coop = made.cooperative
    try:
        with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
            connection.set_tenant(coop)
            try:
                data = build()
            finally:
                connection.set_schema_to_public()
        yield coop, data
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            cooperative_discard(cooperative=coop)


@contextmanager
def module_uncommitted(
    django_db_blocker, tmp_path_factory, build: Callable[[], Any], *, slug: str = TENANTS["a"]
) -> Iterator[Any]:
    media = override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("uncommitted-media"))
    with django_db_blocker.unblock():
        media.enable()
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield uncommitted_add(django_db_blocker, build, slug=slug)
    finally:
        with django_db_blocker.unblock():
            connection.set_schema_to_public()
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            media.disable()


def uncommitted_add(
    django_db_blocker, build: Callable[[], Any], *, slug: str = TENANTS["a"]
) -> Any:
    from tenants.models import Cooperative

    with django_db_blocker.unblock():
        connection.set_tenant(Cooperative.objects.get(slug=slug))
        try:
            return build()
        finally:
            connection.set_schema_to_public()


@contextmanager
def entered(coop) -> Iterator[Any]:
    connection.set_tenant(coop)
    try:
        yield coop
    finally:
        connection.set_schema_to_public()


def client_for(coop) -> Client:
    from tenants.services import tenant_host

    return Client(HTTP_HOST=tenant_host(coop.slug))
