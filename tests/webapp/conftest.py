import uuid

import pytest
from django.test import Client

from core.users.models import User

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


@pytest.fixture
def role_users(in_tenant_a) -> dict[str, User]:
    return {role: make_user(role) for role in ROLES}


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
