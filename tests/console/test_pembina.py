"""Operators manage Dinas officers (pembina) in the console: list and search (every
operator), create with a once-shown password and re-scope, deactivate and activate again
with a reason (admin only), all audited; a deactivated pembina is logged out and cannot
log in."""

import pytest
from django.conf import settings
from django.test import Client

from core.audit.models import AuditEvent
from lumbung.dinas.models import Pembina
from tests.dinas.conftest import KAPUAS, PROVINCE, make_pembina

from .conftest import verified_client

pytestmark = pytest.mark.django_db


def test_every_operator_lists_only_admins_manage(op_clients):
    make_pembina("budi@dinas.test")
    for role, client in op_clients.items():
        r = client.get("/konsol/pembina/")
        assert r.status_code == 200, role
        assert b"budi@dinas.test" in r.content
        assert (b'id="pembina-new"' in r.content) == (role == "admin")
    for role in ("support", "billing"):
        assert op_clients[role].get("/konsol/pembina/baru/").status_code == 403
        assert (
            op_clients[role]
            .post("/konsol/pembina/baru/", {"email": "x@dinas.test", "province": PROVINCE})
            .status_code
            == 403
        )
    assert not Pembina.objects.filter(user__username="x@dinas.test").exists()


def test_pembina_pages_need_an_operator(db):
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    assert client.get("/konsol/pembina/").status_code == 302
    pembina = make_pembina("siti@dinas.test")
    assert verified_client(pembina.user).get("/konsol/pembina/").status_code == 403


def test_admin_creates_a_pembina_and_sees_the_password_once(op_clients):
    admin = op_clients["admin"]
    r = admin.post(
        "/konsol/pembina/baru/",
        {"email": "Ani@Dinas.test", "name": "Ani", "province": PROVINCE, "regency": KAPUAS},
    )
    assert r.status_code == 200 and b'id="pembina-password"' in r.content
    p = Pembina.objects.get(user__username="ani@dinas.test")
    assert (p.province, p.regency) == (PROVINCE, KAPUAS)
    password = r.context["password"]
    assert p.user.check_password(password)
    assert AuditEvent.objects.filter(action="dinas.pembina_create", target_id=str(p.pk)).exists()
    # the same address again re-scopes it, no new password
    r = admin.post("/konsol/pembina/baru/", {"email": "ani@dinas.test", "province": PROVINCE})
    assert r.status_code == 200 and b'id="pembina-password"' not in r.content
    p.refresh_from_db()
    assert p.regency == ""
    listing = admin.get("/konsol/pembina/", {"q": "ani"})
    assert b"ani@dinas.test" in listing.content


def test_create_refuses_a_regency_outside_the_province(op_clients):
    r = op_clients["admin"].post(
        "/konsol/pembina/baru/",
        {"email": "a@dinas.test", "province": "Bali", "regency": KAPUAS},
    )
    assert r.status_code == 200 and b"pembina-password" not in r.content
    assert r.context["form"].errors
    assert not Pembina.objects.filter(user__username="a@dinas.test").exists()


def test_deactivate_logs_out_and_blocks_login_then_activate(op_clients):
    pembina = make_pembina("joko@dinas.test")
    pembina.user.set_password("Pembina-Rahasia-1!")
    pembina.user.save()
    dinas = verified_client(pembina.user)
    assert dinas.get("/dinas/").status_code == 200
    admin = op_clients["admin"]
    url = f"/konsol/pembina/{pembina.pk}/nonaktifkan/"
    assert admin.post(url, {"reason": "pindah tugas"}).status_code == 200  # not confirmed
    pembina.user.refresh_from_db()
    assert pembina.user.is_active
    r = admin.post(url, {"reason": "pindah tugas", "confirm": "on"})
    assert r.status_code == 302
    pembina.user.refresh_from_db()
    assert not pembina.user.is_active
    ev = AuditEvent.objects.get(action="dinas.pembina_deactivate", target_id=str(pembina.pk))
    assert ev.reason == "pindah tugas"
    assert dinas.get("/dinas/").status_code == 302  # its session no longer counts
    fresh = Client(HTTP_HOST=settings.BASE_DOMAIN)
    r = fresh.post(
        "/dinas/masuk/", {"username": "joko@dinas.test", "password": "Pembina-Rahasia-1!"}
    )
    assert r.status_code == 200  # the form again, not the TOTP step
    assert b"/konsol/pembina/%d/aktifkan/" % pembina.pk in admin.get("/konsol/pembina/").content
    r = admin.post(
        f"/konsol/pembina/{pembina.pk}/aktifkan/", {"reason": "kembali", "confirm": "on"}
    )
    assert r.status_code == 302
    pembina.user.refresh_from_db()
    assert pembina.user.is_active
    # the session opened before the deactivation stays ended (it came back before)
    assert dinas.get("/dinas/").status_code == 302
    assert op_clients["billing"].post(url, {"reason": "x", "confirm": "on"}).status_code == 403
