"""Console fixtures: operators of each role (public-schema users with a confirmed TOTP
device) and test clients on the apex host whose session passed the 2FA step."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

OPERATOR_PASSWORD = "Operator-Rahasia-9!"


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
