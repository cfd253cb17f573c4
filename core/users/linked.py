"""The schemas that hold the same people's logins.

A cooperative's practice copy ("Ruang latihan", the public layer's ``tenants.practice``)
holds copies of its staff logins — same username, password hash and authenticator — at
another address. They are one account to the person, and so they are to its defences:

- the login failure counters (django-axes' records, which ``core.users.throttle``'s caps
  read too) of both are kept in the real cooperative's schema (``login_counter_schema``,
  ``core.users.lockout``): wrong passwords and codes at the copy count towards the
  cooperative's lockout and caps and the other way round, so a stranger gets no more
  guesses at a staff password for having two addresses to try it at;
- a TOTP code accepted at one is spent at both (``core.users.otp.totp_match``).

Which schemas hold the same logins is the public layer's knowledge (core never imports
it): ``settings.LOGIN_SCHEMAS`` names a function ``(schema) -> [schema, ...]`` that
returns them, the real cooperative's first. Without it every schema stands alone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context


def login_schemas(schema: str | None = None) -> list[str]:
    """The schemas holding the logins of ``schema`` (default: the connection's), the
    real cooperative's first; ``[schema]`` for one that shares them with none."""
    schema = schema or connection.schema_name
    hook = getattr(settings, "LOGIN_SCHEMAS", "")
    if not hook or schema == settings.PUBLIC_SCHEMA_NAME:
        return [schema]
    schemas = list(import_string(hook)(schema))
    return schemas if schema in schemas else [schema]


def login_counter_schema() -> str:
    """The schema whose login failure counters the connection's schema counts in."""
    return login_schemas()[0]


@contextmanager
def in_login_counter_schema() -> Iterator[None]:
    """The block's queries run in ``login_counter_schema()`` (the connection comes back
    to its own schema, and tenant, after it)."""
    schema = login_counter_schema()
    if schema == connection.schema_name:
        yield
        return
    with schema_context(schema):
        yield
