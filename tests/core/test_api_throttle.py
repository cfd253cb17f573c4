"""Every API operation documents 429 (``core.common.schema.ERROR_RESPONSES``): the API
throttles per API key and per logged-in user (``API_THROTTLE_RATE``, default 600/minute;
``core.common.throttling``), answering the one error shape with its own code, an
Indonesian message and ``Retry-After``. Nothing throttled it before (found walking the
API)."""

import time

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, override_settings

from core.members.models import Agency
from core.users.apikeys import api_key_create
from tenants.services import tenant_host
from tests.webapp.conftest import make_user


@pytest.fixture
def host(tenant_a, in_tenant_a) -> str:
    return tenant_host(tenant_a.slug)


def _fresh(user) -> None:
    """A user's counter starts at zero (a test database made again restarts the ids)."""
    window = int(time.time() // 60)
    cache.delete_many(
        [f"ratelimit:api:user:{connection.schema_name}:{user.pk}:{w}" for w in (window, window + 1)]
    )


def _key(role="admin", name="Gaji"):
    admin = make_user("admin", email=f"throttle-{name}@alpha.test")
    return api_key_create(by=admin, name=name, role=role).raw


@override_settings(API_THROTTLE_RATE="3/minute")
def test_a_key_over_its_rate_gets_429_throttled_with_retry_after(host):
    c = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {_key()}")
    statuses = [c.get("/api/v1/me/").status_code for _ in range(3)]
    r = c.get("/api/v1/me/")
    assert statuses == [200, 200, 200]
    assert r.status_code == 429, r.content
    error = r.json()["error"]
    assert error["code"] == "throttled"
    assert error["message"].startswith("Terlalu banyak permintaan")
    assert error["fields"] == {}
    assert 1 <= int(r["Retry-After"]) <= 60
    assert f"{r['Retry-After']} detik" in error["message"]


@override_settings(API_THROTTLE_RATE="1/minute")
def test_a_throttled_post_writes_nothing(host):
    c = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {_key()}")
    assert c.get("/api/v1/me/").status_code == 200
    r = c.post(
        "/api/v1/agencies/",
        {"code": "THR", "name": "Dinas Throttle"},
        content_type="application/json",
    )
    assert r.status_code == 429
    assert not Agency.objects.filter(code="THR").exists()


@override_settings(API_THROTTLE_RATE="2/minute")
def test_each_key_has_its_own_count(host):
    first = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {_key(name='Satu')}")
    second = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {_key(name='Dua')}")
    assert [first.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert second.get("/api/v1/me/").status_code == 200


@override_settings(API_THROTTLE_RATE="2/minute")
def test_a_logged_in_session_is_counted_per_user(host):
    user = make_user("bendahara", email="throttle-session@alpha.test")
    _fresh(user)
    c = Client(HTTP_HOST=host)
    c.force_login(user)
    assert [c.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 429]
    assert c.get("/api/v1/me/").json()["error"]["code"] == "throttled"


@override_settings(API_THROTTLE_RATE="2/minute", LANGUAGE_CODE="id")
def test_the_message_is_english_for_an_english_client(host):
    c = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Api-Key {_key(name='En')}")
    for _ in range(2):
        c.get("/api/v1/me/")
    r = c.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 429
    assert r.json()["error"]["message"].startswith("Too many requests")


def test_the_default_rate_is_generous(settings):
    assert settings.API_THROTTLE_RATE == "600/minute"
