"""Role enforcement on every URL of the tenant site.

The URLs are found by walking the resolver (``urlwalk.tenant_urls``), so a screen or API
endpoint added by any app is covered the day it is mounted. For each URL and each role:

- anonymous: GET and POST end at the login page (HTML) or 401/403 (API), except the few
  pages that must be reachable before logging in (``PUBLIC``);
- pengawas never gets a success on POST (only 403/405), except on its own account
  (``SELF_SERVICE``): pengawas reads everything and changes nothing;
- anggota gets no 2xx outside the member portal, its own account and ``MEMBER_ALLOWED``
  (its own data only);
- no role makes a page crash (the test client re-raises view exceptions).

A new screen meant for anonymous users or members must be added to these lists on
purpose — that is the point.
"""

import re

import pytest

from tests.webapp.urlwalk import tenant_urls

URLS = tenant_urls()

# Reachable without logging in.
PUBLIC = {
    "login",
    "login-verify",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "portal-activate",
    "portal-activate-confirm",
    "set_language",
    "api-schema",
    "api-docs",
}
# A logged-in user's own account and session: any role may POST here.
SELF_SERVICE_RE = re.compile(
    r"^(account:.*|logout|set_language|login|login-verify|password_reset.*|portal-activate.*)$"
)
# Member-facing beyond the portal namespace: their own profile and API identity.
# (``terbilang``: the words under a rupiah box, the portal's loan simulation has one)
MEMBER_ALLOWED_RE = re.compile(
    r"^(portal:.*|account:.*|api-me|home|logout|set_language|terbilang)$"
)
# Member-facing API endpoints whose querysets are narrowed to the member's own data by
# their app (and tested there): a member gets 200 with only their rows.
MEMBER_API = {
    "loan-list",
    "loan-detail",
    "loan-schedule",
    "loan-product-list",
    "loan-product-detail",
    "loan-repayment-list",
    "loan-repayment-detail",
    "loan-simulate",
}

# POST endpoints that only compute and write nothing (a loan simulation): pengawas may
# use them like any reader.
POST_IS_READ = {"loans:simulate"}
# POST endpoints that make the reader a file of what it reads (a long buku besar's XLSX,
# built in the background): pengawas may, as it reads the books.
POST_MAKES_OWN_FILE = {"ledger:account_ledger_export_request"}

LOGIN_PATH = "/masuk/"


@pytest.fixture
def role_client(committed_role_client):
    """The logins of every role, made once for this module in a cooperative of its own
    (tests/webapp/conftest.py): each test's requests still run in its own transaction."""
    return committed_role_client


def _is_api(u) -> bool:
    return u.path.startswith("/api/")


def _assert_login_required(resp, u, method):
    if resp.status_code == 405:
        return  # the method is refused before anything else: nothing to see or do
    if _is_api(u):
        assert resp.status_code in (401, 403), f"anonymous {method} {u}: {resp.status_code}"
    else:
        assert resp.status_code == 302, f"anonymous {method} {u}: {resp.status_code}"
        assert resp["Location"].startswith(LOGIN_PATH), (
            f"anonymous {method} {u} → {resp['Location']}"
        )


@pytest.mark.parametrize("u", URLS, ids=str)
def test_anonymous_is_sent_to_login(u, role_client):
    if u.name in PUBLIC:
        pytest.skip("public page")
    c = role_client(None)
    _assert_login_required(c.get(u.path), u, "GET")
    _assert_login_required(c.post(u.path, {}), u, "POST")


@pytest.mark.parametrize("u", URLS, ids=str)
def test_pengawas_never_writes(u, role_client):
    if SELF_SERVICE_RE.match(u.name) or u.name in POST_IS_READ | POST_MAKES_OWN_FILE:
        pytest.skip("own account/session, a read-only calculation or the reader's own file")
    resp = role_client("pengawas").post(u.path, {})
    if resp.status_code == 302 and resp["Location"].startswith(LOGIN_PATH):
        return  # sent to log in again (e.g. a support session ending): nothing written
    assert resp.status_code in (401, 403, 405), (
        f"pengawas POST {u}: {resp.status_code} (pengawas must never write)"
    )


@pytest.mark.parametrize("u", URLS, ids=str)
def test_anggota_sees_only_own_area(u, role_client):
    if MEMBER_ALLOWED_RE.match(u.name) or u.name in PUBLIC or u.name in MEMBER_API:
        pytest.skip("member-facing")
    c = role_client("anggota")
    for method in ("get", "post"):
        resp = getattr(c, method)(u.path, {})
        assert not 200 <= resp.status_code < 300, (
            f"anggota {method.upper()} {u}: {resp.status_code}"
        )
        if 300 <= resp.status_code < 400:
            # A redirect may only lead to the login page or the member's own portal.
            assert resp["Location"].startswith((LOGIN_PATH, "/portal/")), (
                f"anggota {method.upper()} {u} → {resp['Location']}"
            )


@pytest.mark.parametrize("u", URLS, ids=str)
def test_staff_pages_do_not_crash(u, role_client):
    """Every staff role can GET every URL without an error (403/404/405 are fine)."""
    for role in ("admin", "ketua", "bendahara", "petugas", "pengawas"):
        resp = role_client(role).get(u.path)
        assert resp.status_code < 500, f"{role} GET {u}: {resp.status_code}"


# -- the exact matrix for the web app's own screens -----------------------------------

ALL = {"admin", "ketua", "bendahara", "petugas", "pengawas", "anggota"}
STAFF = ALL - {"anggota"}

# url name → (roles that GET with 200, roles that may POST). Other roles get 403 (or
# a redirect to their own home).
MATRIX = {
    "home": (STAFF, set()),
    "users:list": ({"admin", "pengawas"}, set()),
    "users:create": ({"admin"}, {"admin"}),
    "audit:list": ({"admin", "ketua", "bendahara", "pengawas"}, set()),
    "settings": (STAFF, set()),
    "portal:home": ({"anggota"}, set()),
    "portal:transactions": ({"anggota"}, set()),
    "portal:loans": ({"anggota"}, set()),
    "portal:deductions": ({"anggota"}, set()),
    "portal:simulate": ({"anggota"}, set()),
    "account:profile": (ALL, ALL),
    "account:password": (ALL, ALL),
    "account:two-factor": (STAFF, STAFF),
}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_role_matrix_for_webapp_screens(name, role_client):
    from django.urls import reverse

    readers, writers = MATRIX[name]
    path = reverse(name)
    for role in sorted(ALL):
        resp = role_client(role).get(path)
        if role in readers:
            assert resp.status_code == 200, f"{role} GET {name}: {resp.status_code}"
        else:
            assert resp.status_code in (302, 403), f"{role} GET {name}: {resp.status_code}"
            if resp.status_code == 302:
                assert resp["Location"].startswith("/portal/"), resp["Location"]
        if writers or role not in readers:
            post = role_client(role).post(path, {})
            if role in writers:
                assert post.status_code in (200, 302), f"{role} POST {name}: {post.status_code}"
            else:
                assert post.status_code in (302, 403, 405), (
                    f"{role} POST {name}: {post.status_code}"
                )
                assert not (post.status_code == 302 and role in writers)


def test_denied_page_explains_in_indonesian(role_client):
    resp = role_client("petugas").get("/pengguna/")
    assert resp.status_code == 403
    body = resp.content.decode()
    assert "Akses ditolak" in body and "admin koperasi" in body


def test_unknown_host_and_page_get_the_404_page(db, client_a):
    from django.test import Client

    resp = Client(HTTP_HOST="tidak-ada.localhost").get("/")
    assert resp.status_code == 404 and "Halaman tidak ditemukan" in resp.content.decode()
    resp = client_a.get("/tidak-ada/")
    assert resp.status_code == 404 and "Halaman tidak ditemukan" in resp.content.decode()
