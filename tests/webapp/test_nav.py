"""The navigation of each role: its entries' URLs are worked out once per process
(``lumbung.nav``), the active entry and the group headings per request, the same as
reversing every name on every page."""

import pytest
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse, set_urlconf

from core.common.roles import Role
from lumbung import nav


class _User:
    is_authenticated = True

    def __init__(self, role):
        self.role = role


def _reference(path: str, role: str) -> list[dict]:
    """The navigation as computed before the URLs were kept: every name reversed; one
    entry active, the closest — the longest URL the path starts with (the home pages
    ``/`` and ``/portal/`` only for themselves): on /simpanan/teller/ Teller, not
    Simpanan too."""
    items, last_group = [], None
    for entry in nav.NAV:
        label, name, roles = entry[:3]
        group = entry[3] if len(entry) > 3 else None
        if role not in roles:
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append(
            {
                "label": label,
                "url": url,
                "active": (path.startswith(url) and url not in ("/", "/portal/")) or path == url,
                "group": group if group is not None and group != last_group else None,
            }
        )
        if group is not None:
            last_group = group
    closest = max((i["url"] for i in items if i["active"]), key=len, default=None)
    for i in items:
        i["active"] = i["url"] == closest
    return items


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    # /simpanan/teller/ matches two entries (Simpanan and Teller): only the closest
    ["/", "/anggota/", "/anggota/12/", "/portal/", "/buku-besar/", "/simpanan/teller/"],
)
def test_each_role_sees_what_reversing_every_name_gives(in_tenant_a, path):
    for role in Role.values:
        request = RequestFactory().get(path)
        request.user = _User(role)
        first = nav.nav_for(request)
        assert first == _reference(path, role), role
        first[0]["active"] = "changed"  # a page's copy never changes the next page's
        assert nav.nav_for(request) == _reference(path, role), role
    assert any(i["active"] for i in nav.nav_for(_request("/anggota/", "admin")))
    if path == "/simpanan/teller/":  # two entries match it; one is highlighted
        items = _reference(path, "bendahara")
        assert {i["url"] for i in items if path.startswith(i["url"]) and i["url"] != "/"} == {
            "/simpanan/",
            "/simpanan/teller/",
        }
        assert [i["url"] for i in items if i["active"]] == ["/simpanan/teller/"]


def _request(path, role):
    request = RequestFactory().get(path)
    request.user = _User(role)
    return request


def test_nav_follows_the_requests_urlconf(in_tenant_a):
    """Kept per URLconf: the public site's URLconf (set by the tenant middleware) gives its
    own URLs, and the cooperative's come back after."""
    tenant_urls = [i["url"] for i in nav.nav_for(_request("/", "admin"))]
    set_urlconf("lumbung.urls_public")
    try:
        public_urls = [i["url"] for i in nav.nav_for(_request("/", "admin"))]
        expected = []
        for entry in nav.NAV:
            if "admin" not in entry[2]:
                continue
            try:
                expected.append(reverse(entry[1], urlconf="lumbung.urls_public"))
            except NoReverseMatch:
                continue
        assert public_urls == expected
    finally:
        set_urlconf(None)
    assert public_urls != tenant_urls
    assert [i["url"] for i in nav.nav_for(_request("/", "admin"))] == tenant_urls


@pytest.mark.parametrize(
    ("path", "active"),
    [
        ("/simpanan/teller/", "/simpanan/teller/"),
        ("/simpanan/rekening/1/", "/simpanan/"),
        ("/pinjaman/simulasi/", "/pinjaman/simulasi/"),
        ("/pinjaman/12/", "/pinjaman/"),
    ],
)
def test_only_the_closest_menu_entry_is_highlighted(in_tenant_a, path, active):
    """On /simpanan/teller/ both Teller and Simpanan were highlighted."""
    items = nav.nav_for(_request(path, "bendahara"))
    assert [i["url"] for i in items if i["active"]] == [active]


def test_a_message_sits_in_the_page_column_not_above_the_menu(client_a, in_tenant_a):
    """The success message after a repayment stood above the side menu, outside the
    page column."""
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import Client

    from tests.members import factories as f

    c = Client(HTTP_HOST=client_a.defaults["HTTP_HOST"])
    c.force_login(f.user("bendahara"))
    request = RequestFactory().get("/")
    storage = CookieStorage(request)
    storage.add(constants.SUCCESS, "Pembayaran diterima, kuitansi ANG-1.")
    response = HttpResponse()
    storage.update(response)
    c.cookies[storage.cookie_name] = response.cookies[storage.cookie_name].value
    html = c.get("/pinjaman/").content.decode()
    assert "Pembayaran diterima, kuitansi ANG-1." in html
    page = html.index('<section class="page">')
    assert html.index('class="messages"') > page
    assert html.index('class="messages"') > html.index('class="sidenav"')
