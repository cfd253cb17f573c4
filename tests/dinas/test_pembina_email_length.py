"""A pembina's e-mail becomes the login's username (150 characters): a longer address is
refused with a message by the console form and by pembina_create, never a 500."""

import pytest

from core.common.errors import ApplicationError
from lumbung.dinas.models import Pembina
from lumbung.dinas.services import pembina_create
from tests.console.conftest import make_operator, verified_client
from tests.dinas.conftest import PROVINCE

pytestmark = pytest.mark.django_db

LONG = "a" * 64 + "@" + "b" * 60 + "." + "c" * 40 + ".go.id"  # 172 characters, valid
AT_LIMIT = "a" * 64 + "@" + "b" * 60 + "." + "c" * 18 + ".go.id"  # 150


def test_console_form_refuses_a_too_long_email_with_a_message():
    assert len(LONG) == 172
    op = verified_client(make_operator("admin", "admin-pl1@ops.lumbung.test"))
    op.raise_request_exception = False
    r = op.post("/konsol/pembina/baru/", {"email": LONG, "name": "Petugas", "province": PROVINCE})
    assert r.status_code == 200, r.status_code
    assert r.context["form"].errors["email"] == [
        "Alamat e-mail paling panjang 150 karakter (sekarang 172)."
    ]
    assert not Pembina.objects.exists()


def test_an_email_of_150_characters_is_accepted():
    assert len(AT_LIMIT) == 150
    op = verified_client(make_operator("admin", "admin-pl2@ops.lumbung.test"))
    r = op.post("/konsol/pembina/baru/", {"email": AT_LIMIT, "province": PROVINCE})
    assert r.status_code == 200 and b'id="pembina-password"' in r.content
    assert Pembina.objects.filter(user__username=AT_LIMIT).exists()


def test_the_service_refuses_a_too_long_email():
    with pytest.raises(ApplicationError) as exc:
        pembina_create(email=LONG, province=PROVINCE, by="tests")
    assert exc.value.fields == {"email": ["Alamat e-mail paling panjang 150 karakter."]}
    assert not Pembina.objects.exists()
