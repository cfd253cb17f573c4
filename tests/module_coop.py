"""A cooperative of its own whose data a test module builds once and commits, for modules
whose tests only read the same books (building them per test was most of their time).

``module_cooperative(django_db_blocker, tmp_path_factory, "books", build)`` creates the
cooperative (a clone of the template schema, named uniquely per xdist worker), runs
``build()`` inside it with the writes committed and uploads stored under a temporary
``MEDIA_ROOT``, and yields ``(cooperative, what build returned)``; the schema, its domain
and its row are dropped when the module is done. Each test then enters the schema with
``entered(cooperative)`` under ``db``: its own writes (a login's session) are rolled back
as usual, the module's data stays."""

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.test import Client, override_settings

ADMIN_PASSWORD = "Rahasia-123!"


@contextmanager
def module_cooperative(
    django_db_blocker, tmp_path_factory, prefix: str, build: Callable[[], Any]
) -> Iterator[tuple[Any, Any]]:
    from tenants.services import cooperative_create, cooperative_discard

    slug = f"{prefix}-{uuid.uuid4().hex[:8]}"
    media = tmp_path_factory.mktemp(f"{prefix}-media")
    with django_db_blocker.unblock():
        made = cooperative_create(
            slug=slug,
            name=f"KPRI {slug}",
            admin_email=f"admin@{slug}.test",
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
def entered(coop) -> Iterator[Any]:
    connection.set_tenant(coop)
    try:
        yield coop
    finally:
        connection.set_schema_to_public()


def client_for(coop) -> Client:
    from tenants.services import tenant_host

    return Client(HTTP_HOST=tenant_host(coop.slug))
