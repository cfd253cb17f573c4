"""An address a sign-up holds (verified and waiting for its provisioning, or not yet
verified within the link's life) or one served as another cooperative's domain is not
given to a cooperative made another way: ``create_cooperative`` (an operator) and
``cooperative_restore`` refuse it before doing anything, and the sign-up's own
provisioning still goes through."""

import gzip
import json
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.common.errors import ApplicationError
from tenants.backup import MAGIC, cooperative_restore
from tenants.models import Cooperative, Domain, SignupRequest
from tenants.services import tenant_host
from tenants.signup import signup_provision

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def _signup(slug: str, status: str, *, sent_ago: timedelta = timedelta(0)) -> SignupRequest:
    now = timezone.now()
    return SignupRequest.objects.create(
        public_id=f"p-{slug}-{status}",
        slug=slug,
        name=f"KPRI {slug}",
        legal_number="1/BH/2020",
        legal_date="2020-01-01",
        province="Kalimantan Tengah",
        regency="Kota Palangka Raya",
        member_count=10,
        contact_name="Dewi",
        email=f"dewi@{slug}.test",
        phone="+6281234567890",
        password_hash=make_password("Koperasi-Maju-2026"),
        terms_accepted_at=now,
        status=status,
        verification_sent_at=now - sent_ago,
        verified_at=None if status == SignupRequest.Status.PENDING else now,
    )


def _create(slug: str) -> None:
    call_command(
        "create_cooperative",
        "--slug",
        slug,
        "--name",
        "KPRI Operator",
        "--admin-email",
        "op@kpri.test",
        "--admin-password",
        "Sandi-rahasia-9",
    )


@pytest.mark.parametrize("status", [SignupRequest.Status.QUEUED, SignupRequest.Status.PENDING])
def test_create_cooperative_refuses_an_address_a_signup_holds(db, status):
    _signup("kpri-antre", status)
    with pytest.raises(CommandError, match="slug_taken"):
        _create("kpri-antre")
    assert not Cooperative.objects.filter(slug="kpri-antre").exists()


def test_a_lapsed_unverified_signup_holds_nothing(db, settings):
    _signup("kpri-lewat", SignupRequest.Status.PENDING, sent_ago=timedelta(days=1))
    _create("kpri-lewat")
    assert Cooperative.objects.filter(slug="kpri-lewat").exists()


def test_the_holding_signup_is_still_provisioned(db):
    signup = _signup("kpri-milik", SignupRequest.Status.QUEUED)
    assert signup_provision(signup_id=signup.pk).status == SignupRequest.Status.READY
    assert Cooperative.objects.get(slug="kpri-milik").signups.get() == signup


def _backup_file(tmp_path) -> str:
    meta = {"format": 1, "schema": "coop_asal", "counts": {}, "migrations": []}
    path = tmp_path / "b.sql.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write(MAGIC + json.dumps(meta) + "\n")
    return str(path)


def test_restore_refuses_an_address_served_as_a_domain(db, tenant_a, tmp_path):
    Domain.objects.create(domain=tenant_host("kpri-lama"), tenant=tenant_a, is_primary=False)
    with pytest.raises(ApplicationError) as refused:
        cooperative_restore(path=_backup_file(tmp_path), slug="kpri-lama")
    assert refused.value.code == "slug_taken"
    assert not Cooperative.objects.filter(slug="kpri-lama").exists()


def test_restore_refuses_an_address_a_signup_holds(db, tmp_path):
    _signup("kpri-tunggu", SignupRequest.Status.QUEUED)
    with pytest.raises(ApplicationError) as refused:
        cooperative_restore(path=_backup_file(tmp_path), slug="kpri-tunggu")
    assert refused.value.code == "slug_taken"
