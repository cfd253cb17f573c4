"""The two-step login of a cooperative's staff (core.users.views): what an open session
may do to its own authenticator, and the code step when the login changed after the
password step."""

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.audit.models import AuditEvent
from core.users.models import User
from tenants.services import tenant_host
from tests.webapp.conftest import make_user

PW = "Sandi-Uji-2026!"


def _code(device: TOTPDevice) -> str:
    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t.time = time.time()
    return f"{t.token():0{device.digits}d}"


@pytest.fixture
def staff(in_tenant_a):
    return make_user("bendahara", email="bendahara@alpha.test", password=PW)


@pytest.fixture
def enrolled(staff):
    return TOTPDevice.objects.create(user=staff, name="Authenticator", confirmed=True)


def _client() -> Client:
    return Client(HTTP_HOST=tenant_host("alpha"))


def _verified(user, device) -> Client:
    client = _client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def test_an_open_session_cannot_replace_the_authenticator_without_the_password(staff, enrolled):
    """Turning two-step off asks for the current password (a session left open on a
    shared computer must not weaken the account). Replacing the authenticator is as
    weakening — the owner's phone stops working, a stranger's starts —, so the
    enrolment page of an enrolled login makes no new key and confirms none: it says to
    turn two-step off first (with the password). Failed before: a POST to the
    enrolment page showed a new secret, and a code for it replaced the authenticator."""
    client = _verified(staff, enrolled)
    resp = client.post("/akun/dua-langkah/", {"token": "000000"})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'id="otp-secret"' not in body
    assert "Matikan dulu verifikasi dua langkah" in body
    assert not TOTPDevice.objects.filter(user=staff, confirmed=False).exists()

    # a key made before (an enrolment page opened earlier) cannot be confirmed either
    pending = TOTPDevice.objects.create(user=staff, name="Authenticator", confirmed=False)
    resp = client.post("/akun/dua-langkah/", {"token": _code(pending)})
    assert resp.status_code == 200
    assert list(TOTPDevice.objects.filter(user=staff, confirmed=True)) == [enrolled]
    pending.refresh_from_db()
    assert not pending.confirmed
    assert not AuditEvent.objects.filter(
        action="user.2fa_enabled", target_id=str(staff.pk)
    ).exists()
    assert client.get("/").status_code == 200  # the session itself goes on


def test_turning_two_step_off_keeps_ones_own_session_and_a_new_one_is_enrolled(staff, enrolled):
    """The session that turned two-step off (with the password) goes on: failed before,
    the next page logged it out, saying "Silakan masuk lagi dengan kode dua langkah"
    (the device it had passed with was gone) — to a user who had just turned the code
    off."""
    client = _verified(staff, enrolled)
    off = client.post("/akun/dua-langkah/matikan/", {"current_password": PW}, follow=True)
    assert off.redirect_chain == [("/akun/", 302)]
    body = off.content.decode()
    assert "Verifikasi dua langkah dimatikan." in body
    assert "Silakan masuk lagi" not in body
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.post("/akun/dua-langkah/", {"start": "1"}).status_code == 302  # *Mulai*
    page = client.get("/akun/dua-langkah/")
    assert 'id="otp-secret"' in page.content.decode()
    new = TOTPDevice.objects.get(user=staff, confirmed=False)
    done = client.post("/akun/dua-langkah/", {"token": _code(new)})
    assert done.status_code == 302
    assert list(TOTPDevice.objects.filter(user=staff, confirmed=True)) == [new]


def test_a_login_deactivated_between_the_password_and_the_code_is_told_plainly(staff, enrolled):
    """Failed before: the code step answered a bare 404 (Halaman tidak ditemukan)."""
    for method in ("get", "post"):
        client = _client()
        resp = client.post("/masuk/", {"username": staff.username, "password": PW})
        assert resp["Location"] == "/masuk/verifikasi/"
        User.objects.filter(pk=staff.pk).update(is_active=False)
        resp = getattr(client, method)(
            "/masuk/verifikasi/", {"token": _code(enrolled)}, follow=True
        )
        assert resp.redirect_chain[-1][0] == "/masuk/"
        assert "Akun ini tidak aktif. Hubungi admin koperasi." in resp.content.decode()
        assert "_auth_user_id" not in client.session
        User.objects.filter(pk=staff.pk).update(is_active=True)


def test_a_code_is_accepted_once(staff, enrolled):
    """Regression: a code seen over a shoulder cannot be used again for a second login."""
    code = _code(enrolled)
    first = _client()
    first.post("/masuk/", {"username": staff.username, "password": PW})
    assert first.post("/masuk/verifikasi/", {"token": code}).status_code == 302
    second = _client()
    second.post("/masuk/", {"username": staff.username, "password": PW})
    again = second.post("/masuk/verifikasi/", {"token": code})
    assert again.status_code == 200 and "Kode salah" in again.content.decode()
    assert "_auth_user_id" not in second.session


def test_an_admin_cannot_turn_their_own_two_step_off_through_the_users_page(in_tenant_a):
    """The admins' "Matikan dua langkah" (``/pengguna/<id>/reset-dua-langkah/``, for a
    colleague's lost phone) asks for no password; on one's own login it is refused, so a
    session left open cannot weaken the account without the password (which the account
    page asks for). Failed before: an admin's open session turned its own two-step off
    with one POST. A colleague's reset still works."""
    admin = make_user("admin", email="admin2@alpha.test", password=PW)
    device = TOTPDevice.objects.create(user=admin, name="Authenticator", confirmed=True)
    client = _verified(admin, device)
    own_page = client.get(f"/pengguna/{admin.pk}/").content.decode()
    assert f"/pengguna/{admin.pk}/reset-dua-langkah/" not in own_page  # no button for it
    resp = client.post(f"/pengguna/{admin.pk}/reset-dua-langkah/", follow=True)
    assert resp.redirect_chain[-1][0] == f"/pengguna/{admin.pk}/"
    assert (
        "Verifikasi dua langkah Anda sendiri dimatikan di halaman Akun, dengan kata sandi "
        "Anda." in resp.content.decode()
    )
    assert list(TOTPDevice.objects.filter(user=admin)) == [device]
    assert not AuditEvent.objects.filter(
        action="user.2fa_disabled", target_id=str(admin.pk)
    ).exists()
    assert client.get("/").status_code == 200  # the session goes on, still verified

    colleague = make_user("bendahara", email="bendahara2@alpha.test", password=PW)
    TOTPDevice.objects.create(user=colleague, name="Authenticator", confirmed=True)
    done = client.post(f"/pengguna/{colleague.pk}/reset-dua-langkah/", follow=True)
    assert "Dua langkah untuk Bendahara Uji dimatikan." in done.content.decode()
    assert not TOTPDevice.objects.filter(user=colleague).exists()
    event = AuditEvent.objects.get(action="user.2fa_disabled", target_id=str(colleague.pk))
    assert event.actor_id == admin.pk
