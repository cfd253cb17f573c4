"""A NIK koperasi is one cooperative's, as its legal number is: a sign-up giving the
NIK of a cooperative already in Lumbung is refused on that field, typed with or
without separators, nothing recorded."""

import re
import uuid

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client

from core.common.errors import ApplicationError
from tenants.models import Cooperative, SignupRequest
from tenants.signup import signup_submit
from tests.tenants.test_signup_identity import _data, _form

pytestmark = pytest.mark.django_db

TAKEN = (
    "NIK koperasi ini sudah terdaftar di Lumbung untuk koperasi lain. Jika itu koperasi "
    "Anda, masuk di alamat Lumbung-nya atau hubungi dukungan Lumbung."
)


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def _post(capture, **over):
    n = uuid.uuid4().int
    client = Client(
        HTTP_HOST=django_settings.BASE_DOMAIN,
        REMOTE_ADDR=f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}",
    )
    with capture(execute=True):
        return client.post("/daftar/", _form(**over))


def _nik_errors(response) -> list[str]:
    page = response.content.decode()
    block = re.search(r'<ul class="errorlist" id="id_nik_koperasi-errors">(.*?)</ul>', page, re.S)
    assert block is not None, "no error shown on nik_koperasi"
    return [re.sub(r"&#x27;", "'", e) for e in re.findall(r"<li>(.*?)</li>", block.group(1))]


@pytest.mark.parametrize("typed", ["6271010020002", "6271.0100.2000.2", " 6271-010020002 "])
def test_a_nik_another_cooperative_has_is_refused_nothing_recorded(
    tenant_a, typed, django_capture_on_commit_callbacks
):
    Cooperative.objects.filter(pk=tenant_a.pk).update(nik_koperasi="6271010020002")
    mail.outbox.clear()
    response = _post(django_capture_on_commit_callbacks, nik_koperasi=typed)
    assert response.status_code == 200
    assert _nik_errors(response) == [TAKEN]
    assert SignupRequest.objects.count() == 0
    assert mail.outbox == []


def test_signup_submit_refuses_it_for_any_other_caller(tenant_a):
    Cooperative.objects.filter(pk=tenant_a.pk).update(nik_koperasi="6271010020002")
    with pytest.raises(ApplicationError) as refused:
        signup_submit(data=_data(nik_koperasi="6271.0100.2000.2"))
    assert refused.value.code == "nik_koperasi_taken"
    assert refused.value.fields == {"nik_koperasi": [TAKEN]}
    assert SignupRequest.objects.count() == 0


def test_the_cooperatives_own_nik_elsewhere_is_not_held_against_another(
    tenant_a, django_capture_on_commit_callbacks
):
    Cooperative.objects.filter(pk=tenant_a.pk).update(nik_koperasi="6271010020003")
    response = _post(django_capture_on_commit_callbacks, nik_koperasi="6271010020002")
    assert response.status_code == 302
    assert SignupRequest.objects.get(slug="harapan").nik_koperasi == "6271010020002"
