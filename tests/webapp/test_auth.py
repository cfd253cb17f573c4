"""Login per cooperative host, lockout (django-axes, per schema), TOTP second step,
password reset by e-mail, idle timeout."""

import re
import time

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.users.middleware import LAST_SEEN_KEY
from core.users.models import User
from tenants.services import tenant_host
from tests.webapp.conftest import make_user

PW = "Sandi-Uji-2026!"


def _code(device: TOTPDevice, *, offset: int = 0) -> str:
    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t.time = time.time() + offset * device.step
    return f"{t.token():0{device.digits}d}"


@pytest.fixture
def staff(in_tenant_a):
    return make_user("bendahara", email="bendahara@alpha.test", password=PW)


def test_login_on_the_cooperative_host_opens_the_dashboard(client_a, staff):
    resp = client_a.post("/masuk/", {"username": staff.username, "password": PW})
    assert resp.status_code == 302 and resp["Location"] == "/"
    home = client_a.get("/")
    assert home.status_code == 200
    assert "Beranda" in home.content.decode()


def test_a_user_of_one_cooperative_cannot_log_in_on_another(client_b, staff):
    resp = client_b.post("/masuk/", {"username": staff.username, "password": PW})
    assert resp.status_code == 200  # the form again, with an error
    assert "_auth_user_id" not in client_b.session


def test_member_login_lands_in_the_portal(client_a, in_tenant_a):
    member = make_user("anggota", email="anggota@alpha.test", password=PW)
    client_a.post("/masuk/", {"username": member.username, "password": PW})
    resp = client_a.get("/")
    assert resp.status_code == 302 and resp["Location"] == "/portal/"


def test_lockout_after_repeated_failures(client_a, staff, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        resp = client_a.post("/masuk/", {"username": staff.username, "password": "salah"})
        assert resp.status_code == 200
    resp = client_a.post("/masuk/", {"username": staff.username, "password": "salah"})
    assert resp.status_code == 429
    assert "Terlalu banyak percobaan gagal" in resp.content.decode()
    # Even the right password is refused while locked out.
    resp = client_a.post("/masuk/", {"username": staff.username, "password": PW})
    assert resp.status_code == 429
    assert "_auth_user_id" not in client_a.session


def test_lockout_is_counted_per_cooperative(client_a, client_b, staff, settings, tenant_b):
    from django.db import connection

    for _ in range(settings.AXES_FAILURE_LIMIT):
        client_a.post("/masuk/", {"username": staff.username, "password": "salah"})
    # The same username in cooperative B is a different person with its own counter.
    connection.set_tenant(tenant_b)
    make_user("bendahara", email="bendahara@alpha.test", password=PW)
    resp = client_b.post("/masuk/", {"username": "bendahara@alpha.test", "password": PW})
    assert resp.status_code == 302


def test_success_resets_the_failure_count(client_a, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client_a.post("/masuk/", {"username": staff.username, "password": "salah"})
    assert client_a.post("/masuk/", {"username": staff.username, "password": PW}).status_code == 302
    c = Client(HTTP_HOST=tenant_host("alpha"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            c.post("/masuk/", {"username": staff.username, "password": "salah"}).status_code == 200
        )


# ---------------------------------------------------------------- TOTP


@pytest.fixture
def enrolled(staff):
    return TOTPDevice.objects.create(user=staff, name="Authenticator", confirmed=True)


def test_enrolled_user_must_give_a_code_before_being_logged_in(client_a, staff, enrolled):
    resp = client_a.post("/masuk/", {"username": staff.username, "password": PW, "next": "/audit/"})
    assert resp.status_code == 302 and resp["Location"] == "/masuk/verifikasi/"
    assert "_auth_user_id" not in client_a.session
    assert client_a.get("/").status_code == 302  # not logged in yet

    bad = client_a.post(
        "/masuk/verifikasi/", {"token": "000000" if _code(enrolled) != "000000" else "111111"}
    )
    assert bad.status_code == 200 and "Kode salah" in bad.content.decode()

    enrolled.refresh_from_db()
    enrolled.throttle_reset()  # django-otp delays the next try after a wrong code
    ok = client_a.post("/masuk/verifikasi/", {"token": _code(enrolled)})
    assert ok.status_code == 302 and ok["Location"] == "/audit/"
    assert client_a.session["_auth_user_id"] == str(staff.pk)
    assert client_a.session["otp_device_id"] == enrolled.persistent_id


def test_verify_step_without_a_password_first_goes_back_to_login(client_a):
    resp = client_a.post("/masuk/verifikasi/", {"token": "123456"})
    assert resp.status_code == 302 and resp["Location"] == "/masuk/"


def test_wrong_codes_count_towards_the_lockout(client_a, staff, enrolled, settings):
    client_a.post("/masuk/", {"username": staff.username, "password": PW})
    wrong = "000000" if _code(enrolled) != "000000" else "111111"
    statuses = []
    for _ in range(settings.AXES_FAILURE_LIMIT):
        enrolled.refresh_from_db()
        enrolled.throttling_failure_count = 0  # django-otp's own throttle is separate
        enrolled.save()
        statuses.append(client_a.post("/masuk/verifikasi/", {"token": wrong}).status_code)
    assert statuses[-1] == 429
    assert "_auth_user_id" not in client_a.session


def test_staff_enrols_totp_with_a_qr_code(client_a, staff):
    client_a.force_login(staff)
    page = client_a.get("/akun/dua-langkah/")
    assert page.status_code == 200 and "<svg" not in page.content.decode()
    start = client_a.post("/akun/dua-langkah/", {"start": "1"})
    assert start.status_code == 302 and start["Location"] == "/akun/dua-langkah/"
    page = client_a.get("/akun/dua-langkah/")
    body = page.content.decode()
    assert "<svg" in body
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert page.context["secret"] == client_a.get("/akun/dua-langkah/").context["secret"]
    assert client_a.post("/akun/dua-langkah/", {"token": "99999x"}).status_code == 200
    device.refresh_from_db()
    assert not device.confirmed
    resp = client_a.post("/akun/dua-langkah/", {"token": _code(device)})
    assert resp.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    from core.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="user.2fa_enabled", target_id=str(staff.pk)).exists()


def test_opening_the_enrolment_page_writes_nothing(client_a, staff):
    """A GET must be safe (a link or image on another site makes the browser send one):
    opening the enrolment page makes no key and leaves the session as it was; *Mulai*
    (a POST with the CSRF token) makes it. Failed before: every GET made a new pending
    key (and voided the one being scanned)."""
    client_a.force_login(staff)

    def kept(session) -> dict:  # the idle timeout's clock moves on every request
        return {k: v for k, v in session.items() if k != "lumbung_last_seen"}

    before = kept(client_a.session)
    for _ in range(2):
        page = client_a.get("/akun/dua-langkah/")
        assert page.status_code == 200
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert kept(client_a.session) == before
    body = page.content.decode()
    assert 'name="start"' in body and 'method="post"' in body
    assert 'id="otp-secret"' not in body


def test_a_code_without_a_started_key_is_refused(client_a, staff):
    """A key started by another session (pressing *Mulai* elsewhere) is not this
    session's: a code sent here confirms nothing and the page says to start again."""
    client_a.force_login(staff)
    other = TOTPDevice.objects.create(user=staff, name="Authenticator", confirmed=False)
    resp = client_a.post("/akun/dua-langkah/", {"token": _code(other)}, follow=True)
    assert "Tekan Mulai untuk membuat kunci baru" in resp.content.decode()
    other.refresh_from_db()
    assert not other.confirmed


def test_totp_issuer_names_the_cooperative(staff, tenant_a):
    device = TOTPDevice.objects.create(user=staff, name="x", confirmed=False)
    assert "issuer=Lumbung%20%C2%B7%20KPRI%20Alpha" in device.config_url


def test_members_cannot_enrol_totp(client_a, in_tenant_a):
    member = make_user("anggota")
    client_a.force_login(member)
    assert client_a.get("/akun/dua-langkah/").status_code == 403


# ---------------------------------------------------------------- password reset


def test_password_reset_by_email_on_the_cooperative_host(client_a, staff, committed):
    with committed():  # the e-mail is a task queued on commit (core.users.tasks)
        resp = client_a.post("/lupa-sandi/", {"email": staff.email})
    assert resp.status_code == 302 and resp["Location"] == "/lupa-sandi/terkirim/"
    assert len(mail.outbox) == 1
    msg = mail.outbox[0]
    assert msg.to == [staff.email]
    assert "kata sandi" in msg.body.lower()
    # The link is on the cooperative's configured address (SITE_PORT 8000 here).
    path = re.search(r"http://alpha\.localhost:8000(/atur-sandi/\S+/)", msg.body).group(1)
    form = client_a.get(path, follow=True)
    assert form.status_code == 200 and "Buat kata sandi baru" in form.content.decode()
    done = client_a.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Baru-Sekali-2026", "new_password2": "Baru-Sekali-2026"},
    )
    assert done.status_code == 302 and done["Location"] == "/atur-sandi/selesai/"
    staff.refresh_from_db()
    assert staff.check_password("Baru-Sekali-2026")


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(
    client_a, in_tenant_a, committed
):
    with committed():
        resp = client_a.post("/lupa-sandi/", {"email": "tidak-ada@alpha.test"})
    assert resp.status_code == 302 and resp["Location"] == "/lupa-sandi/terkirim/"
    assert mail.outbox == []


def test_change_password_is_audited(client_a, staff):
    from core.audit.models import AuditEvent

    client_a.post("/masuk/", {"username": staff.username, "password": PW})
    resp = client_a.post(
        "/akun/kata-sandi/",
        {
            "old_password": PW,
            "new_password1": "Lain-Lagi-2026!",
            "new_password2": "Lain-Lagi-2026!",
        },
    )
    assert resp.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("Lain-Lagi-2026!")
    assert AuditEvent.objects.filter(action="user.password_changed", actor=staff).exists()
    assert client_a.get("/").status_code == 200  # still logged in after the change


# ---------------------------------------------------------------- idle timeout


def test_idle_session_is_logged_out(client_a, staff, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client_a.force_login(staff)
    assert client_a.get("/").status_code == 200
    s = client_a.session
    s[LAST_SEEN_KEY] = int(time.time()) - 601
    s.save()
    resp = client_a.get("/audit/")
    assert resp.status_code == 302 and resp["Location"].startswith("/masuk/?next=/audit/")
    assert "_auth_user_id" not in client_a.session


def test_active_session_is_kept(client_a, staff, settings):
    settings.SESSION_IDLE_TIMEOUT = 600
    client_a.force_login(staff)
    client_a.get("/")
    s = client_a.session
    s[LAST_SEEN_KEY] = int(time.time()) - 500
    s.save()
    assert client_a.get("/").status_code == 200
    assert client_a.session[LAST_SEEN_KEY] >= int(time.time()) - 5


def test_deactivated_user_cannot_log_in(client_a, staff):
    User.objects.filter(pk=staff.pk).update(is_active=False)
    resp = client_a.post("/masuk/", {"username": staff.username, "password": PW})
    assert resp.status_code == 200
    assert "_auth_user_id" not in client_a.session


def test_password_reset_link_ignores_the_host_header(tenant_a, staff, committed):
    forged = Client(HTTP_HOST="alpha.localhost:6666")
    with committed():
        resp = forged.post("/lupa-sandi/", {"email": staff.email})
    assert resp.status_code == 302
    body = mail.outbox[-1].body
    assert "http://alpha.localhost:8000/atur-sandi/" in body
    assert "6666" not in body


def test_password_reset_sends_at_most_a_few_mails_per_address(client_a, staff, settings, committed):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 2
    for i in range(5):
        with committed():
            resp = client_a.post(
                "/lupa-sandi/", {"email": staff.email}, REMOTE_ADDR=f"192.0.2.{i + 1}"
            )
        assert resp.status_code == 302 and resp["Location"] == "/lupa-sandi/terkirim/"
    assert len(mail.outbox) == 2


def test_password_reset_is_limited_per_client_address(client_a, staff, settings, committed):
    settings.PASSWORD_RESET_IP_LIMIT = 3
    with committed():
        codes = [
            client_a.post(
                "/lupa-sandi/", {"email": f"orang{i}@alpha.test"}, REMOTE_ADDR="192.0.2.50"
            ).status_code
            for i in range(4)
        ]
    assert codes == [302, 302, 302, 429]
    with committed():
        other = client_a.post("/lupa-sandi/", {"email": staff.email}, REMOTE_ADDR="192.0.2.51")
    assert other.status_code == 302 and len(mail.outbox) == 1


# ---------------------------------------------------------------- client address, caps


def _login(client, username, password, *, ip: str, proxy: str = "10.0.0.2", spoof: str = ""):
    xff = f"{spoof}, {ip}" if spoof else ip
    return client.post(
        "/masuk/",
        {"username": username, "password": password},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=xff,
    )


def test_behind_the_proxy_a_stranger_cannot_lock_the_victim_out(client_a, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = _login(client_a, staff.username, "salah", ip="198.51.100.7")
    assert last.status_code == 429
    victim = Client(HTTP_HOST=tenant_host("alpha"))
    assert _login(victim, staff.username, PW, ip="203.0.113.9").status_code == 302


def test_a_forged_forwarded_for_does_not_escape_the_lockout(client_a, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    statuses = [
        _login(client_a, staff.username, "salah", ip="198.51.100.7", spoof=f"1.2.3.{i}").status_code
        for i in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert statuses[-1] == 429


def test_one_password_sprayed_over_many_users_is_capped_per_address(client_a, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_IP_FAILURE_LIMIT = 6
    for i in range(6):  # one failure per username: axes' per-user lockout never fires
        resp = _login(client_a, f"orang{i}@alpha.test", "Musim-Hujan-2026", ip="198.51.100.8")
        assert resp.status_code == 200
    blocked = _login(client_a, staff.username, PW, ip="198.51.100.8")
    assert blocked.status_code == 429
    assert "_auth_user_id" not in client_a.session
    elsewhere = Client(HTTP_HOST=tenant_host("alpha"))
    assert _login(elsewhere, staff.username, PW, ip="203.0.113.10").status_code == 302


def test_one_user_guessed_from_many_addresses_is_capped(client_a, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_USER_FAILURE_LIMIT = 6
    for i in range(6):
        assert (
            _login(client_a, staff.username, "salah", ip=f"198.51.100.{20 + i}").status_code == 200
        )
    assert _login(client_a, staff.username, PW, ip="198.51.100.99").status_code == 429


# ---------------------------------------------------------------- review: auth hardening


@pytest.mark.parametrize("host", ["tenant", "apex"])
@pytest.mark.parametrize("length", [151, 300, 100_000])
def test_an_overlong_username_is_a_form_error_not_a_500(client_a, client_public, host, length):
    """A login name longer than a login holds (150) is refused by the form; it used to
    reach the lockout's failure record (255 characters) and fail with a 500."""
    from axes.models import AccessAttempt

    client, paths = (
        (client_a, ["/masuk/"])
        if host == "tenant"
        else (client_public, ["/konsol/masuk/", "/dinas/masuk/"])  # apex /masuk/: the console's
    )
    for path in paths:
        resp = client.post(path, {"username": "x" * length, "password": "salah"})
        assert resp.status_code == 200, path
        body = resp.content.decode()
        assert f"paling banyak 150 karakter (ini {length})" in body, path
        assert "_auth_user_id" not in client.session
    assert not AccessAttempt.objects.filter(username__startswith="xxx").exists()


def test_a_session_verified_with_a_removed_device_ends(client_a, staff, enrolled):
    """The admin turns off a lost authenticator and the user enrols a new one: a session
    that passed the code step with the old device is over (it proved nothing any more)."""
    from core.users import services

    client_a.post("/masuk/", {"username": staff.username, "password": PW})
    assert client_a.post("/masuk/verifikasi/", {"token": _code(enrolled)}).status_code == 302
    assert client_a.get("/").status_code == 200
    admin = make_user("admin", email="admin-2fa@alpha.test")
    services.totp_disable(user=staff, by=admin)
    TOTPDevice.objects.create(user=staff, name="Ponsel baru", confirmed=True)

    resp = client_a.get("/audit/")
    assert resp.status_code == 302 and resp["Location"].startswith("/masuk/?next=/audit/")
    assert "_auth_user_id" not in client_a.session


def test_a_session_verified_with_a_removed_device_ends_even_without_a_new_one(
    client_a, staff, enrolled
):
    from core.users import services

    client_a.post("/masuk/", {"username": staff.username, "password": PW})
    assert client_a.post("/masuk/verifikasi/", {"token": _code(enrolled)}).status_code == 302
    admin = make_user("admin", email="admin-2fa@alpha.test")
    services.totp_disable(user=staff, by=admin)
    assert client_a.get("/").status_code == 302
    assert "_auth_user_id" not in client_a.session
    # a fresh password login (no device now) works as for any user without one
    client_a.post("/masuk/", {"username": staff.username, "password": PW})
    assert client_a.get("/").status_code == 200


def test_a_session_verified_with_its_device_is_kept(client_a, staff, enrolled):
    client_a.post("/masuk/", {"username": staff.username, "password": PW})
    assert client_a.post("/masuk/verifikasi/", {"token": _code(enrolled)}).status_code == 302
    for _ in range(2):
        assert client_a.get("/").status_code == 200


def test_password_reset_by_email_is_audited(client_a, staff, committed):
    from core.audit.models import AuditEvent

    with committed():
        client_a.post("/lupa-sandi/", {"email": staff.email})
    path = re.search(r"http://alpha\.localhost:8000(/atur-sandi/\S+/)", mail.outbox[-1].body)[1]
    form = client_a.get(path, follow=True)
    done = client_a.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Baru-Sekali-2026", "new_password2": "Baru-Sekali-2026"},
    )
    assert done.status_code == 302
    event = AuditEvent.objects.get(action="user.password_reset")
    assert event.target_id == str(staff.pk)
    assert event.actor_id == staff.pk
    assert event.data == {"invited": False}


def test_an_invited_user_whose_link_expired_gets_a_new_one_from_forgot_password(
    client_a, in_tenant_a, settings, committed
):
    """An invitation is a reset link (valid PASSWORD_RESET_TIMEOUT): once it expired, the
    invited user asks "Lupa kata sandi" for a new one. It used to send nothing (the
    login has no usable password yet), leaving them with no way in."""
    from core.audit.models import AuditEvent
    from core.users import services

    admin = make_user("admin", email="admin-undang@alpha.test")
    invited = services.user_create(
        by=admin, email="baru@alpha.test", full_name="Petugas Baru", role="petugas"
    )
    assert not invited.has_usable_password()
    with committed():
        resp = client_a.post("/lupa-sandi/", {"email": "Baru@alpha.test"})
    assert resp.status_code == 302 and resp["Location"] == "/lupa-sandi/terkirim/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["baru@alpha.test"]
    path = re.search(r"http://alpha\.localhost:8000(/atur-sandi/\S+/)", mail.outbox[0].body)[1]
    form = client_a.get(path, follow=True)
    assert "Buat kata sandi baru" in form.content.decode()
    client_a.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Baru-Sekali-2026", "new_password2": "Baru-Sekali-2026"},
    )
    invited.refresh_from_db()
    assert invited.check_password("Baru-Sekali-2026")
    event = AuditEvent.objects.get(action="user.password_reset")
    assert event.data == {"invited": True}
    login = Client(HTTP_HOST=tenant_host("alpha"))
    assert (
        login.post(
            "/masuk/", {"username": "baru@alpha.test", "password": "Baru-Sekali-2026"}
        ).status_code
        == 302
    )


def test_forgot_password_sends_nothing_to_logins_that_are_not_people(
    client_a, in_tenant_a, committed
):
    """A deactivated invited user, and a login that has signed in before and has no
    usable password, get no link."""
    from core.users import services

    admin = make_user("admin", email="admin-undang@alpha.test")
    gone = services.user_create(by=admin, email="pergi@alpha.test", full_name="P", role="petugas")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    odd = make_user("petugas", email="aneh@alpha.test")
    User.objects.filter(pk=odd.pk).update(last_login="2026-01-01T00:00:00Z")
    for email in ["pergi@alpha.test", "aneh@alpha.test"]:
        with committed():
            resp = client_a.post("/lupa-sandi/", {"email": email})
        assert resp.status_code == 302 and resp["Location"] == "/lupa-sandi/terkirim/"
    assert mail.outbox == []


def test_the_login_name_is_not_case_sensitive(client_a, staff):
    """Logins are e-mail addresses (stored in lower case): one typed with capitals (a
    phone capitalises the first letter) signs in; only the password is case-sensitive,
    as the error message says."""
    resp = client_a.post("/masuk/", {"username": " Bendahara@Alpha.TEST ", "password": PW})
    assert resp.status_code == 302 and resp["Location"] == "/"
    assert client_a.session["_auth_user_id"] == str(staff.pk)


def test_a_login_name_stored_with_capitals_signs_in_however_typed(client_a, in_tenant_a):
    """A self sign-up keeps the capitals of the address's local part in the login."""
    user = make_user("admin", email="Budi.Santoso@alpha.test", password=PW)
    for typed in ["Budi.Santoso@alpha.test", "budi.santoso@alpha.test"]:
        c = Client(HTTP_HOST=tenant_host("alpha"))
        resp = c.post("/masuk/", {"username": typed, "password": PW})
        assert resp.status_code == 302, typed
        assert c.session["_auth_user_id"] == str(user.pk)


def test_changing_the_case_of_the_login_name_does_not_escape_the_lockout(client_a, staff, settings):
    variants = ["bendahara@alpha.test", "Bendahara@alpha.test", "BENDAHARA@alpha.test"]
    statuses = [
        client_a.post(
            "/masuk/", {"username": variants[i % len(variants)], "password": "salah"}
        ).status_code
        for i in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[-1] == 429
    resp = client_a.post("/masuk/", {"username": "BenDahara@Alpha.test", "password": PW})
    assert resp.status_code == 429
    assert "_auth_user_id" not in client_a.session


def test_changing_the_case_does_not_escape_the_per_user_cap(client_a, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_USER_FAILURE_LIMIT = 4
    for i in range(4):
        name = "bendahara@alpha.test" if i % 2 else "BENDAHARA@ALPHA.TEST"
        assert _login(client_a, name, "salah", ip=f"198.51.100.{40 + i}").status_code == 200
    assert _login(client_a, "Bendahara@alpha.test", PW, ip="198.51.100.99").status_code == 429


def test_a_success_with_other_capitals_resets_the_failures(client_a, staff, settings):
    from axes.models import AccessAttempt

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client_a.post("/masuk/", {"username": "bendahara@alpha.test", "password": "salah"})
    ok = client_a.post("/masuk/", {"username": "Bendahara@Alpha.test", "password": PW})
    assert ok.status_code == 302
    assert not AccessAttempt.objects.filter(username="bendahara@alpha.test").exists()


# ---------------------------------------------------------------- review: re-authentication


def _signed_in(client, user, device=None):
    """``client`` logged in as ``user``, past the code step with ``device`` if given."""
    client.force_login(user)
    if device is not None:
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


def _events(action: str, user) -> int:
    from core.audit.models import AuditEvent

    return AuditEvent.objects.filter(action=action, target_id=str(user.pk)).count()


@pytest.mark.parametrize("given", [None, "", "salah-sekali"])
def test_turning_off_two_factor_needs_the_current_password(client_a, staff, enrolled, given):
    _signed_in(client_a, staff, enrolled)
    data = {} if given is None else {"current_password": given}
    resp = client_a.post("/akun/dua-langkah/matikan/", data)
    assert resp.status_code == 200
    errors = resp.context["form"].errors["current_password"]
    expected = "Kata sandi saat ini salah." if given else "Masukkan kata sandi Anda saat ini."
    assert errors == [expected]
    assert expected in resp.content.decode()
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).count() == 1
    assert _events("user.2fa_disabled", staff) == 0
    assert _events("user.reauth_failed", staff) == (1 if given else 0)
    assert client_a.session["_auth_user_id"] == str(staff.pk)  # still signed in


def test_turning_off_two_factor_with_the_current_password(client_a, staff, enrolled):
    _signed_in(client_a, staff, enrolled)
    resp = client_a.post("/akun/dua-langkah/matikan/", {"current_password": PW})
    assert resp.status_code == 302 and resp["Location"] == "/akun/"
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert _events("user.2fa_disabled", staff) == 1


@pytest.mark.parametrize("given", [None, "", "salah-sekali"])
def test_changing_ones_own_email_needs_the_current_password(client_a, staff, given):
    _signed_in(client_a, staff)
    data = {"full_name": "Nama Baru", "email": "penyerang@contoh.test"}
    if given is not None:
        data["current_password"] = given
    resp = client_a.post("/akun/", data)
    assert resp.status_code == 200
    expected = "Kata sandi saat ini salah." if given else "Masukkan kata sandi Anda saat ini."
    assert resp.context["form"].errors["current_password"] == [expected]
    staff.refresh_from_db()
    assert staff.email == "bendahara@alpha.test"
    assert staff.full_name != "Nama Baru"  # nothing of the form was saved
    assert _events("user.profile_updated", staff) == 0
    assert _events("user.reauth_failed", staff) == (1 if given else 0)


def test_changing_ones_own_email_with_the_current_password(client_a, staff):
    _signed_in(client_a, staff)
    resp = client_a.post(
        "/akun/",
        {"full_name": "Bendahara", "email": "baru@alpha.test", "current_password": PW},
    )
    assert resp.status_code == 302
    staff.refresh_from_db()
    assert staff.email == "baru@alpha.test"
    from core.audit.models import AuditEvent

    event = AuditEvent.objects.get(action="user.profile_updated", target_id=str(staff.pk))
    assert event.data == {"email": {"from": "bendahara@alpha.test", "to": "baru@alpha.test"}}


def test_changing_only_ones_name_needs_no_password(client_a, staff):
    _signed_in(client_a, staff)
    resp = client_a.post("/akun/", {"full_name": "Nama Baru", "email": " Bendahara@alpha.test "})
    assert resp.status_code == 302
    staff.refresh_from_db()
    assert staff.full_name == "Nama Baru" and staff.email == "bendahara@alpha.test"


def test_a_member_changing_the_email_needs_the_current_password(client_a, in_tenant_a):
    member = make_user("anggota", email="anggota@alpha.test", password=PW)
    _signed_in(client_a, member)
    resp = client_a.post("/akun/", {"full_name": "Anggota", "email": "lain@contoh.test"})
    assert resp.status_code == 200
    assert "Masukkan kata sandi Anda saat ini." in resp.content.decode()
    member.refresh_from_db()
    assert member.email == "anggota@alpha.test"


def test_wrong_current_passwords_count_towards_the_login_lockout(client_a, staff, settings):
    """Guessing the password on the account page (a session left open) is stopped as a
    guess at the login form is: the lockout ends the session and the login is locked."""
    _signed_in(client_a, staff)
    statuses = [
        client_a.post(
            "/akun/",
            {"full_name": "x", "email": "penyerang@contoh.test", "current_password": "salah"},
        ).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    assert "_auth_user_id" not in client_a.session
    staff.refresh_from_db()
    assert staff.email == "bendahara@alpha.test"
    # the login form is locked for this name and address too, even with the right password
    assert client_a.post("/masuk/", {"username": staff.username, "password": PW}).status_code == 429
