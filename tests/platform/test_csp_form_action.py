"""CSP form-action (lumbung.settings.security): browsers apply it to the redirect that
answers a form too, so every form whose answer sends the browser to another host must
name that host, or the button does nothing (Chromium logs "violates the following
Content Security Policy directive: form-action 'self'" and stays on the page). Found
walking the public site: the apex's "Masuk" (cooperative address) and "Bayar dengan
kartu" (Stripe Checkout) were both blocked."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tenants.services import tenant_url

DEFAULT_PORTS = {"http": 80, "https": 443}


def _form_action(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, *sources = directive.split()
        if name == "form-action":
            return sources
    raise AssertionError(f"no form-action in {policy!r}")


def _allowed(url: str, *, sources: list[str], page_origin: str) -> bool:
    """CSP Level 3 host-source matching, enough for these sources: 'self', and
    scheme://host[:port] with an optional leading *. wildcard."""
    target = urlsplit(url)
    port = target.port or DEFAULT_PORTS[target.scheme]
    for source in sources:
        if source == "'self'":
            origin = urlsplit(page_origin)
            if (target.scheme, target.hostname, port) == (
                origin.scheme,
                origin.hostname,
                origin.port or DEFAULT_PORTS[origin.scheme],
            ):
                return True
            continue
        s = urlsplit(source if "://" in source else f"{target.scheme}://{source}")
        host = s.netloc.rsplit(":", 1)[0] if s.netloc.count(":") else s.netloc
        s_port = int(s.netloc.rsplit(":", 1)[1]) if ":" in s.netloc else DEFAULT_PORTS[s.scheme]
        if s.scheme != target.scheme or s_port != port:
            continue
        if host.startswith("*."):
            if target.hostname.endswith(host[1:]):
                return True
        elif target.hostname == host:
            return True
    return False


def _apex_origin() -> str:
    return tenant_url("x").replace("x.", "", 1).rstrip("/")


def test_public_login_sends_the_browser_to_the_cooperatives_own_login(client_public, tenant_a):
    r = client_public.get("/masuk-koperasi/", {"alamat": tenant_a.slug})
    assert r.status_code == 302 and r["Location"] == tenant_url(tenant_a.slug) + "masuk/"
    sources = _form_action(r["Content-Security-Policy"])
    assert _allowed(r["Location"], sources=sources, page_origin=_apex_origin())


@pytest.mark.parametrize("slug", ["kpri-maju", "kpri-maju-latihan"])
def test_console_support_and_practice_hosts_are_allowed(client_public, slug):
    """The console's support access (apex → the cooperative) and a practice copy's
    Masuk (the cooperative → <slug>-latihan) answer their forms with another host."""
    policy = client_public.get("/daftar/")["Content-Security-Policy"]
    target = tenant_url(slug) + "masuk/"
    assert _allowed(target, sources=_form_action(policy), page_origin=tenant_url("alpha"))


@pytest.mark.parametrize(
    "url",
    [
        "https://checkout.stripe.com/c/pay/cs_live_a1b2c3",  # "Bayar dengan kartu"
        "https://billing.stripe.com/p/session/live_a1b2c3",  # "Kelola kartu"
    ],
)
def test_card_payment_pages_are_allowed(client_a, url):
    policy = client_a.get("/masuk/")["Content-Security-Policy"]
    assert _allowed(url, sources=_form_action(policy), page_origin=tenant_url("alpha"))


def test_other_hosts_stay_refused(client_a):
    sources = _form_action(client_a.get("/masuk/")["Content-Security-Policy"])
    for url in ("https://evil.example/", f"https://{settings.BASE_DOMAIN}.evil.example/"):
        assert not _allowed(url, sources=sources, page_origin=tenant_url("alpha"))
