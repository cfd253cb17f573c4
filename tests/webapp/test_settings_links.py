"""The Pengaturan page offers each role only the settings pages that role may open: a
card that leads to "Akses ditolak" misleads (found walking the demo as petugas, who was
offered Pengguna, Langganan, Catatan audit, Dinas and Ruang latihan and refused on each)."""

import re

import pytest

from core.common.roles import Role

STAFF_ROLES = [Role.ADMIN, Role.KETUA, Role.BENDAHARA, Role.PETUGAS, Role.PENGAWAS]


def _card_urls(html: str) -> list[str]:
    return re.findall(r'<a class="card" href="([^"]+)"', html)


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_every_settings_card_opens_for_the_role_that_sees_it(role_client, role):
    c = role_client(role)
    page = c.get("/pengaturan/")
    assert page.status_code == 200
    urls = _card_urls(page.content.decode())
    assert "/akun/" in "".join(urls)  # own account, for everyone
    refused = [u for u in urls if c.get(u).status_code != 200]
    assert refused == [], f"{role} is offered pages it may not open: {refused}"


@pytest.mark.django_db
def test_petugas_is_not_offered_users_billing_audit_dinas_or_practice(role_client):
    html = role_client(Role.PETUGAS).get("/pengaturan/").content.decode()
    urls = _card_urls(html)
    for hidden in (
        "/pengguna/",
        "/langganan/",
        "/audit/",
        "/pengaturan/dinas/",
        "/pengaturan/latihan/",
    ):
        assert hidden not in urls
    # what a teller does use stays
    assert "/simpanan/produk/" in urls
    assert "/anggota/instansi/" in urls


@pytest.mark.django_db
def test_admin_still_sees_every_settings_card(role_client):
    urls = _card_urls(role_client(Role.ADMIN).get("/pengaturan/").content.decode())
    for shown in (
        "/pengguna/",
        "/langganan/",
        "/audit/",
        "/pengaturan/dinas/",
        "/pengaturan/latihan/",
    ):
        assert shown in urls
