"""The API takes a session that passed two-factor, or a per-cooperative API key; never a
password alone (HTTP Basic). Keys: made by an admin, shown once, hashed at rest, scoped
by role, revocable, last use recorded, audited, valid only at their own cooperative."""

import base64
import hashlib
import time

import pytest
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.models import AuditEvent
from core.users.models import ApiKey, User
from tenants.services import tenant_host
from tests.webapp.conftest import make_user

PW = "Sandi-Uji-2026!"


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def _code(device: TOTPDevice) -> str:
    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t.time = time.time()
    return f"{t.token():0{device.digits}d}"


@pytest.fixture
def totp_user(in_tenant_a):
    user = make_user("bendahara", email="dua@alpha.test", password=PW)
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return user


def _make_key(role_client, *, role: str = "bendahara", name: str = "Sistem gaji") -> dict:
    response = role_client("admin").post(
        "/api/v1/api-keys/", {"name": name, "role": role}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return response.json()


# ------------------------------------------------------------ no password-only access


def test_http_basic_is_refused_for_a_totp_enrolled_user(tenant_a, totp_user):
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=_basic(totp_user.username, PW))
    assert response.status_code in (401, 403)
    write = client.post(
        "/api/v1/agencies/",
        {"name": "Dinas X", "code": "DX"},
        content_type="application/json",
        HTTP_AUTHORIZATION=_basic(totp_user.username, PW),
    )
    assert write.status_code in (401, 403)


def test_http_basic_is_refused_for_everyone(tenant_a, in_tenant_a):
    user = make_user("admin", email="tanpa2fa@alpha.test", password=PW)
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=_basic(user.username, PW))
    assert response.status_code in (401, 403)


def test_a_session_without_the_code_step_is_refused_for_a_totp_user(tenant_a, totp_user):
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    client.force_login(totp_user)  # a session made without the TOTP step
    assert client.get("/api/v1/me/").status_code in (401, 403)
    assert "_auth_user_id" not in client.session
    client.force_login(totp_user)
    page = client.get("/anggota/")
    assert page.status_code == 302 and page["Location"].startswith("/masuk/")


def test_a_session_that_passed_the_code_step_uses_the_api(tenant_a, totp_user):
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    assert client.post("/masuk/", {"username": totp_user.username, "password": PW})[
        "Location"
    ].startswith("/masuk/verifikasi/")
    device = TOTPDevice.objects.get(user=totp_user)
    assert client.post("/masuk/verifikasi/", {"token": _code(device)}).status_code == 302
    response = client.get("/api/v1/me/")
    assert response.status_code == 200 and response.json()["username"] == totp_user.username


# ------------------------------------------------------------------------ API keys


def test_an_admin_makes_a_key_shown_once_and_stored_as_a_hash(role_client, tenant_a):
    made = _make_key(role_client)
    raw = made["key"]
    assert raw.startswith(f"lmb_{made['prefix']}_") and len(raw) > 40
    key = ApiKey.objects.get(pk=made["id"])
    assert raw not in key.key_hash and key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert key.role == "bendahara" and key.revoked_at is None
    listed = role_client("admin").get("/api/v1/api-keys/").json()
    assert raw not in str(listed) and "key" not in listed["results"][0]
    event = AuditEvent.objects.get(action="api_key.created", target_id=str(key.pk))
    assert event.actor.role == "admin"


@pytest.mark.parametrize("scheme", ["Api-Key", "Bearer"])
def test_a_key_works_with_its_role_and_records_its_last_use(role_client, tenant_a, scheme):
    made = _make_key(role_client, role="pengawas")
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    auth = {"HTTP_AUTHORIZATION": f"{scheme} {made['key']}"}
    me = client.get("/api/v1/me/", **auth)
    assert me.status_code == 200 and me.json()["role"] == "pengawas"
    assert client.get("/api/v1/members/", **auth).status_code == 200
    # Scoped by role: a pengawas key reads, never writes.
    write = client.post(
        "/api/v1/agencies/", {"name": "Dinas X"}, content_type="application/json", **auth
    )
    assert write.status_code == 403
    assert ApiKey.objects.get(pk=made["id"]).last_used_at is not None


def test_a_revoked_key_is_refused(role_client, tenant_a):
    made = _make_key(role_client)
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {made['key']}"}
    assert client.get("/api/v1/me/", **auth).status_code == 200
    revoked = role_client("admin").post(f"/api/v1/api-keys/{made['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    response = client.get("/api/v1/me/", **auth)
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "authentication_failed"
    assert AuditEvent.objects.filter(action="api_key.revoked", target_id=str(made["id"])).exists()


def test_a_key_of_cooperative_a_is_refused_at_b(role_client, tenant_a, tenant_b):
    made = _make_key(role_client, role="admin")
    other = Client(HTTP_HOST=tenant_host(tenant_b.slug))
    response = other.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {made['key']}")
    assert response.status_code in (401, 403)
    connection.set_tenant(tenant_b)
    assert not ApiKey.objects.exists()


def test_forged_and_altered_keys_are_refused(role_client, tenant_a):
    made = _make_key(role_client)
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    raw = made["key"]
    for bad in [raw[:-1] + ("A" if raw[-1] != "A" else "B"), "lmb_x_y", "nonsense", raw + " x"]:
        response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {bad}")
        assert response.status_code in (401, 403), bad


def test_only_an_admin_session_manages_keys(role_client, tenant_a):
    for role in ["ketua", "bendahara", "pengawas", "anggota"]:
        assert role_client(role).get("/api/v1/api-keys/").status_code == 403
        assert role_client(role).get("/pengguna/kunci-api/").status_code == 403
    # A key, even an admin one, cannot make or revoke keys.
    admin_key = _make_key(role_client, role="admin")
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {admin_key['key']}"}
    made = client.post(
        "/api/v1/api-keys/",
        {"name": "x", "role": "admin"},
        content_type="application/json",
        **auth,
    )
    assert made.status_code == 403
    assert client.post(f"/api/v1/api-keys/{admin_key['id']}/revoke/", **auth).status_code == 403


def test_member_role_keys_are_refused(role_client, tenant_a):
    response = role_client("admin").post(
        "/api/v1/api-keys/", {"name": "x", "role": "anggota"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert not ApiKey.objects.exists()


def test_the_key_screen_shows_a_new_key_once_and_revokes(role_client, tenant_a):
    admin = role_client("admin")
    page = admin.post("/pengguna/kunci-api/", {"name": "Ekspor akuntansi", "role": "bendahara"})
    assert page.status_code == 200
    key = ApiKey.objects.get(name="Ekspor akuntansi")
    body = page.content.decode()
    raw = body.split('id="new-api-key"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()
    assert raw.startswith(f"lmb_{key.prefix}_")
    assert page["Cache-Control"] == "no-store"
    again = admin.get("/pengguna/kunci-api/").content.decode()
    assert raw not in again and key.prefix in again
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200
    assert admin.post(f"/pengguna/kunci-api/{key.pk}/cabut/").status_code == 302
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 401


def test_a_key_is_neither_a_user_on_the_list_nor_an_admin_that_counts(role_client, role_users):
    _make_key(role_client, role="admin")
    listing = role_client("admin").get("/pengguna/").content.decode()
    assert "api-key-" not in listing and "Kunci API: Sistem gaji" not in listing
    from core.common.errors import ApplicationError
    from core.users.services import user_update

    admin = role_users["admin"]
    humans = User.objects.filter(role="admin", api_key__isnull=True).exclude(pk=admin.pk)
    humans.update(is_active=False)
    # With an active key of role admin, the last human admin still keeps the role.
    with pytest.raises(ApplicationError) as err:
        user_update(by=admin, user=admin, full_name="Admin", role="ketua")
    assert err.value.code == "last_admin"


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key lmb_ab\x00cd_x",  # a NUL byte PostgreSQL cannot compare: was a 500
        "Api-Key lmb_\x00_x",
        "Bearer lmb_" + "a" * 5000 + "_x",
        "Api-Key lmb_ABCDEF12_x",
    ],
    ids=["nul", "nul-prefix", "long-prefix", "upper-prefix"],
)
def test_a_malformed_key_is_refused_as_json_not_a_500(tenant_a, in_tenant_a, header):
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=header)
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_key_is_told_it_cannot_manage_keys_and_nothing_changes(role_client, tenant_a):
    """By design (a key is one factor, a session passed two): no key, not even an admin's,
    lists, makes or revokes keys, its own included. The refusal names that rule with its
    own code, not the generic "role not allowed", and the document says so."""
    admin_key = _make_key(role_client, role="admin", name="Integrasi")
    other = _make_key(role_client, role="bendahara", name="Sistem gaji")
    client = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {admin_key['key']}"}
    answers = [
        client.get("/api/v1/api-keys/", **auth),
        client.post(
            "/api/v1/api-keys/",
            {"name": "x", "role": "admin"},
            content_type="application/json",
            **auth,
        ),
        client.post(f"/api/v1/api-keys/{other['id']}/revoke/", **auth),
        client.post(f"/api/v1/api-keys/{admin_key['id']}/revoke/", **auth),
    ]
    for r in answers:
        assert r.status_code == 403, r.content
        error = r.json()["error"]
        assert error["code"] == "api_key_cannot_manage_keys"
        assert error["message"].startswith("Kunci API tidak dapat mengelola kunci API")
    assert ApiKey.objects.count() == 2
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()
    doc = role_client("admin").get("/api/schema/", {"format": "json"}).json()
    for path, method in [
        ("/api/v1/api-keys/", "get"),
        ("/api/v1/api-keys/", "post"),
        ("/api/v1/api-keys/{id}/revoke/", "post"),
    ]:
        forbidden = doc["paths"][path][method]["responses"]["403"]
        assert "api_key_cannot_manage_keys" in forbidden["description"], (path, method)
        assert forbidden["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
