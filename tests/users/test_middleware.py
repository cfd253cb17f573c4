"""The session middleware of core.users on the API: a session ended there is refused
as JSON, as every other refusal under /api/ is."""

import time

import pytest
from django.test import Client

from core.users.middleware import LAST_SEEN_KEY
from tenants.services import tenant_host
from tests.webapp.conftest import make_user


@pytest.fixture
def staff(in_tenant_a):
    return make_user("bendahara", email="bendahara@alpha.test")


def test_an_idle_session_on_the_api_is_refused_as_json_not_sent_to_the_login_page(staff, settings):
    """Failed before: a 302 to /masuk/ with an empty body, which an API client cannot
    read (and follows to an HTML page)."""
    settings.SESSION_IDLE_TIMEOUT = 600
    client = Client(HTTP_HOST=tenant_host("alpha"))
    client.force_login(staff)
    assert client.get("/api/v1/me/").status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 601
    session.save()

    resp = client.get("/api/v1/me/")
    assert resp.status_code in (401, 403)
    assert resp["Content-Type"] == "application/json"
    assert resp.json()["error"]["code"] == "not_authenticated"
    assert "_auth_user_id" not in client.session  # the session did end
    # and a page of the same browser is sent to log in again, as before
    assert client.get("/").status_code == 302
