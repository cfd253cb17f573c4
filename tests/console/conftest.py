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


def _scratch_cooperative(slug: str):
    """A cooperative as the migration runner sees one: its row, its domain and a schema
    cloned from the template (a spare taken when one is ready), without the seed data,
    first admin and trial subscription of ``cooperative_create`` (none of which a
    migration test reads: the bench makes its cooperatives the same way)."""
    from django.db import transaction

    from tenants.models import Cooperative, Domain
    from tenants.schema_template import schema_clone
    from tenants.services import schema_name_for, tenant_host

    with transaction.atomic():
        coop = Cooperative(
            slug=slug,
            name=f"KPRI {slug}",
            schema_name=schema_name_for(slug),
            email=f"admin@{slug}.test",
            status=Cooperative.Status.ACTIVE,
        )
        coop.auto_create_schema = False
        coop.save()
        schema_clone(target=coop.schema_name)
        connection.set_schema_to_public()
        Domain.objects.create(domain=tenant_host(slug), tenant=coop, is_primary=True)
    return coop


@pytest.fixture
def scratch(django_db_setup, django_db_blocker):
    """``make(n)``: n cooperatives whose writes commit (migrations commit), dropped after
    (their schemas in one statement)."""
    from tenants.models import Cooperative, Domain

    made = []

    def make(n: int) -> list[str]:
        for _ in range(n):
            made.append(_scratch_cooperative(f"fast-{uuid.uuid4().hex[:8]}"))
            connection.set_schema_to_public()
        return [c.schema_name for c in made[-n:]]

    with django_db_blocker.unblock():
        try:
            yield make
        finally:
            connection.set_schema_to_public()
            if made:
                with connection.cursor() as cur:
                    cur.execute(
                        "DROP SCHEMA IF EXISTS "
                        + ", ".join(f'"{c.schema_name}"' for c in made)
                        + " CASCADE"
                    )
                pks = [c.pk for c in made]
                Domain.objects.filter(tenant_id__in=pks).delete()
                Cooperative.objects.filter(pk__in=pks).delete()
