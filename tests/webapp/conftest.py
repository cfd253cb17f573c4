import uuid

import pytest
from django.db import connection
from django.test import Client

from core.users.models import User
from tests.module_coop import module_cooperative

ROLES = [r.value for r in User.Role]


def make_user(role: str, *, email: str | None = None, password: str | None = None, **extra) -> User:
    """A login of that role in the current schema. Without a password none is hashed
    (fast); pass one to log in through the form."""
    email = email or f"{role}@webapp.test"
    user = User(username=email, email=email, full_name=f"{role.title()} Uji", role=role, **extra)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.is_staff = role != User.Role.ANGGOTA
    user.save()
    return user


@pytest.fixture(autouse=True)
def _own_cache_keys(settings):
    """Rate-limit counters (password reset) live in Redis, outside the rolled-back
    transaction: give each test its own key prefix so runs don't add up."""
    caches = {name: dict(conf) for name, conf in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


class _UsersMadeOnFirstUse(dict):
    """``users[role]``: that role's login, made the first time a test asks for it (most
    role tests use one or two of the six roles; making all six per test was most of
    their set-up)."""

    def __missing__(self, role: str) -> User:
        if role not in ROLES:
            raise KeyError(role)
        user = self[role] = make_user(role)
        return user


@pytest.fixture
def role_users(in_tenant_a) -> dict[str, User]:
    return _UsersMadeOnFirstUse()


@pytest.fixture
def role_client(tenant_a, role_users):
    """``role_client(role)`` → a test client on cooperative A logged in with that role
    (``None`` → anonymous)."""
    from tenants.services import tenant_host

    def make(role: str | None) -> Client:
        c = Client(HTTP_HOST=tenant_host(tenant_a.slug))
        if role:
            c.force_login(role_users[role])
        return c

    return make


@pytest.fixture(scope="module")
def committed_role_logins(django_db_setup, django_db_blocker, tmp_path_factory):
    """A cooperative of the module's own (``tests.module_coop``: cloned from the template
    as ``tenant_a`` is), committed once: a login of each role with a live session. The
    role tests send thousands of requests; logging each one in per test was much of their
    cost. Each test still runs in its own transaction (``committed_role_client``), so
    whatever a request writes (a session ended, a password changed) is rolled back. Unique
    per xdist worker, dropped at the end."""
    from django.conf import settings as django_settings

    from tenants.services import tenant_host

    def build():
        host = tenant_host(connection.tenant.slug)
        sessions = {}
        for role in ROLES:
            c = Client(HTTP_HOST=host)
            c.force_login(make_user(role))
            sessions[role] = c.cookies[django_settings.SESSION_COOKIE_NAME].value
        return host, sessions

    with module_cooperative(django_db_blocker, tmp_path_factory, "roles", build) as (coop, made):
        host, sessions = made
        yield coop, host, sessions


@pytest.fixture
def committed_role_client(db, committed_role_logins):
    """``role_client`` on the module's own cooperative: ``committed_role_client(role)`` →
    a new test client carrying that role's committed session (``None`` → anonymous)."""
    from django.conf import settings as django_settings

    coop, host, sessions = committed_role_logins
    connection.set_tenant(coop)

    def make(role: str | None) -> Client:
        c = Client(HTTP_HOST=host)
        if role:
            c.cookies[django_settings.SESSION_COOKIE_NAME] = sessions[role]
        return c

    yield make
    connection.set_schema_to_public()
