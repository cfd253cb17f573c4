"""Dinas fixtures: cooperative A (alpha) in Kabupaten Kapuas and B (beta) in Kabupaten
Kotawaringin Barat, both in Kalimantan Tengah; pembina scoped to the province, to
Kapuas, and to another province; clients on the apex whose session passed TOTP."""

import pytest
from django.db import connection

from tests.console.conftest import make_operator, totp_now, verified_client  # noqa: F401

PROVINCE = "Kalimantan Tengah"
KAPUAS = "Kabupaten Kapuas"
KOBAR = "Kabupaten Kotawaringin Barat"


@pytest.fixture
def placed(tenant_a, tenant_b):
    """Put A in Kapuas and B in Kotawaringin Barat (rolled back after the test)."""
    connection.set_schema_to_public()
    for coop, regency in ((tenant_a, KAPUAS), (tenant_b, KOBAR)):
        coop.province = PROVINCE
        coop.regency = regency
        coop.save(update_fields=["province", "regency"])
    return tenant_a, tenant_b


def consent(coop, share: bool = True, by="tests"):
    from core.sharing.services import dinas_consent_set

    connection.set_tenant(coop)
    try:
        return dinas_consent_set(share=share, by=by)
    finally:
        connection.set_schema_to_public()


def refresh(*coops):
    from lumbung.dinas.refresh import indicators_refresh_one

    for coop in coops:
        indicators_refresh_one(cooperative_id=coop.pk)
    connection.set_schema_to_public()


def make_pembina(email: str, *, province: str = PROVINCE, regency: str = "", device=True):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from lumbung.dinas.services import pembina_create

    connection.set_schema_to_public()
    pembina, _password = pembina_create(email=email, province=province, regency=regency, by="tests")
    if device:
        TOTPDevice.objects.create(user=pembina.user, name="Authenticator", confirmed=True)
    return pembina


@pytest.fixture
def pembina_prov(db):
    return make_pembina("prov@dinas.test")


@pytest.fixture
def pembina_kapuas(db):
    return make_pembina("kapuas@dinas.test", regency=KAPUAS)


@pytest.fixture
def pembina_other(db):
    return make_pembina("kalsel@dinas.test", province="Kalimantan Selatan")


@pytest.fixture
def shared_both(placed):
    a, b = placed
    consent(a)
    consent(b)
    refresh(a, b)
    return a, b
