"""The side navigation: each entry's URL is what ``reverse`` gives under the request's
URLconf (reversed once per process and URLconf, not on every page)."""

from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse, set_urlconf

from lumbung.nav import NAV, nav_for
from tests.webapp.conftest import make_user


def _expected(user, urlconf=None) -> list[str]:
    out = []
    for entry in NAV:
        if user.role not in entry[2]:
            continue
        try:
            out.append(reverse(entry[1], urlconf=urlconf))
        except NoReverseMatch:
            continue
    return out


def _urls(user) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    return [i["url"] for i in nav_for(request)]


def test_nav_urls_are_the_reversed_names_for_each_role(in_tenant_a):
    for role in ("admin", "bendahara", "pengawas", "anggota"):
        user = make_user(role=role)
        assert _urls(user) == _urls(user) == _expected(user)


def test_nav_follows_the_requests_urlconf(in_tenant_a):
    user = make_user(role="admin")
    tenant_urls = _urls(user)
    set_urlconf("lumbung.urls_public")  # what the tenant middleware does on the public site
    try:
        public_urls = _urls(user)
        assert public_urls == _expected(user, "lumbung.urls_public")
    finally:
        set_urlconf(None)
    assert public_urls != tenant_urls
    assert _urls(user) == tenant_urls
