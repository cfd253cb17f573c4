"""Who may OPEN each screen of README's *Using Lumbung* table (its *who* column and the
role notes under it). ``test_readme_urls`` opens every address as admin only and
``test_role_writes`` holds who writes; this holds who reads: a role the README names gets
the page, any other staff role a 403 and a member is sent to the portal, so the README
cannot say "pengawas reads" of a screen pengawas is refused, nor leave a reader out.
"""

import pytest

STAFF = frozenset({"admin", "ketua", "bendahara", "petugas", "pengawas"})
T = frozenset({"admin", "bendahara"})
ROLES = sorted(STAFF | {"anggota"})

# address → the roles README says open it (a GET that ends at 200)
READERS = {
    "/": STAFF,
    "/anggota/": STAFF,
    "/anggota/instansi/": STAFF,
    "/anggota/impor/": STAFF,
    "/cari/": STAFF,
    "/pinjaman/": STAFF,
    "/pinjaman/simulasi/": STAFF,
    "/pinjaman/laporan/": STAFF,
    "/pinjaman/laporan/arrears/": STAFF,
    "/simpanan/": STAFF,
    "/simpanan/produk/": STAFF,
    "/simpanan/teller/": STAFF,
    "/simpanan/rekonsiliasi/": STAFF,
    "/simpanan/pph/": STAFF - {"petugas"},  # the PPh list not petugas
    "/potong-gaji/": STAFF,  # bendahara, admin; other staff read
    "/buku-besar/": STAFF,
    "/buku-besar/jurnal/": STAFF,
    "/tutup-buku/": STAFF,
    "/pindah/": T,
    "/langganan/": T,
    "/pengaturan/latihan/": {"admin"},
    "/pengguna/": {"admin", "pengawas"},
    "/pengguna/kunci-api/": {"admin"},
    "/pengguna/undang-anggota/": {"admin"},
    "/audit/": {"admin", "ketua", "bendahara", "pengawas"},
    "/akun/": STAFF | {"anggota"},
    "/akun/dua-langkah/": STAFF,  # two-factor: staff
    "/portal/": {"anggota"},
    "/portal/shu/": {"anggota"},
}


@pytest.fixture
def role_client(committed_role_client):
    return committed_role_client


@pytest.mark.parametrize("path", sorted(READERS))
def test_the_readme_roles_and_only_they_open_the_screen(path, role_client):
    opened, refused_wrongly = set(), {}
    for role in ROLES:
        resp = role_client(role).get(path, follow=True)
        hops = [url for url, _status in resp.redirect_chain]
        if role == "anggota" and hops and hops[-1].startswith("/portal/") and path != "/portal/":
            continue  # a member is sent to their portal: not this screen
        if resp.status_code == 200:
            opened.add(role)
        elif resp.status_code != 403:
            refused_wrongly[role] = (resp.status_code, hops[-1:])
    assert not refused_wrongly, f"{path}: neither 200 nor 403 for {refused_wrongly}"
    assert opened == set(READERS[path]), (
        f"{path}: opened by {sorted(opened)}, README says {sorted(READERS[path])}"
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_side_menu_entry_of_a_role_opens_for_it(role, role_client):
    """README: "the side menu shows what the logged-in role may use" — no entry of a
    role's menu answers it with a refusal."""
    from django.test import RequestFactory

    from lumbung import nav

    request = RequestFactory().get("/")
    request.user = type("U", (), {"is_authenticated": True, "role": role})()
    urls = [item["url"] for item in nav.nav_for(request)]
    assert urls, role
    client = role_client(role)
    answers = {url: client.get(url, follow=True).status_code for url in urls}
    assert {url: code for url, code in answers.items() if code != 200} == {}, role
