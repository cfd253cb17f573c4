"""Users and roles: invite/create, change role, deactivate — audited, last admin kept."""

import pytest
from django.core import mail

from core.audit.models import AuditEvent
from core.common.errors import ApplicationError
from core.users import services
from core.users.models import User
from tests.webapp.conftest import make_user


@pytest.fixture
def admin(in_tenant_a):
    return User.objects.get(username="admin@alpha.test")


def test_admin_creates_user_with_password(client_a, admin):
    client_a.force_login(admin)
    resp = client_a.post(
        "/pengguna/baru/",
        {
            "full_name": "Siti Bendahara",
            "email": "Siti@Alpha.test",
            "role": "bendahara",
            "password": "Kuat-Sekali-99",
        },
    )
    assert resp.status_code == 302 and resp["Location"] == "/pengguna/"
    user = User.objects.get(username="siti@alpha.test")
    assert user.role == "bendahara" and user.is_staff and user.check_password("Kuat-Sekali-99")
    ev = AuditEvent.objects.get(action="user.created", target_id=str(user.pk))
    assert ev.actor == admin and ev.data == {"role": "bendahara", "invited": False}
    listing = client_a.get("/pengguna/?q=siti").content.decode()
    assert "Siti Bendahara" in listing


def test_admin_invites_user_by_email(
    client_a, admin, celery_eager, django_capture_on_commit_callbacks
):
    client_a.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        resp = client_a.post(
            "/pengguna/baru/", {"full_name": "Budi", "email": "budi@alpha.test", "role": "petugas"}
        )
    assert resp.status_code == 302
    user = User.objects.get(username="budi@alpha.test")
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["budi@alpha.test"]
    # On the cooperative's configured address (SITE_PORT 8000 here), not the Host header.
    assert "http://alpha.localhost:8000/atur-sandi/" in mail.outbox[0].body
    assert "Petugas" in mail.outbox[0].body


def test_duplicate_email_is_refused_with_a_message(client_a, admin):
    client_a.force_login(admin)
    resp = client_a.post(
        "/pengguna/baru/", {"full_name": "X", "email": "ADMIN@alpha.test", "role": "ketua"}
    )
    assert resp.status_code == 200
    assert "sudah ada" in resp.content.decode()
    assert User.objects.filter(email__iexact="admin@alpha.test").count() == 1


def test_weak_initial_password_is_refused(client_a, admin):
    client_a.force_login(admin)
    resp = client_a.post(
        "/pengguna/baru/",
        {"full_name": "X", "email": "x@alpha.test", "role": "ketua", "password": "123"},
    )
    assert resp.status_code == 200
    assert not User.objects.filter(username="x@alpha.test").exists()


def test_role_change_is_audited_with_before_and_after(client_a, admin):
    user = make_user("petugas")
    client_a.force_login(admin)
    resp = client_a.post(
        f"/pengguna/{user.pk}/",
        {"full_name": "Petugas Baru", "role": "bendahara", "reason": "rotasi"},
    )
    assert resp.status_code == 302
    user.refresh_from_db()
    assert user.role == "bendahara"
    ev = AuditEvent.objects.get(action="user.role_changed", target_id=str(user.pk))
    assert ev.reason == "rotasi"
    assert ev.data["from"]["role"] == "petugas" and ev.data["to"]["role"] == "bendahara"


def test_member_role_is_not_staff(admin):
    user = services.user_create(
        by=admin, email="a@alpha.test", full_name="A", role="anggota", password="Kuat-Sekali-99"
    )
    assert not user.is_staff


def test_last_active_admin_cannot_lose_the_role(admin):
    with pytest.raises(ApplicationError) as exc:
        services.user_update(by=admin, user=admin, full_name="Admin", role="ketua")
    assert exc.value.code == "last_admin"
    admin.refresh_from_db()
    assert admin.role == "admin"


def test_admin_role_can_move_when_another_admin_exists(admin):
    other = make_user("admin", email="admin2@alpha.test")
    services.user_update(by=other, user=admin, full_name="Mantan admin", role="ketua")
    admin.refresh_from_db()
    assert admin.role == "ketua"


def test_deactivate_and_reactivate(client_a, admin):
    user = make_user("ketua")
    client_a.force_login(admin)
    client_a.post(f"/pengguna/{user.pk}/status/", {"active": "0", "reason": "pensiun"})
    user.refresh_from_db()
    assert not user.is_active
    assert AuditEvent.objects.filter(
        action="user.deactivated", target_id=str(user.pk), reason="pensiun"
    ).exists()
    client_a.post(f"/pengguna/{user.pk}/status/", {"active": "1"})
    user.refresh_from_db()
    assert user.is_active


def test_admin_cannot_deactivate_self(admin):
    with pytest.raises(ApplicationError) as exc:
        services.user_set_active(by=admin, user=admin, active=False)
    assert exc.value.code == "deactivate_self"


def test_user_list_filters_by_role_and_status(client_a, admin):
    make_user("ketua")
    gone = make_user("petugas")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    client_a.force_login(admin)
    body = client_a.get("/pengguna/?role=ketua").content.decode()
    assert "ketua@webapp.test" in body and "petugas@webapp.test" not in body
    body = client_a.get("/pengguna/?status=inactive").content.decode()
    assert "petugas@webapp.test" in body and "ketua@webapp.test" not in body


def test_user_list_is_paginated(client_a, admin):
    for i in range(30):
        make_user("petugas", email=f"p{i:02d}@alpha.test")
    client_a.force_login(admin)
    first = client_a.get("/pengguna/").content.decode()
    assert "Halaman 1 dari 2" in first
    second = client_a.get("/pengguna/?page=2").content.decode()
    assert "Halaman 2 dari 2" in second
    assert client_a.get("/pengguna/?page=999").status_code == 200  # nearest valid page


# changing one's own e-mail asks for the current password (test_auth.py)
OWN_PASSWORD = "Sandi-Sendiri-2026!"


def test_profile_update(client_a, in_tenant_a):
    user = make_user("petugas", password=OWN_PASSWORD)
    client_a.force_login(user)
    resp = client_a.post(
        "/akun/",
        {"full_name": "Nama Baru", "email": "baru@alpha.test", "current_password": OWN_PASSWORD},
    )
    assert resp.status_code == 302
    user.refresh_from_db()
    assert user.full_name == "Nama Baru" and user.email == "baru@alpha.test"


def test_a_changed_profile_email_is_audited_with_both_addresses(client_a, in_tenant_a):
    """Reset links go to the profile's e-mail: who moved it where is in the audit log."""
    user = make_user("petugas", password=OWN_PASSWORD)
    client_a.force_login(user)
    resp = client_a.post(
        "/akun/",
        {"full_name": user.full_name, "email": "Lain@Alpha.test", "current_password": OWN_PASSWORD},
    )
    assert resp.status_code == 302
    event = AuditEvent.objects.get(action="user.profile_updated", target_id=str(user.pk))
    assert event.data == {"email": {"from": "petugas@webapp.test", "to": "lain@alpha.test"}}


def test_admin_resets_a_lost_authenticator(client_a, admin):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = make_user("ketua")
    TOTPDevice.objects.create(user=user, name="x", confirmed=True)
    client_a.force_login(admin)
    client_a.post(f"/pengguna/{user.pk}/reset-dua-langkah/")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(
        action="user.2fa_disabled", target_id=str(user.pk), actor=admin
    ).exists()


def test_member_login_is_linked_to_its_member_record(client_a, admin):
    from tests.members import factories as f

    member = f.member(full_name="Rina")
    client_a.force_login(admin)
    resp = client_a.post(
        "/pengguna/baru/",
        {
            "full_name": "Rina",
            "email": "rina@alpha.test",
            "role": "anggota",
            "member_number": member.number,
            "password": "Kuat-Sekali-99",
        },
    )
    assert resp.status_code == 302
    member.refresh_from_db()
    assert member.user.username == "rina@alpha.test"
    assert AuditEvent.objects.filter(
        action="user.member_linked", data__member=member.number
    ).exists()


def test_member_number_is_refused_for_staff_and_unknown_numbers(admin):
    from tests.members import factories as f

    member = f.member()
    with pytest.raises(ApplicationError) as exc:
        services.user_create(
            by=admin,
            email="s@alpha.test",
            full_name="S",
            role="petugas",
            member_number=member.number,
        )
    assert exc.value.code == "member_for_staff"
    with pytest.raises(ApplicationError) as exc:
        services.user_create(
            by=admin, email="t@alpha.test", full_name="T", role="anggota", member_number="NOPE-1"
        )
    assert exc.value.code == "member_not_found"
    assert not User.objects.filter(username__in=["s@alpha.test", "t@alpha.test"]).exists()


LONG_EMAIL = "a" * 139 + "@alpha.test"  # 150 characters: the most a login holds


def test_an_email_longer_than_a_login_is_refused_by_name_and_nothing_is_created(client_a, admin):
    too_long = "b" + LONG_EMAIL
    with pytest.raises(ApplicationError) as e:
        services.user_create(by=admin, email=too_long, full_name="Panjang", role="petugas")
    assert e.value.code == "email_too_long"
    assert e.value.fields == {"email": ["Alamat e-mail paling panjang 150 karakter (ini 151)."]}
    client_a.force_login(admin)
    resp = client_a.post(
        "/pengguna/baru/", {"full_name": "Panjang", "email": too_long, "role": "petugas"}
    )
    assert resp.status_code == 200
    assert "paling panjang 150 karakter" in resp.content.decode()
    assert not User.objects.filter(full_name="Panjang").exists()
    # 150 characters is still a login.
    user = services.user_create(by=admin, email=LONG_EMAIL, full_name="Pas", role="petugas")
    assert user.username == LONG_EMAIL


def test_profile_email_longer_than_the_column_is_a_message_not_a_500(client_a, in_tenant_a):
    user = make_user("petugas", password=OWN_PASSWORD)
    client_a.force_login(user)
    resp = client_a.post(
        "/akun/",
        {"full_name": "X", "email": "c" * 250 + "@alpha.test", "current_password": OWN_PASSWORD},
    )
    assert resp.status_code == 200
    assert "paling panjang" in resp.content.decode()
    user.refresh_from_db()
    assert user.full_name != "X"
