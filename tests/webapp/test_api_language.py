"""An API client chooses the language of the API's messages with ``Accept-Language``
(an integrator's script has no language switcher; found walking the README as one):
``en`` answers English, anything else or nothing Indonesian. Pages still never guess
from the browser's header (README: the switcher's cookie only). The error shape's own
words ("Data tidak valid.", an id filter that is not an id) follow the language too."""

import pytest
from django.test import Client

from tests.webapp.conftest import make_user


@pytest.fixture
def api(tenant_a, in_tenant_a) -> Client:
    from core.users.apikeys import api_key_create
    from tenants.services import tenant_host

    admin = make_user("admin", email="lang-api@webapp.test")
    key = api_key_create(by=admin, name="lang", role="admin").raw
    return Client(HTTP_HOST=tenant_host(tenant_a.slug), HTTP_AUTHORIZATION=f"Api-Key {key}")


def _error(r, status):
    assert r.status_code == status, r.content[:300]
    return r.json()["error"]


def test_accept_language_en_answers_the_api_error_in_english(api):
    e = _error(api.post("/api/v1/members/", {}, "application/json", HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert e["code"] == "validation_error"
    assert e["message"] == "Invalid data."
    assert e["fields"]["full_name"] == ["This field is required."]


def test_without_accept_language_the_api_answers_in_indonesian(api):
    e = _error(api.post("/api/v1/members/", {}, "application/json"), 400)
    assert e["message"] == "Data tidak valid."
    assert e["fields"]["full_name"] == ["Bidang ini harus diisi."]


def test_accept_language_of_another_language_answers_in_indonesian(api):
    e = _error(
        api.post("/api/v1/members/", {}, "application/json", HTTP_ACCEPT_LANGUAGE="fr-FR,fr"), 400
    )
    assert e["message"] == "Data tidak valid."


def test_an_id_filter_that_is_not_an_id_is_said_in_english_when_asked(api):
    e = _error(api.get("/api/v1/members/", {"agency": "abc"}, HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert e["fields"]["agency"] == ["Must be an ID (a positive whole number)."]
    e = _error(api.get("/api/v1/members/", {"agency": "abc"}), 400)
    assert e["fields"]["agency"] == ["Harus berupa ID (bilangan bulat positif)."]


def test_a_body_that_is_not_an_object_is_said_in_english_when_asked(api):
    from core.common.api import request_object

    class _R:
        data = []

    from django.utils import translation
    from rest_framework.exceptions import ValidationError

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        request_object(_R())
    assert caught.value.detail["non_field_errors"] == ["The request body must be a JSON object."]


def test_a_page_still_ignores_the_browsers_accept_language(tenant_a, in_tenant_a, client_a):
    client_a.force_login(make_user("bendahara", email="lang-page@webapp.test"))
    body = client_a.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="id"' in body


def test_an_unknown_api_address_is_said_in_english_when_asked(api):
    e = _error(api.get("/api/v1/no-such-list/", HTTP_ACCEPT_LANGUAGE="en"), 404)
    assert e == {"code": "not_found", "message": "Not found.", "fields": {}}
    e = _error(api.get("/api/v1/no-such-list/"), 404)
    assert e["message"] == "Tidak ditemukan."


def test_a_nul_in_the_query_is_said_in_english_when_asked(api):
    e = _error(api.get("/api/v1/members/", {"q": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="en"), 400)
    assert e["message"] == "A parameter must not contain the NUL character."
    e = _error(api.get("/api/v1/members/", {"q": "a\x00b"}), 400)
    assert e["message"] == "Parameter tidak boleh mengandung karakter NUL."


def test_a_nul_in_a_page_address_is_said_in_the_switchers_language_only(client_a):
    client_a.cookies["django_language"] = "en"
    r = client_a.get("/anggota/", {"q": "a\x00b"})
    assert r.status_code == 400 and r.content.decode() == (
        "A parameter must not contain the NUL character."
    )
    del client_a.cookies["django_language"]
    r = client_a.get("/anggota/", {"q": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.content.decode() == "Parameter tidak boleh mengandung karakter NUL."


def test_a_date_that_is_not_a_date_is_said_in_english_when_asked():
    from django.utils import translation
    from rest_framework.exceptions import ValidationError

    from core.loans.api import _date

    with translation.override("en"), pytest.raises(ValidationError) as caught:
        _date("31-12-2026", "on")
    assert caught.value.detail["on"] == ["The date must be in the YYYY-MM-DD format."]


def test_the_move_in_api_says_its_refusals_in_english_when_asked(api):
    e = _error(
        api.post(
            "/api/v1/onboarding/",
            {"cutover_date": "kemarin"},
            "application/json",
            HTTP_ACCEPT_LANGUAGE="en",
        ),
        400,
    )
    assert e["message"] == "The move-in date is not valid (YYYY-MM-DD)."
    assert e["fields"] == {"cutover_date": ["Invalid date."]}
    e = _error(api.get("/api/v1/onboarding/templates/nope.xlsx", HTTP_ACCEPT_LANGUAGE="en"), 404)
    assert e["message"] == "Unknown template."
    e = _error(api.get("/api/v1/onboarding/templates/nope.xlsx"), 404)
    assert e["message"] == "Templat tidak dikenal."
