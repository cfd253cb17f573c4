"""Operator login: password, then TOTP (enrolled on first login); only operators; the
console is not reachable from a cooperative host nor with a cooperative's login."""

import pytest
from django.conf import settings
from django.test import Client

from core.audit.models import AuditEvent

from .conftest import OPERATOR_PASSWORD, make_operator, totp_now, verified_client

pytestmark = pytest.mark.django_db

CONSOLE = "/konsol/"


def apex() -> Client:
    return Client(HTTP_HOST=settings.BASE_DOMAIN)


def test_first_login_requires_enrolling_a_totp_device():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_operator("support", device=False)
    client = apex()
    resp = client.post("/konsol/masuk/", {"username": user.username, "password": OPERATOR_PASSWORD})
    assert resp.status_code == 302 and resp.url == "/konsol/masuk/dua-langkah/"
    # Password alone does not open the console.
    assert client.get(CONSOLE).status_code == 302
    page = client.get("/konsol/masuk/dua-langkah/")
    assert page.status_code == 200 and b"<svg" not in page.content
    assert not TOTPDevice.objects.filter(user=user).exists()  # a GET makes no key
    assert client.post("/konsol/masuk/dua-langkah/", {"start": "1"}).status_code == 302
    page = client.get("/konsol/masuk/dua-langkah/")
    assert page.status_code == 200 and b"<svg" in page.content
    bad = client.post("/konsol/masuk/dua-langkah/", {"token": "000000"})
    assert (
        bad.status_code == 200 and not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    )
    resp = client.post("/konsol/masuk/dua-langkah/", {"token": totp_now(user)})
    assert resp.status_code == 302
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1
    assert client.get(CONSOLE).status_code == 200
    assert AuditEvent.objects.filter(action="console.login", actor=user).exists()


def test_login_with_device_needs_the_code(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no back-off after the deliberate wrong code
    user = make_operator("admin")
    client = apex()
    resp = client.post(
        "/konsol/masuk/?next=/konsol/koperasi/",
        {"username": user.username, "password": OPERATOR_PASSWORD},
    )
    assert resp.url == "/konsol/masuk/verifikasi/"
    assert client.get(CONSOLE).status_code == 302
    wrong = client.post("/konsol/masuk/verifikasi/", {"token": "123456"})
    assert wrong.status_code == 200 and "salah" in wrong.content.decode()
    assert client.get(CONSOLE).status_code == 302
    ok = client.post("/konsol/masuk/verifikasi/", {"token": totp_now(user)})
    assert ok.status_code == 302 and ok.url == "/konsol/koperasi/"
    assert client.get(CONSOLE).status_code == 200


def test_password_only_session_is_sent_back_to_the_2fa_step():
    user = make_operator("admin")
    client = apex()
    client.force_login(user)  # logged in, no OTP verification in the session
    resp = client.get("/konsol/koperasi/")
    assert resp.status_code == 302 and resp.url.startswith("/konsol/masuk/")


def test_public_user_without_operator_role_is_refused():
    user = make_operator("", username="someone@lumbung.test", device=True)
    resp = apex().post("/konsol/masuk/", {"username": user.username, "password": OPERATOR_PASSWORD})
    assert resp.status_code == 200 and "bukan akun operator" in resp.content.decode()
    assert verified_client(user).get(CONSOLE).status_code == 403


def test_cooperative_user_can_never_reach_the_console(client_a, admin_password):
    # At the cooperative's host there is no console at all.
    resp = client_a.post("/masuk/", {"username": "admin@alpha.test", "password": admin_password})
    assert resp.status_code == 302
    assert client_a.get("/pengguna/").status_code == 200  # logged in at the cooperative
    assert client_a.get(CONSOLE).status_code == 404
    assert client_a.get("/konsol/koperasi/").status_code == 404
    # At the apex the cooperative's credentials do not exist.
    resp = apex().post(
        "/konsol/masuk/", {"username": "admin@alpha.test", "password": admin_password}
    )
    assert resp.status_code == 200
    assert "_auth_user_id" not in apex().session


def test_operator_session_does_not_work_on_a_cooperative_host(op_clients, tenant_a):
    from tenants.services import tenant_host

    op = op_clients["admin"]
    assert op.get(CONSOLE).status_code == 200
    cookie = op.cookies[settings.SESSION_COOKIE_NAME].value
    coop = Client(HTTP_HOST=tenant_host(tenant_a.slug))
    coop.cookies[settings.SESSION_COOKIE_NAME] = cookie
    resp = coop.get("/pengguna/")
    assert resp.status_code == 302 and "/masuk/" in resp.url
    assert coop.get("/dukungan/").status_code == 302


def test_create_operator_command(capsys):
    from django.core.management import call_command

    from core.users.models import User

    call_command("create_operator", "Baru@Ops.Test", role="billing")
    out = capsys.readouterr().out
    assert "Kata sandi awal" in out
    user = User.objects.get(username="baru@ops.test")
    assert user.operator_role == "billing" and user.has_usable_password()
    call_command("create_operator", "baru@ops.test", role="admin")
    user.refresh_from_db()
    assert user.operator_role == "admin"
    assert "Kata sandi awal" not in capsys.readouterr().out


def test_wrong_codes_from_many_addresses_hit_the_per_username_cap(settings):
    """The code step counts failures for one username from every address, as the
    cooperative's login does (core.users.throttle): a guess of the six digits spread
    over addresses stops at LOGIN_USER_FAILURE_LIMIT, below axes' per-address lockout."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_USER_FAILURE_LIMIT = 3
    user = make_operator("admin")
    client = apex()
    resp = client.post(
        "/konsol/masuk/",
        {"username": user.username, "password": OPERATOR_PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.60",
    )
    assert resp.url == "/konsol/masuk/verifikasi/"
    wrong = "000000" if totp_now(user) != "000000" else "111111"
    statuses = [
        client.post(
            "/konsol/masuk/verifikasi/",
            {"token": wrong},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{61 + i}",
        ).status_code
        for i in range(3)
    ]
    assert statuses == [200, 200, 429]
    # the pending login is gone: the right code no longer opens the console
    ok = client.post("/konsol/masuk/verifikasi/", {"token": totp_now(user)})
    assert ok.status_code == 302 and ok.url == "/konsol/masuk/"
    assert client.get(CONSOLE).status_code == 302


def test_the_apex_login_is_the_consoles_two_step_login():
    """ "Operator Lumbung" on the public site, and where an idle console session is sent
    (LOGIN_URL), is /masuk/ on the apex. Failed before: it was Django's plain login
    form, which signed the operator in with the password alone (a session without the
    code step) and then sent them to the console's own login, which asked for the
    password a second time. Now it is the console's login: password, then the code."""
    user = make_operator("admin")
    client = apex()
    page = client.get("/masuk/?next=/konsol/koperasi/")
    assert page.status_code == 302 and page.url == "/konsol/masuk/?next=/konsol/koperasi/"
    posted = client.post("/masuk/", {"username": user.username, "password": OPERATOR_PASSWORD})
    assert posted.status_code == 302 and posted.url.startswith("/konsol/masuk/")
    assert "_auth_user_id" not in client.session  # no password-only session

    form = client.get(page.url)
    assert form.status_code == 200 and "Verifikasi dua langkah wajib" in form.content.decode()
    step = client.post(page.url, {"username": user.username, "password": OPERATOR_PASSWORD})
    assert step.url == "/konsol/masuk/verifikasi/"
    done = client.post(step.url, {"token": totp_now(user)})
    assert done.status_code == 302 and done.url == "/konsol/koperasi/"
    assert client.get("/konsol/koperasi/").status_code == 200


def test_an_idle_console_session_is_sent_to_the_two_step_login(settings):
    import time

    from core.users.middleware import LAST_SEEN_KEY

    settings.SESSION_IDLE_TIMEOUT = 600
    client = verified_client(make_operator("support"))
    assert client.get(CONSOLE).status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 601
    session.save()
    resp = client.get(CONSOLE, follow=True)
    assert resp.redirect_chain[-1][0].startswith("/konsol/masuk/?next=")
    assert "Verifikasi dua langkah wajib" in resp.content.decode()


def test_an_operators_own_browser_is_not_locked_out_by_a_guess_from_elsewhere(settings):
    """As at a cooperative (core.users.devices): failures for the operator's name from
    many addresses cap every browser but the ones the operator completed a login on.
    Failed before: the operator's own browser was refused too."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_USER_FAILURE_LIMIT = 3
    user = make_operator("admin")

    def password_step(client, password, ip):
        return client.post(
            "/konsol/masuk/",
            {"username": user.username, "password": password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=ip,
        )

    own = apex()
    assert password_step(own, OPERATOR_PASSWORD, "203.0.113.20").url == "/konsol/masuk/verifikasi/"
    assert own.post("/konsol/masuk/verifikasi/", {"token": totp_now(user)}).status_code == 302
    own.post("/konsol/keluar/")
    stranger = apex()
    for i in range(3):
        assert password_step(stranger, "tebakan", f"198.51.100.{70 + i}").status_code == 200
    assert password_step(apex(), OPERATOR_PASSWORD, "203.0.113.21").status_code == 429
    assert password_step(own, OPERATOR_PASSWORD, "203.0.113.22").url == "/konsol/masuk/verifikasi/"


def test_a_secret_shown_to_someone_else_is_not_the_one_the_operator_confirms():
    """First login: whoever has the password reaches the enrolment page. Failed before:
    the page showed every visitor the same waiting key, so a stranger who had the
    printed initial password could read it, leave it unconfirmed, and hold a copy of
    the authenticator the operator confirmed later, unseen. Each showing of the page now
    starts a new key; the ones shown before are void."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_operator("support", device=False)
    stranger, own = apex(), apex()
    for client in (stranger, own):
        step = client.post(
            "/konsol/masuk/", {"username": user.username, "password": OPERATOR_PASSWORD}
        )
        assert step.url == "/konsol/masuk/dua-langkah/"
    stranger.post("/konsol/masuk/dua-langkah/", {"start": "1"})
    seen_by_stranger = stranger.get("/konsol/masuk/dua-langkah/").context["secret"]
    own.post("/konsol/masuk/dua-langkah/", {"start": "1"})
    shown_to_operator = own.get("/konsol/masuk/dua-langkah/").context["secret"]
    assert shown_to_operator != seen_by_stranger
    assert own.post("/konsol/masuk/dua-langkah/", {"token": totp_now(user)}).status_code == 302
    from core.users.enrolment import totp_secret

    [confirmed] = TOTPDevice.objects.filter(user=user, confirmed=True)
    assert totp_secret(confirmed) == shown_to_operator
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
