"""Password-reset and invitation links (core.users.tokens) belong to the cooperative that
sent them: the same login in another schema — a cooperative restored from a backup
(``cooperative_restore``: same ids, same password hashes), a practice copy — does not
take them."""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from core.users.models import User
from tenants.services import tenant_host
from tests.webapp.conftest import make_user

PW = "Sandi-Uji-2026!"
NEW = "Sandi-Baru-2026!"


@pytest.fixture
def twin(tenant_a, tenant_b):
    """A login of A and the same login in B (same id, e-mail, password hash, last
    login), as a restored backup of A has it."""
    connection.set_tenant(tenant_a)
    user = make_user("ketua", email="ketua@kembar.test", password=PW)
    values = {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields if f.attname}
    connection.set_tenant(tenant_b)
    User.objects.create(**values)
    connection.set_tenant(tenant_a)
    return user


def _reset_link() -> str:
    return re.search(r"http://alpha\.localhost:8000(/atur-sandi/\S+/)", mail.outbox[-1].body)[1]


def test_a_reset_link_of_one_cooperative_is_refused_at_another(twin, tenant_b, committed):
    """Failed before: B's page took A's link and set the password there."""
    a = Client(HTTP_HOST=tenant_host("alpha"))
    with committed():  # the e-mail is a task queued on commit
        assert a.post("/lupa-sandi/", {"email": twin.email}).status_code == 302
    link = _reset_link()

    b = Client(HTTP_HOST=tenant_host("beta"))
    page = b.get(link, follow=True)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Tautan ini tidak berlaku lagi" in body and "new_password1" not in body
    refused = b.post(link, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "Tautan ini tidak berlaku lagi" in refused.content.decode()
    connection.set_tenant(tenant_b)
    assert User.objects.get(pk=twin.pk).check_password(PW)

    # the link still works where it was sent from, once
    form = a.get(link, follow=True)
    done = a.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302 and done["Location"] == "/atur-sandi/selesai/"
    again = a.get(link, follow=True)
    assert "Tautan ini tidak berlaku lagi" in again.content.decode()


def test_an_invitation_link_is_bound_to_its_cooperative(
    tenant_a, tenant_b, in_tenant_a, celery_eager
):
    from core.users.tasks import invitation_mail_task

    user = make_user("petugas", email="undangan@kembar.test")  # no password yet
    values = {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}
    invitation_mail_task.delay(user.pk)
    link = _reset_link()
    connection.set_tenant(tenant_b)
    User.objects.create(**values)

    b = Client(HTTP_HOST=tenant_host("beta"))
    assert "Tautan ini tidak berlaku lagi" in b.get(link, follow=True).content.decode()
    a = Client(HTTP_HOST=tenant_host("alpha"))
    assert "new_password1" in a.get(link, follow=True).content.decode()


@pytest.mark.parametrize("kind", ["reset", "invitation"])
def test_a_link_of_a_login_deactivated_since_it_was_sent_sets_no_password(
    kind, tenant_a, in_tenant_a, committed
):
    """Deactivating a login ends what it may do, its password links too: a reset or an
    invitation e-mailed before (an invitation sent to a mistyped address and the login
    deactivated for it, a departing officer's reset) sets no password while the login is
    inactive, so nobody holding the link has a password ready for a reactivation. Failed
    before: the page took the new password of the inactive login."""
    from core.users.services import user_set_active
    from core.users.tasks import invitation_mail_task

    admin = make_user("admin", email="admin2@kembar.test", password=PW)
    browser = Client(HTTP_HOST=tenant_host("alpha"))
    if kind == "reset":
        user = make_user("bendahara", email="keluar@kembar.test", password=PW)
        with committed():
            browser.post("/lupa-sandi/", {"email": user.email})
    else:
        user = make_user("petugas", email="salah-ketik@kembar.test")  # no password yet
        with committed():
            invitation_mail_task.delay(user.pk)
    link = _reset_link()
    user_set_active(by=admin, user=user, active=False, reason="bukan orangnya")

    page = browser.get(link, follow=True)
    assert "Tautan ini tidak berlaku lagi" in page.content.decode()
    assert "new_password1" not in page.content.decode()
    target = page.redirect_chain[-1][0] if page.redirect_chain else link
    refused = browser.post(target, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "Tautan ini tidak berlaku lagi" in refused.content.decode()
    user.refresh_from_db()
    assert not user.check_password(NEW)
    assert "lumbung_perangkat" not in browser.cookies  # no known-browser mark either


def _link_of(kind: str, browser: Client, committed) -> tuple[User, str]:
    """A reset (asked at /lupa-sandi/) or an invitation e-mailed to a fresh login."""
    from core.users.tasks import invitation_mail_task

    if kind == "reset":
        user = make_user("bendahara", email="keluar@kembar.test", password=PW)
        with committed():
            browser.post("/lupa-sandi/", {"email": user.email})
    else:
        user = make_user("petugas", email="salah-ketik@kembar.test")  # no password yet
        with committed():
            invitation_mail_task.delay(user.pk)
    return user, _reset_link()


def _assert_void(browser: Client, link: str, user: User) -> None:
    page = browser.get(link, follow=True)
    body = page.content.decode()
    assert "Tautan ini tidak berlaku lagi" in body and "new_password1" not in body
    target = page.redirect_chain[-1][0] if page.redirect_chain else link
    refused = browser.post(target, {"new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "Tautan ini tidak berlaku lagi" in refused.content.decode()
    user.refresh_from_db()
    assert not user.check_password(NEW)


@pytest.mark.parametrize("kind", ["reset", "invitation"])
def test_a_link_sent_before_a_deactivation_stays_void_after_a_reactivation(
    kind, tenant_a, in_tenant_a, committed
):
    """A link e-mailed before the login was deactivated never works again: reactivating
    the login (within the link's 3 days) does not bring it back; the person asks for a
    new one (*Lupa kata sandi*). Failed before: the reactivated login's old link set its
    password."""
    from core.users.services import user_set_active

    admin = make_user("admin", email="admin2@kembar.test", password=PW)
    browser = Client(HTTP_HOST=tenant_host("alpha"))
    user, link = _link_of(kind, browser, committed)
    user_set_active(by=admin, user=user, active=False, reason="bukan orangnya")
    user_set_active(by=admin, user=user, active=True, reason="ternyata orangnya")

    _assert_void(browser, link, user)
    # a new link, asked after the reactivation, works
    with committed():
        browser.post("/lupa-sandi/", {"email": user.email})
    fresh = _reset_link()
    assert fresh != link
    form = browser.get(fresh, follow=True)
    assert "new_password1" in form.content.decode()


@pytest.mark.parametrize("kind", ["reset", "invitation"])
def test_a_link_sent_before_a_role_change_is_void(kind, tenant_a, in_tenant_a, committed):
    """The link was sent for the rights the login had then: an admin giving the login
    another role (a bendahara made anggota on leaving office, an invitation sent with the
    wrong role) ends it. Failed before: the old link set a password for the new role."""
    from core.users.services import user_update

    admin = make_user("admin", email="admin2@kembar.test", password=PW)
    browser = Client(HTTP_HOST=tenant_host("alpha"))
    user, link = _link_of(kind, browser, committed)
    user_update(by=admin, user=user, full_name=user.full_name, role="pengawas")

    _assert_void(browser, link, user)


def test_a_link_survives_a_change_of_name_only(tenant_a, in_tenant_a, committed):
    """An admin correcting an invited person's name leaves the invitation working."""
    from core.users.services import user_update

    admin = make_user("admin", email="admin2@kembar.test", password=PW)
    browser = Client(HTTP_HOST=tenant_host("alpha"))
    user, link = _link_of("invitation", browser, committed)
    user_update(by=admin, user=user, full_name="Nama Dibetulkan", role=user.role)

    form = browser.get(link, follow=True)
    assert "new_password1" in form.content.decode()


def test_a_link_sent_before_a_password_change_is_void(tenant_a, in_tenant_a, committed):
    """A password set after the link was sent (by its owner at /akun/, or by anyone who
    sets it) ends the link: the password hash is part of the token."""
    browser = Client(HTTP_HOST=tenant_host("alpha"))
    user, link = _link_of("reset", browser, committed)
    user.set_password("Sandi-Lain-2026!")
    user.save(update_fields=["password"])

    _assert_void(browser, link, user)
