"""Support access: an operator opens a cooperative read-only with a reason and an
expiry; both audit logs show it; the cooperative's staff can see who looked and why."""

import time
from urllib.parse import urlparse

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from core.audit.models import AuditEvent
from lumbung.console.models import SupportSession
from lumbung.console.support import SESSION_KEY
from tenants.services import tenant_host
from tests.link_button import press

pytestmark = pytest.mark.django_db
REASON = "Tiket #881: saldo simpanan wajib tidak cocok"


def start(client, coop, minutes=30):
    resp = client.post(
        f"/konsol/koperasi/{coop.pk}/support/",
        {"reason": REASON, "confirm": "on", "minutes": minutes},
    )
    assert resp.status_code == 302, resp.content[:500]
    return urlparse(resp.url).path


@pytest.fixture
def support_client(op_clients, tenant_a):
    path = start(op_clients["support"], tenant_a)
    coop = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    resp = press(coop, path)
    assert resp.status_code == 302 and resp.url == "/"
    return coop


def tenant_events(coop, action):
    with schema_context(coop.schema_name):
        return list(AuditEvent.objects.filter(action=action))


def test_support_session_reads_the_cooperative(support_client):
    assert support_client.get("/").status_code == 200
    assert support_client.get("/pengguna/").status_code == 200
    assert support_client.get("/audit/").status_code == 200


def test_support_session_is_read_only(support_client, tenant_a):
    from core.users.models import User

    resp = support_client.post(
        "/pengguna/baru/", {"full_name": "X", "email": "x@alpha.test", "role": "admin"}
    )
    assert resp.status_code == 403 and "hanya dapat membaca" in resp.content.decode()
    api = support_client.post("/api/v1/anything/", {"a": 1}, HTTP_ACCEPT="application/json")
    assert api.status_code == 403 and api.json()["error"]["code"] == "support_read_only"
    with schema_context(tenant_a.schema_name):
        assert not User.objects.filter(username="x@alpha.test").exists()


def test_support_session_is_audited_on_both_sides(support_client, operators, tenant_a):
    public = AuditEvent.objects.get(action="console.support_session_started")
    assert public.actor == operators["support"] and public.reason == REASON
    started = tenant_events(tenant_a, "support.session_started")
    opened = tenant_events(tenant_a, "support.session_opened")
    assert len(started) == 1 and len(opened) == 1
    assert started[0].reason == REASON
    assert "support@ops.lumbung.test" in started[0].actor_label
    assert "dukungan" in started[0].actor_label


def test_cooperative_admin_sees_who_looked_and_why(support_client, client_a, admin_password):
    client_a.post("/masuk/", {"username": "admin@alpha.test", "password": admin_password})
    page = client_a.get("/dukungan/").content.decode()
    assert REASON in page and "support@ops.lumbung.test" in page
    audit = client_a.get("/audit/?q=Tiket").content.decode()
    assert "support.session_started" in audit


def test_support_link_works_once_and_only_at_its_cooperative(op_clients, tenant_a, tenant_b):
    path = start(op_clients["admin"], tenant_a)
    other = Client(HTTP_HOST=tenant_host(tenant_b.slug))
    assert other.get(path).url == "/masuk/"  # refused at another cooperative
    assert other.post(path).url == "/masuk/"
    first = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    assert press(first, path).url == "/"
    second = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    assert second.post(path).url == "/masuk/"
    assert second.get("/pengguna/").status_code == 302


def test_opening_the_support_link_spends_nothing(op_clients, tenant_a):
    """A GET (a link preview, a scanner) shows what will happen and one button; only the
    button enters, once."""
    path = start(op_clients["support"], tenant_a)
    scanner = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    opened = scanner.get(path)
    page = opened.content.decode()
    assert opened.status_code == 200
    assert REASON in page and "hanya-baca" in page and "Masuk sebagai tim dukungan" in page
    assert scanner.get("/pengguna/").status_code == 302  # not logged in
    connection.set_schema_to_public()
    assert SupportSession.objects.get().entered_at is None
    assert tenant_events(tenant_a, "support.session_opened") == []

    operator = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    pressed = press(operator, path)
    assert pressed.status_code == 302 and pressed.url == "/"
    assert operator.get("/pengguna/").status_code == 200
    connection.set_schema_to_public()
    assert SupportSession.objects.get().entered_at is not None
    assert len(tenant_events(tenant_a, "support.session_opened")) == 1

    # Spent: the button again is refused and says why; so is opening the link.
    late = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    refused = late.post(path, follow=True)
    assert refused.redirect_chain[0] == ("/masuk/", 302)
    assert "Tautan akses dukungan sudah dipakai atau habis." in refused.content.decode()
    assert late.get("/pengguna/").status_code == 302
    reopened = Client(HTTP_HOST=tenant_host(tenant_a.slug)).get(path, follow=True)
    assert "Tautan akses dukungan sudah dipakai atau habis." in reopened.content.decode()
    assert len(tenant_events(tenant_a, "support.session_opened")) == 1


def test_an_open_support_session_enters_a_new_support_link(support_client, op_clients, tenant_a):
    """A second link for the same cooperative, pressed in the browser already in a
    (read-only) support session, starts the new session."""
    path = start(op_clients["support"], tenant_a)
    pressed = press(support_client, path)
    assert pressed.status_code == 302 and pressed.url == "/"
    connection.set_schema_to_public()
    newest = SupportSession.objects.order_by("-pk").first()
    assert newest.entered_at is not None
    with schema_context(tenant_a.schema_name):
        assert support_client.session[SESSION_KEY]["sid"] == newest.pk


def test_support_session_ends_at_its_expiry(support_client, tenant_a):
    with schema_context(tenant_a.schema_name):  # the session lives in the tenant schema
        session = support_client.session
        flag = session[SESSION_KEY]
        flag["exp"] = int(time.time()) - 1
        session[SESSION_KEY] = flag
        session.save()
    resp = support_client.get("/pengguna/")
    assert resp.status_code == 302 and "/masuk/" in resp.url
    assert support_client.get("/pengguna/").status_code == 302
    connection.set_schema_to_public()
    assert SupportSession.objects.get().ended_at is not None
    assert tenant_events(tenant_a, "support.session_ended")[0].data["why"] == "expired"


def test_support_session_can_be_ended(support_client, tenant_a):
    resp = support_client.post("/dukungan/akhiri/")
    assert resp.status_code == 302
    assert support_client.get("/pengguna/").status_code == 302
    assert tenant_events(tenant_a, "support.session_ended")[0].data["why"] == "ended"


def test_support_user_cannot_log_in_with_a_password(support_client, tenant_a):
    from core.users.models import User

    with schema_context(tenant_a.schema_name):
        user = User.objects.get(username__startswith="lumbung-support:")
        assert not user.has_usable_password() and user.role == User.Role.PENGAWAS


def test_support_session_needs_a_reason_and_a_bounded_duration(op_clients, tenant_a):
    client = op_clients["admin"]
    base = {"confirm": "on", "minutes": 30, "reason": ""}
    assert client.post(f"/konsol/koperasi/{tenant_a.pk}/support/", base).status_code == 200
    too_long = base | {"reason": REASON, "minutes": 600}
    assert client.post(f"/konsol/koperasi/{tenant_a.pk}/support/", too_long).status_code == 200
    assert not SupportSession.objects.exists()
