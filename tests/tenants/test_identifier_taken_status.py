"""A legal number or NIK koperasi another cooperative in Lumbung has is a conflict with
that cooperative (409), on every path that refuses it: the sign-up's early check (the
form, ``signup_submit`` for any other caller), e-mail verification and provisioning
(tests/tenants/test_signup_legal_number_verify.py, test_signup_nik_verify.py) and a
restore beside it (tests/tenants/test_backup_restore.py). A number that does not look
like one stays a malformed request (400). The HTML form shows the refusal under its
field on the form page, whatever the error's status."""

import pytest

from core.common.errors import ApplicationError
from tenants.models import Cooperative, SignupRequest
from tenants.services import LEGAL_NUMBER, NIK_KOPERASI
from tenants.signup import identifier_availability, signup_submit
from tests.tenants.test_signup_identity import _data, _field_errors, _post

pytestmark = pytest.mark.django_db

LEGAL_TAKEN = (
    "Nomor badan hukum ini sudah terdaftar di Lumbung untuk koperasi lain. Jika itu "
    "koperasi Anda, masuk di alamat Lumbung-nya atau hubungi dukungan Lumbung."
)
NIK_TAKEN = (
    "NIK koperasi ini sudah terdaftar di Lumbung untuk koperasi lain. Jika itu koperasi "
    "Anda, masuk di alamat Lumbung-nya atau hubungi dukungan Lumbung."
)


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def test_signup_submit_answers_409_for_a_legal_number_another_cooperative_has(tenant_a):
    Cooperative.objects.filter(pk=tenant_a.pk).update(legal_number="123/BH/XVIII.4/2020")
    with pytest.raises(ApplicationError) as refused:
        signup_submit(data=_data(legal_number=" 123/bh/xviii.4/2020 "))
    assert refused.value.status_code == 409
    assert refused.value.code == "legal_number_taken"
    assert refused.value.fields == {"legal_number": [LEGAL_TAKEN]}
    assert SignupRequest.objects.count() == 0


def test_signup_submit_answers_409_for_a_nik_another_cooperative_has(tenant_a):
    Cooperative.objects.filter(pk=tenant_a.pk).update(nik_koperasi="6271010020002")
    with pytest.raises(ApplicationError) as refused:
        signup_submit(data=_data(nik_koperasi="6271.0100.2000.2"))
    assert refused.value.status_code == 409
    assert refused.value.code == "nik_koperasi_taken"
    assert refused.value.fields == {"nik_koperasi": [NIK_TAKEN]}
    assert SignupRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("identifier", "value", "code"),
    [
        (LEGAL_NUMBER, "123/bh/XVIII.4/2020", "legal_number_taken"),
        (NIK_KOPERASI, "6271010020002", "nik_koperasi_taken"),
    ],
)
def test_the_forms_early_check_is_a_409_too(tenant_a, identifier, value, code):
    Cooperative.objects.filter(pk=tenant_a.pk).update(
        legal_number="123/BH/XVIII.4/2020", nik_koperasi="6271010020002"
    )
    problem = identifier_availability(identifier, value, slug="harapan")
    assert problem is not None
    assert (problem.code, problem.status_code) == (code, 409)


@pytest.mark.parametrize(
    ("over", "code"),
    [
        ({"legal_number": "BH/XVIII/ABC"}, "legal_number_invalid"),
        ({"nik_koperasi": "62710"}, "nik_koperasi_invalid"),
    ],
)
def test_a_malformed_number_stays_a_400(tenant_a, over, code):
    Cooperative.objects.filter(pk=tenant_a.pk).update(
        legal_number="123/BH/XVIII.4/2020", nik_koperasi="6271010020002"
    )
    with pytest.raises(ApplicationError) as refused:
        signup_submit(data=_data(**over))
    assert (refused.value.code, refused.value.status_code) == (code, 400)
    assert SignupRequest.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("legal_number", " 123/bh/XVIII.4/2020 ", LEGAL_TAKEN),
        ("nik_koperasi", "6271.0100.2000.2", NIK_TAKEN),
    ],
)
def test_the_form_page_shows_the_refusal_under_its_field(
    tenant_a, field, typed, message, django_capture_on_commit_callbacks
):
    Cooperative.objects.filter(pk=tenant_a.pk).update(
        legal_number="123/BH/XVIII.4/2020", nik_koperasi="6271010020002"
    )
    response = _post(django_capture_on_commit_callbacks, **{field: typed})
    assert response.status_code == 200  # the form page again, not a JSON error
    assert response["Content-Type"].startswith("text/html")
    assert _field_errors(response, field) == [message]
    assert tenant_a.slug not in response.content.decode()
    assert SignupRequest.objects.count() == 0
