"""Control characters in the optional reasons of the users screen (deactivating a login,
revoking an API key): refused by the service that takes them, with the error naming the
field in Indonesian, and nothing written (core.common.text). The API neither
deactivates a login nor takes a reason for revoking a key: the screen and the service
are the ways in."""

import pytest

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.users import apikeys
from core.users.models import ApiKey
from core.users.services import user_set_active
from tests.webapp.conftest import make_user

REFUSED = "Alasan tidak boleh berisi karakter kontrol (tak terlihat)."


@pytest.fixture
def staff(in_tenant_a):
    return make_user("bendahara", email="bendahara-ctrl@alpha.test")


@pytest.mark.parametrize("bad", ["keluar\x01", "keluar\x0bkepengurusan", "\x7f", "a\x85b"])
def test_deactivating_refuses_a_control_character_in_the_reason(role_users, staff, bad):
    admin = role_users["admin"]
    with pytest.raises(ApplicationError) as e:
        user_set_active(by=admin, user=staff, active=False, reason=bad)
    assert e.value.code == "validation_error"
    assert e.value.fields == {"reason": [REFUSED]}
    staff.refresh_from_db()
    assert staff.is_active
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


def test_a_reason_on_several_lines_is_kept(role_users, staff):
    user_set_active(by=role_users["admin"], user=staff, active=False, reason="pensiun\r\nSK 12")
    event = AuditEvent.objects.get(action="user.deactivated", target_id=str(staff.pk))
    assert event.reason == "pensiun\r\nSK 12"


def test_reactivating_refuses_a_control_character_in_the_reason(role_users, staff):
    user_set_active(by=role_users["admin"], user=staff, active=False)
    with pytest.raises(ApplicationError):
        user_set_active(by=role_users["admin"], user=staff, active=True, reason="kembali\x1f")
    staff.refresh_from_db()
    assert not staff.is_active


def test_screen_deactivation_with_a_control_character_is_refused(role_client, staff):
    r = role_client("admin").post(
        f"/pengguna/{staff.pk}/status/", {"active": "0", "reason": "keluar\x01"}, follow=True
    )
    assert r.status_code == 200
    assert REFUSED in r.content.decode()
    staff.refresh_from_db()
    assert staff.is_active
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


@pytest.fixture
def key(role_users):
    return apikeys.api_key_create(by=role_users["admin"], name="Sistem gaji", role="bendahara")


def test_revoking_a_key_refuses_a_control_character_in_the_reason(role_users, key):
    with pytest.raises(ApplicationError) as e:
        apikeys.api_key_revoke(by=role_users["admin"], api_key=key.api_key, reason="bocor\x1b")
    assert e.value.fields == {"reason": [REFUSED]}
    assert ApiKey.objects.get(pk=key.api_key.pk).revoked_at is None
    assert not AuditEvent.objects.filter(action="api_key.revoked").exists()


def test_screen_revoking_a_key_with_a_control_character_is_refused_not_a_500(role_client, key):
    client = role_client("admin")
    url = f"/pengguna/kunci-api/{key.api_key.pk}/cabut/"
    r = client.post(url, {"reason": "bocor\x1b"}, follow=True)
    assert r.status_code == 200
    assert REFUSED in r.content.decode()
    assert ApiKey.objects.get(pk=key.api_key.pk).revoked_at is None
    # with a plain reason (or none) it is revoked, the reason audited
    assert client.post(url, {"reason": "bocor di\nlog"}).status_code == 302
    assert ApiKey.objects.get(pk=key.api_key.pk).revoked_at is not None
    assert AuditEvent.objects.get(action="api_key.revoked").reason == "bocor di\nlog"
