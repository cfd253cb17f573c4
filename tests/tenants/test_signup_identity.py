"""The sign-up's identity fields: a nomor badan hukum must look like one, the tanggal
badan hukum lies between the proclamation (17 August 1945) and today, and a NIK koperasi
typed with dots, dashes or spaces is kept as its digits. Each refusal is a message on its
field, and nothing is recorded; signup_submit holds the same rules for any other caller."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.common.errors import ApplicationError
from tenants.models import SignupRequest
from tenants.signup import SignupData, signup_submit
from tests.tenants.signup_helpers import PASSWORD
from tests.tenants.signup_helpers import signup_client as _client
from tests.tenants.signup_helpers import signup_form as _form

pytestmark = pytest.mark.django_db

LEGAL_NUMBER_RULE = (
    "Nomor badan hukum berisi 3–100 karakter: huruf, angka, spasi dan tanda / . - , ( ), "
    "sedikitnya satu angka, mis. 518/BH/XVII/2005 atau AHU-0001234.AH.01.26.TAHUN 2020."
)
TOO_EARLY = "Tanggal badan hukum tidak boleh sebelum 17 Agustus 1945."
IN_THE_FUTURE = "Tanggal badan hukum tidak boleh di masa depan."
NIK_RULE = (
    "NIK koperasi berisi 10–20 angka; titik, tanda hubung dan spasi di antaranya boleh "
    "(kosongkan jika belum punya)."
)


@pytest.fixture(autouse=True)
def _no_spare_refill(settings):
    settings.TENANT_SPARE_SCHEMAS = 0


def _post(capture, **over):
    with capture(execute=True):
        return _client().post("/daftar/", _form(**over))


def _field_errors(response, field: str) -> list[str]:
    page = response.content.decode()
    block = re.search(rf'<ul class="errorlist" id="id_{field}-errors">(.*?)</ul>', page, re.S)
    assert block is not None, f"no error shown on {field}"
    return [re.sub(r"&#x27;", "'", e) for e in re.findall(r"<li>(.*?)</li>", block.group(1))]


def _data(**over) -> SignupData:
    values = {
        "slug": "harapan",
        "name": "KPRI Harapan Bersama",
        "kind": "kpri",
        "legal_number": "123/BH/XVIII.4/2020",
        "legal_date": date(2020, 3, 17),
        "nik_koperasi": "",
        "province": "Kalimantan Tengah",
        "regency": "Kota Palangka Raya",
        "member_count": 350,
        "contact_name": "Dewi",
        "email": "dewi@harapan.test",
        "phone": "+6281234567890",
        "password": PASSWORD,
    }
    values.update(over)
    return SignupData(**values)


# ------------------------------------------------------------------ nomor badan hukum


@pytest.mark.parametrize(
    "typed",
    [
        "518/BH/XVII/2005",
        "AHU-0001234.AH.01.26.TAHUN 2020",
        "123/BH/KWK.11/III/1996",
        "123/BH/XVIII.4/2020",
        "No. 4521/BH/II/1978",
        "12/BH/PAD/KWK.11/VI/1999 (perubahan)",
    ],
)
def test_legal_numbers_in_their_historical_formats_are_accepted(
    typed, django_capture_on_commit_callbacks
):
    response = _post(django_capture_on_commit_callbacks, legal_number=typed)
    assert response.status_code == 302
    assert SignupRequest.objects.get(slug="harapan").legal_number == typed


def test_a_legal_number_is_stored_without_surrounding_or_doubled_spaces(
    django_capture_on_commit_callbacks,
):
    typed = "  AHU-0001234.AH.01.26.TAHUN   2020 "
    assert _post(django_capture_on_commit_callbacks, legal_number=typed).status_code == 302
    stored = SignupRequest.objects.get(slug="harapan").legal_number
    assert stored == "AHU-0001234.AH.01.26.TAHUN 2020"


@pytest.mark.parametrize(
    "typed",
    [
        "x",  # no digit, too short
        "BH/XVII",  # no digit
        "belum ada",  # no digit
        "12",  # too short
        "518/BH/XVII/2005; DROP TABLE",  # a character no such number uses
        "518\\BH\\XVII\\2005",
        "<b>518</b>",
        "518/BH/XVII/２００５",  # full-width digits
        "1" * 101,
    ],
)
def test_a_legal_number_that_does_not_look_like_one_is_refused_stating_the_rule(
    typed, django_capture_on_commit_callbacks
):
    response = _post(django_capture_on_commit_callbacks, legal_number=typed)
    assert response.status_code == 200
    assert _field_errors(response, "legal_number") == [LEGAL_NUMBER_RULE]
    assert SignupRequest.objects.count() == 0
    assert mail.outbox == []


# ------------------------------------------------------------------ tanggal badan hukum


@pytest.mark.parametrize("typed", ["1945-08-17", "1967-12-18"])
def test_a_legal_date_from_the_proclamation_on_is_accepted(
    typed, django_capture_on_commit_callbacks
):
    assert _post(django_capture_on_commit_callbacks, legal_date=typed).status_code == 302
    assert SignupRequest.objects.get(slug="harapan").legal_date == date.fromisoformat(typed)


def test_a_legal_date_of_today_is_accepted(django_capture_on_commit_callbacks):
    today = timezone.localdate()
    response = _post(django_capture_on_commit_callbacks, legal_date=today.isoformat())
    assert response.status_code == 302
    assert SignupRequest.objects.get(slug="harapan").legal_date == today


@pytest.mark.parametrize("typed", ["1800-01-01", "1945-08-16", "0001-01-01"])
def test_a_legal_date_before_the_proclamation_is_refused(typed, django_capture_on_commit_callbacks):
    response = _post(django_capture_on_commit_callbacks, legal_date=typed)
    assert response.status_code == 200
    assert _field_errors(response, "legal_date") == [TOO_EARLY]
    assert SignupRequest.objects.count() == 0
    assert mail.outbox == []


def test_a_legal_date_tomorrow_is_refused(django_capture_on_commit_callbacks):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = _post(django_capture_on_commit_callbacks, legal_date=tomorrow.isoformat())
    assert response.status_code == 200
    assert _field_errors(response, "legal_date") == [IN_THE_FUTURE]
    assert SignupRequest.objects.count() == 0


# ------------------------------------------------------------------ NIK koperasi


@pytest.mark.parametrize(
    "typed",
    [
        "3201.2345.6789.0123",
        "3201-2345-6789-0123",
        "3201 2345 6789 0123",
        " 3201234567890123 ",
        "32.01-23 4567890123",
    ],
)
def test_a_nik_koperasi_typed_with_dots_dashes_or_spaces_is_stored_as_digits(
    typed, django_capture_on_commit_callbacks
):
    response = _post(django_capture_on_commit_callbacks, nik_koperasi=typed)
    assert response.status_code == 302
    assert SignupRequest.objects.get(slug="harapan").nik_koperasi == "3201234567890123"


def test_an_empty_nik_koperasi_is_still_allowed(django_capture_on_commit_callbacks):
    assert _post(django_capture_on_commit_callbacks, nik_koperasi="  ").status_code == 302
    assert SignupRequest.objects.get(slug="harapan").nik_koperasi == ""


@pytest.mark.parametrize(
    "typed",
    ["12AB", "3201/2345/6789/0123", "123.456", "1" * 21, "...", "3201_2345_6789_0123"],
)
def test_a_nik_koperasi_that_is_not_10_to_20_digits_is_refused_stating_the_rule(
    typed, django_capture_on_commit_callbacks
):
    response = _post(django_capture_on_commit_callbacks, nik_koperasi=typed)
    assert response.status_code == 200
    assert _field_errors(response, "nik_koperasi") == [NIK_RULE]
    assert SignupRequest.objects.count() == 0
    assert mail.outbox == []


# ------------------------------------------------------------------ the service itself


@pytest.mark.parametrize(
    "over,field,code",
    [
        ({"legal_number": "x"}, "legal_number", "legal_number_invalid"),
        ({"legal_date": date(1800, 1, 1)}, "legal_date", "legal_date_invalid"),
        ({"legal_date": date(2999, 1, 1)}, "legal_date", "legal_date_invalid"),
        ({"nik_koperasi": "12AB"}, "nik_koperasi", "nik_koperasi_invalid"),
    ],
)
def test_signup_submit_refuses_what_the_form_refuses(over, field, code):
    with pytest.raises(ApplicationError) as caught:
        signup_submit(data=_data(**over))
    assert caught.value.code == code
    assert field in caught.value.fields
    assert SignupRequest.objects.count() == 0


def test_signup_submit_stores_a_nik_koperasi_as_digits():
    submitted = signup_submit(data=_data(nik_koperasi="3201.2345.6789.0123"))
    assert submitted.signup.nik_koperasi == "3201234567890123"
