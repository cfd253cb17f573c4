"""The practice copy holds the cooperative's staff logins — same password, same
authenticator (tenants.practice) — at another address. It must not be a second door to
the same accounts: a TOTP code spent at one is spent at both (django-otp keeps the last
code's time step per device row, and each schema has its own row), and wrong passwords
and codes at the copy count against the cooperative's lockout and caps (django-axes'
counters and core.users.throttle's are per schema), so a stranger guessing a staff
password gets no more tries for having two addresses to try it at."""

import time

import pytest
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from tests.webapp.conftest import _own_cache_keys  # noqa: F401  (rate limits per test)

pytestmark = pytest.mark.slow

USER = "kasir@alpha.test"
PW = "Kasir-123!"


@pytest.fixture
def coop(pair_coop):
    """The real cooperative: ``practice_pair``'s, one per module (tests/tenants/conftest.py)."""
    return pair_coop


@pytest.fixture
def practice_a(pair_practice):
    """``coop``'s practice copy, opened once for the module."""
    return pair_practice


def _host(slug):
    from tenants.services import tenant_host

    return tenant_host(slug)


@pytest.fixture
def kasir(practice_a, coop):
    """A petugas of the cooperative with an authenticator, copied into its practice copy."""
    from core.users.models import User
    from tenants.practice import practice_open

    with schema_context(coop.schema_name):
        user = User.objects.create_user(
            username=USER, email=USER, password=PW, role="petugas", is_staff=True
        )
        TOTPDevice.objects.create(user=user, name="HP", confirmed=True)
    practice_open(cooperative=coop, by="tests")
    connection.set_schema_to_public()
    return user


def _code(coop, *, steps_ahead: int = 0) -> str:
    with schema_context(coop.schema_name):
        device = TOTPDevice.objects.get(user__username=USER)
    t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    t.time = time.time() + steps_ahead * device.step
    return f"{t.token():0{device.digits}d}"


def _password_step(coop, password=PW, *, ip="192.0.2.60", client=None):
    client = client or Client(HTTP_HOST=_host(coop.slug))
    r = client.post("/masuk/", {"username": USER, "password": password}, REMOTE_ADDR=ip)
    return client, r


def _signs_in_with_code(coop, code: str, *, ip="192.0.2.60") -> bool:
    client, r = _password_step(coop, ip=ip)
    assert (r.status_code, r["Location"]) == (302, "/masuk/verifikasi/"), r.content[:300]
    r = client.post("/masuk/verifikasi/", {"token": code}, REMOTE_ADDR=ip)
    if r.status_code != 302:
        assert "Kode salah" in r.content.decode()
        return False
    assert r["Location"] == "/"  # signed in: on to the dashboard
    return True


def _no_delay(*coops) -> None:
    """django-otp delays the next code after a wrong one (at both addresses, now)."""
    for coop in coops:
        with schema_context(coop.schema_name):
            TOTPDevice.objects.filter(user__username=USER).update(throttling_failure_count=0)


# ------------------------------------------------------------------- TOTP replay


def test_a_code_used_at_the_cooperative_is_refused_at_its_practice_copy(kasir, coop, practice_a):
    """Failed before: the copy's authenticator row had not seen the code, and took it."""
    code = _code(coop)
    assert _signs_in_with_code(coop, code)
    assert not _signs_in_with_code(practice_a, code, ip="192.0.2.61")
    # the next code works there (and is then spent at the cooperative)
    _no_delay(coop, practice_a)
    following = _code(coop, steps_ahead=1)
    assert _signs_in_with_code(practice_a, following, ip="192.0.2.62")
    assert not _signs_in_with_code(coop, following, ip="192.0.2.63")


def test_a_code_used_in_the_practice_copy_is_refused_at_the_cooperative(kasir, coop, practice_a):
    code = _code(practice_a)
    assert _signs_in_with_code(practice_a, code)
    assert not _signs_in_with_code(coop, code, ip="192.0.2.64")


def test_the_copy_made_again_does_not_bring_back_a_spent_code(kasir, coop, practice_a):
    """Entering the copy copies the logins again: the copy's record of the last code is
    kept when it is the later one."""
    from tenants.practice import practice_open

    code = _code(practice_a)
    assert _signs_in_with_code(practice_a, code)
    practice_open(cooperative=coop, by="tests")
    connection.set_schema_to_public()
    assert not _signs_in_with_code(practice_a, code, ip="192.0.2.65")


# --------------------------------------------------------------- lockout and caps


def test_wrong_passwords_at_the_copy_count_towards_the_cooperatives_lockout(
    kasir, coop, practice_a, settings
):
    """Failed before: each schema counted its own five (username and address)."""
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 2):
        assert _password_step(coop, "salah")[1].status_code == 200
    for _ in range(2):
        _password_step(practice_a, "salah")
    assert _password_step(coop)[1].status_code == 429  # the right password, locked
    assert _password_step(practice_a)[1].status_code == 429


def test_wrong_passwords_at_the_cooperative_lock_the_copy_too(kasir, coop, practice_a, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_step(coop, "salah")
    assert _password_step(practice_a)[1].status_code == 429


def test_a_guess_spread_over_both_addresses_gets_no_more_tries_than_the_per_login_cap(
    kasir, coop, practice_a, settings
):
    """A stranger guessing the password from many client addresses, at the cooperative
    and at its copy by turns: the per-login cap (LOGIN_USER_FAILURE_LIMIT) counts them
    together. Failed before: twice the cap, half at each address."""
    settings.LOGIN_USER_FAILURE_LIMIT = 4
    answers = []
    for i in range(8):
        coop = (coop, practice_a)[i % 2]
        answers.append(_password_step(coop, "tebakan", ip=f"198.51.100.{20 + i}")[1].status_code)
    assert answers == [200, 200, 200, 200, 429, 429, 429, 429]


def test_wrong_codes_at_the_copy_count_towards_the_cooperatives_lockout(
    kasir, coop, practice_a, settings
):
    wrong = "000000" if _code(coop) != "000000" else "111111"
    client, r = _password_step(practice_a)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _no_delay(coop, practice_a)  # django-otp's own delay is not what is tested
        r = client.post("/masuk/verifikasi/", {"token": wrong}, REMOTE_ADDR="192.0.2.60")
        assert r.status_code == 200
    assert _password_step(coop, "salah")[1].status_code == 429


def test_wrong_codes_at_one_address_delay_the_next_code_at_the_other(kasir, coop, practice_a):
    """django-otp waits longer after each wrong code; the wait is the authenticator's,
    at both addresses."""
    wrong = "000000" if _code(coop) != "000000" else "111111"
    assert not _signs_in_with_code(practice_a, wrong)
    right = _code(coop)
    assert not _signs_in_with_code(coop, right, ip="192.0.2.66")  # too soon
    _no_delay(coop, practice_a)  # the wait is over
    assert _signs_in_with_code(coop, right, ip="192.0.2.67")
