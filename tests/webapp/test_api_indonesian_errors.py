"""The API's errors read in Indonesian, the cooperative's language: DRF's own messages
that its Indonesian catalogue leaves in English (a wrong type, an unreadable body, a
method not allowed, a page that does not exist) come translated from ``locale/id``, and
an amount's error names no English field. Found by hand and by the fuzzing run (issue:
"errors always in the one shape, in Indonesian")."""

import pytest
from django.test import Client

from tests.webapp.conftest import make_user


@pytest.fixture
def api(tenant_a, in_tenant_a) -> Client:
    from core.users.apikeys import api_key_create
    from tenants.services import tenant_host

    admin = make_user("admin", email="id-errors@webapp.test")
    key = api_key_create(by=admin, name="id", role="admin").raw
    return Client(HTTP_HOST=tenant_host(tenant_a.slug), HTTP_AUTHORIZATION=f"Api-Key {key}")


def _error(r, status):
    assert r.status_code == status, r.content[:300]
    body = r.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_a_wrong_type_in_a_field_is_refused_in_indonesian(api):
    r = api.post(
        "/api/v1/agencies/",
        {"code": [], "name": "Dinas", "is_active": "mungkin"},
        content_type="application/json",
    )
    e = _error(r, 400)
    assert e["fields"]["code"] == ["Harus berupa teks."]
    assert e["fields"]["is_active"] == ["Harus berupa nilai benar atau salah (true/false)."]


def test_a_body_that_is_a_list_is_refused_in_indonesian(api):
    e = _error(api.post("/api/v1/agencies/", "[]", content_type="application/json"), 400)
    assert e["fields"]["non_field_errors"] == [
        "Data tidak valid: harus berupa objek JSON, bukan list."
    ]


def test_unreadable_json_is_refused_in_indonesian(api):
    e = _error(api.post("/api/v1/agencies/", "{bad", content_type="application/json"), 400)
    assert e["code"] == "parse_error"
    assert e["message"].startswith("Isi permintaan bukan JSON yang dapat dibaca")
    assert "JSON parse error" not in e["message"]


def test_a_method_not_allowed_is_said_in_indonesian(api):
    e = _error(api.delete("/api/v1/members/"), 405)
    assert e["message"] == 'Metode "DELETE" tidak diizinkan.'


def test_a_page_that_does_not_exist_is_said_in_indonesian(api):
    e = _error(api.get("/api/v1/agencies/", {"page": "abc"}), 404)
    assert e["message"] == "Halaman tidak valid."


def test_a_related_id_of_the_wrong_type_is_refused_in_indonesian(api):
    e = _error(
        api.post(
            "/api/v1/ledger/accounts/",
            {"code": "9-999", "name": "Uji", "parent": "1.234.567"},
            content_type="application/json",
        ),
        400,
    )
    assert e["fields"]["parent"] == ["Jenis data salah: harus berupa ID, bukan str."]


def test_a_number_too_long_to_read_is_refused_in_indonesian(api):
    e = _error(
        api.post("/api/v1/deductions/runs/", {"year": "9" * 5000}, content_type="application/json"),
        400,
    )
    assert e["fields"]["year"] == ["Angka terlalu panjang."]
