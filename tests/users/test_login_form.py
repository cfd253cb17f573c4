"""The login form's answers (core.users.forms.LoginForm): what a person is told."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from core.users.models import User
from tenants.services import tenant_host
from tests.webapp.conftest import make_user

PW = "Sandi-Uji-2026!"
INACTIVE = "Akun ini tidak aktif. Hubungi admin koperasi."
WRONG = "Nama pengguna/e-mail atau kata sandi salah."


@pytest.fixture
def deactivated(in_tenant_a):
    user = make_user("bendahara", email="bendahara@alpha.test", password=PW)
    User.objects.filter(pk=user.pk).update(is_active=False)
    return user


def test_a_deactivated_login_with_its_password_is_told_it_is_inactive(deactivated):
    """Failed before: "wrong name or password" — the person tried "Lupa kata sandi",
    which sends nothing to an inactive login, and never learned to ask the admin."""
    client = Client(HTTP_HOST=tenant_host("alpha"))
    resp = client.post("/masuk/", {"username": "Bendahara@alpha.test", "password": PW})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert INACTIVE in body and WRONG not in body
    assert "_auth_user_id" not in client.session
    # the attempt still counts towards the lockout, as any refused login
    assert AccessAttempt.objects.filter(username="bendahara@alpha.test").exists()


def test_a_deactivated_login_with_a_wrong_password_learns_nothing_more(deactivated):
    client = Client(HTTP_HOST=tenant_host("alpha"))
    resp = client.post("/masuk/", {"username": "bendahara@alpha.test", "password": "salah"})
    body = resp.content.decode()
    assert WRONG in body and INACTIVE not in body


def test_a_locked_out_deactivated_login_gets_the_lockout_page_not_a_hint(deactivated, settings):
    client = Client(HTTP_HOST=tenant_host("alpha"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/masuk/", {"username": "bendahara@alpha.test", "password": "salah"})
    resp = client.post("/masuk/", {"username": "bendahara@alpha.test", "password": PW})
    assert resp.status_code == 429 and INACTIVE not in resp.content.decode()
