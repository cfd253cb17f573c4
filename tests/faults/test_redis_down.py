"""Redis down (a redis-server of the test's own, stopped; or a port nothing listens on):
pages still answer (the rate limits let requests through instead of a 500), and a task
sent at commit while the broker is down is held by the sending process and reaches the
broker once Redis is back."""

import base64
import contextlib
import json
import time
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone
from kombu import pools as kombu_pools

from tests.faults.helpers import RedisServer, free_port, record_fault

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def celery_broker(url: str):
    """Point the Celery app (its connection and producer pools) at ``url``."""
    from lumbung.celery import app

    def reset():
        # kombu keeps producer pools per broker URL in a global registry: empty it too,
        # or the URL switched back to would get a closed pool
        kombu_pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    old = app.conf.broker_url
    reset()
    app.conf.broker_url = url
    try:
        yield app
    finally:
        reset()
        app.conf.broker_url = old


@pytest.fixture
def dead_redis(settings):
    """Cache and broker at a port where nothing listens."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "lumbung.cache.RedisCache",  # the backend of lumbung.settings.cache
            "LOCATION": url,
            "KEY_PREFIX": "lumbung",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    with celery_broker(url):
        yield url


def test_pages_answer_with_redis_down(
    dead_redis, client_a, client_public, in_tenant_a, record_property
):
    from tests.members import factories as f

    record_fault(record_property, "redis_down:pages")
    staff = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    staff.force_login(f.user("bendahara"))  # in the cooperative's schema
    connection.set_schema_to_public()
    pages = {
        "login page": client_a.get("/masuk/"),
        "wrong password": client_a.post(
            "/masuk/", {"username": "nobody@alpha.test", "password": "salah"}
        ),
        "password reset (rate limited)": client_a.post(
            "/lupa-sandi/", {"email": "nobody@alpha.test"}
        ),
        "sign-up page": client_public.get("/daftar/"),
        "slug check (rate limited)": client_public.get("/daftar/cek-alamat/?slug=maju-jaya"),
    }
    pages["dashboard"] = staff.get("/")
    failures = {k: r.status_code for k, r in pages.items() if r.status_code >= 500}
    assert failures == {}, failures
    assert pages["login page"].status_code == 200
    assert pages["dashboard"].status_code == 200
    assert pages["password reset (rate limited)"].status_code == 302
    # readiness says the broker is down (so the orchestrator knows), without a 500
    ready = client_public.get("/readyz")
    assert ready.status_code == 503


@pytest.fixture
def redis_server():
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def pending_signup(django_db_setup, django_db_blocker):
    from tenants.models import SignupRequest

    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        signup = SignupRequest.objects.create(
            public_id="redis-" + "y" * 20,
            slug="redis-mati",
            name="KPRI Redis Mati",
            legal_number="AHU-7",
            legal_date=date(2020, 1, 1),
            province="Jawa Barat",
            regency="Bandung",
            member_count=40,
            contact_name="Sari",
            email="sari@redis.test",
            phone="081234567890",
            password_hash="!",
            terms_accepted_at=timezone.now(),
        )
    yield signup
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        SignupRequest.objects.filter(pk=signup.pk).delete()


def test_a_task_sent_at_commit_with_redis_down_reaches_redis_when_it_returns(
    redis_server, pending_signup, settings, django_db_blocker, record_property
):
    from lumbung.celery import app
    from tenants.models import SignupRequest
    from tenants.signup import VERIFY_SALT

    record_fault(record_property, "redis_down:task_sent_at_commit")
    settings.CELERY_REDELIVER_INTERVAL = 1
    token = signing.dumps(
        {"id": pending_signup.pk, "p": pending_signup.public_id}, salt=VERIFY_SALT
    )
    with celery_broker(redis_server.url), django_db_blocker.unblock():
        redis_server.stop()
        held_before = len(app.held)
        started = time.monotonic()
        # a real commit: the verification button's on_commit sends the provisioning task
        response = Client(HTTP_HOST=django_settings.BASE_DOMAIN).post(
            f"/daftar/verifikasi/{token}/"
        )
        elapsed = time.monotonic() - started
        assert response.status_code == 302, response.content[:500]
        assert elapsed < 5  # the page does not wait for Redis
        pending_signup.refresh_from_db()
        assert pending_signup.status == SignupRequest.Status.QUEUED  # committed
        assert len(app.held) == held_before + 1

        redis_server.start()
        deadline = time.monotonic() + 20
        messages = []
        client = redis_server.client()
        while time.monotonic() < deadline and not messages:
            messages = client.lrange("celery", 0, -1)
            time.sleep(0.2)
        assert messages, "the held task never reached Redis"
        sent = json.loads(messages[0])
        assert sent["headers"]["task"] == "tenants.tasks.signup_provision_task"
        assert sent["headers"]["_schema_name"] == "public"
        assert json.loads(base64.b64decode(sent["body"]))[0] == [pending_signup.pk]
        assert len(app.held) == held_before
