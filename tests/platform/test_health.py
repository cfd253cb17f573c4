import pytest
from django.test import Client


@pytest.mark.parametrize("host", ["localhost", "alpha.localhost", "unknown.example.org"])
def test_healthz_answers_on_any_host_without_database(host):
    # No django_db mark: pytest-django raises on any database access.
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("host", ["localhost", "nope.localhost"])
def test_readyz_checks_database_and_broker(host):
    response = Client(HTTP_HOST=host).get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_readyz_reports_unreachable_broker(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client(HTTP_HOST="localhost").get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
