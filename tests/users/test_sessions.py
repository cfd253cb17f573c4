"""What ends a signed-in session, at once: the login deactivated, its password changed
or reset elsewhere; what a change of role does (the rights change on the next request).
API keys are logins of their own: they outlive the admin who made them, until revoked
(docs/security.md)."""

import re

import pytest
from django.core import mail
from django.test import Client

from core.audit.models import AuditEvent
from core.users import apikeys
from core.users.services import user_set_active, user_update
from tenants.services import tenant_host
from tests.webapp.conftest import make_user

PW = "Sandi-Uji-2026!"
NEW = "Sandi-Baru-2026!"


def _client() -> Client:
    return Client(HTTP_HOST=tenant_host("alpha"))


def _signed_in(user) -> Client:
    client = _client()
    assert client.post("/masuk/", {"username": user.username, "password": PW}).status_code == 302
    return client


@pytest.fixture
def admin(in_tenant_a):
    return make_user("admin", email="admin2@alpha.test", password=PW)


@pytest.fixture
def staff(in_tenant_a):
    return make_user("bendahara", email="bendahara@alpha.test", password=PW)


def test_a_deactivated_login_is_signed_out_everywhere_at_once(admin, staff):
    page, api = _signed_in(staff), _signed_in(staff)
    assert page.get("/").status_code == 200 and api.get("/api/v1/me/").status_code == 200
    user_set_active(by=admin, user=staff, active=False, reason="keluar dari kepengurusan")
    resp = page.get("/anggota/")
    assert resp.status_code == 302 and resp["Location"].startswith("/masuk/")
    refused = api.get("/api/v1/me/")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "not_authenticated"
    event = AuditEvent.objects.get(action="user.deactivated", target_id=str(staff.pk))
    assert event.data == {"sessions_ended": 2} and event.reason == "keluar dari kepengurusan"
    # reactivated, the old sessions stay ended (failed before: they came back)
    user_set_active(by=admin, user=staff, active=True)
    assert page.get("/").status_code == 302


def test_a_password_reset_by_link_ends_the_other_sessions(staff, committed):
    other = _signed_in(staff)
    browser = _client()
    with committed():  # the e-mail is a task queued on commit
        browser.post("/lupa-sandi/", {"email": staff.email})
    link = re.search(r"http://alpha\.localhost:8000(/atur-sandi/\S+/)", mail.outbox[-1].body)[1]
    form = browser.get(link, follow=True)
    browser.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert other.get("/").status_code == 302  # the session made with the old password ended


def test_a_role_taken_away_takes_its_rights_at_once(admin, staff):
    client = _signed_in(staff)
    assert client.get("/buku-besar/jurnal/").status_code == 200
    user_update(by=admin, user=staff, full_name=staff.full_name, role="anggota")
    denied = client.get("/buku-besar/jurnal/")
    assert denied.status_code == 403
    assert "Akses ditolak" in denied.content.decode()
    assert client.get("/")["Location"] == "/portal/"


def test_a_key_outlives_the_admin_who_made_it_until_revoked(admin, staff):
    made = apikeys.api_key_create(by=admin, name="Sistem gaji", role="bendahara")
    header = {"HTTP_AUTHORIZATION": f"Api-Key {made.raw}"}
    user_set_active(by=make_user("admin", email="admin3@alpha.test"), user=admin, active=False)
    assert _client().get("/api/v1/me/", **header).status_code == 200
    apikeys.api_key_revoke(by=staff, api_key=made.api_key, reason="diganti")
    refused = _client().get("/api/v1/me/", **header)
    assert refused.status_code in (401, 403)
    assert refused.json()["error"]["message"] == "Kunci API tidak valid atau sudah dicabut."
