"""The sign-up's e-mail becomes the first admin's username (150 characters): a longer
address is refused by the form with a message, and by signup_submit itself, instead of a
verified sign-up whose cooperative can never be provisioned."""

import uuid
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from core.common.errors import ApplicationError
from tenants.models import SignupRequest
from tenants.signup import SignupData, signup_submit
from tests.tenants.signup_helpers import PASSWORD, signup_form

pytestmark = pytest.mark.django_db

LONG = "a" * 64 + "@" + "b" * 60 + "." + "c" * 40 + ".go.id"  # 172 characters, valid


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def _form(email: str) -> dict:
    return signup_form(contact_name="Dewi", email=email)


def test_signup_form_refuses_a_too_long_email(django_capture_on_commit_callbacks):
    n = uuid.uuid4().int
    client = Client(HTTP_HOST=django_settings.BASE_DOMAIN, REMOTE_ADDR=f"10.9.{n % 250}.7")
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post("/daftar/", _form(LONG))
    assert r.status_code == 200
    assert "Alamat e-mail paling panjang 150 karakter (sekarang 172)." in r.content.decode()
    assert SignupRequest.objects.count() == 0
    assert mail.outbox == []


def test_signup_submit_refuses_a_too_long_email():
    data = SignupData(
        slug="harapan",
        name="KPRI Harapan Bersama",
        kind="kpri",
        legal_number="123/BH/XVIII.4/2020",
        legal_date=date(2020, 3, 17),
        nik_koperasi="",
        province="Kalimantan Tengah",
        regency="Kota Palangka Raya",
        member_count=350,
        contact_name="Dewi",
        email=LONG,
        phone="+6281234567890",
        password=PASSWORD,
    )
    with pytest.raises(ApplicationError) as exc:
        signup_submit(data=data)
    assert exc.value.fields == {"email": ["Alamat e-mail paling panjang 150 karakter."]}
    assert SignupRequest.objects.count() == 0
