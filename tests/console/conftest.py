"""Console fixtures: operators of each role (public-schema users with a confirmed TOTP
device), test clients on the apex host whose session passed the 2FA step, and scratch
cooperatives with extra members migrations for the migration runner's tests."""

import shutil
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

OPERATOR_PASSWORD = "Operator-Rahasia-9!"
ADMIN_PASSWORD = "Rahasia-123!"
MEMBERS_MIGRATIONS = Path(__file__).resolve().parents[2] / "core" / "members" / "migrations"


def make_operator(role: str, username: str | None = None, *, device: bool = True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from core.users.models import User

    connection.set_schema_to_public()
    user = User.objects.create_user(
        username=username or f"{role or 'plain'}@ops.lumbung.test",
        email=username or f"{role or 'plain'}@ops.lumbung.test",
        password=OPERATOR_PASSWORD,
        operator_role=role,
        full_name=f"Operator {role}",
    )
    if device:
        TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return user


def totp_now(user) -> str:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).order_by("-pk").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def verified_client(user) -> Client:
    """A client on the apex logged in as ``user`` with its TOTP device verified."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    connection.set_schema_to_public()
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def operators(db):
    return {role: make_operator(role) for role in ("support", "billing", "admin")}


@pytest.fixture
def op_clients(operators):
    return {role: verified_client(user) for role, user in operators.items()}


# --- migrations: scratch cooperatives and extra members migrations


def _leaf() -> str:
    return sorted(p.stem for p in MEMBERS_MIGRATIONS.glob("0*.py"))[-1]


@pytest.fixture
def extra_migrations(tmp_path, settings):
    """``add(files)``: the members migrations plus ``files`` ({name: source}) become the
    members app's migrations for the rest of the test."""
    made: list[str] = []

    def add(files: dict[str, str]) -> None:
        name = f"fast_members_migrations_{uuid.uuid4().hex[:8]}"
        pkg = tmp_path / name
        if made:
            shutil.copytree(tmp_path / made[-1], pkg)
        else:
            pkg.mkdir()
            for src in MEMBERS_MIGRATIONS.glob("*.py"):
                (pkg / src.name).write_text(src.read_text())
        for stem, text in files.items():
            (pkg / f"{stem}.py").write_text(text.format(leaf=_leaf()))
        made.append(name)
        settings.MIGRATION_MODULES = {"members": name}

    sys.path.insert(0, str(tmp_path))
    try:
        yield add
    finally:
        sys.path.remove(str(tmp_path))
        for mod in [m for m in sys.modules if m.startswith("fast_members_migrations_")]:
            del sys.modules[mod]


@pytest.fixture
def scratch(django_db_setup, django_db_blocker):
    """``make(n)``: n cooperatives whose writes commit (migrations commit), dropped after."""
    from tenants.services import cooperative_create, cooperative_discard

    made = []

    def make(n: int) -> list[str]:
        for _ in range(n):
            slug = f"fast-{uuid.uuid4().hex[:8]}"
            made.append(
                cooperative_create(
                    slug=slug,
                    name=f"KPRI {slug}",
                    admin_email=f"admin@{slug}.test",
                    admin_password=ADMIN_PASSWORD,
                    actor="tests",
                ).cooperative
            )
            connection.set_schema_to_public()
        return [c.schema_name for c in made[-n:]]

    with django_db_blocker.unblock():
        try:
            yield make
        finally:
            connection.set_schema_to_public()
            for coop in made:
                cooperative_discard(cooperative=coop)
