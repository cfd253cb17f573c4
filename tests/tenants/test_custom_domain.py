"""A custom domain added in the console ("Tambah domain khusus") is served: the host check
(tenants.middleware.AllowedHostMiddleware) accepts the deploy's configured hosts
(settings.CONFIGURED_HOSTS, from the ALLOWED_HOSTS variable) and every domain of the
Domain table; any other Host header is refused (400) before the tenant lookup."""

import pytest
from django.test import Client

from tenants.models import Domain
from tests.console.conftest import make_operator, verified_client

pytestmark = pytest.mark.django_db

CUSTOM = "kpri-alpha.contoh.id"


def _get(host: str, path: str = "/masuk/"):
    return Client(HTTP_HOST=host, raise_request_exception=False).get(path)


def test_a_domain_added_in_the_console_serves_the_cooperative(tenant_a):
    assert _get(CUSTOM).status_code == 400  # not ours yet
    op = verified_client(make_operator("admin", "admin-cd1@ops.lumbung.test"))
    resp = op.post(
        f"/konsol/koperasi/{tenant_a.pk}/add_domain/",
        {"reason": "domain sendiri", "confirm": "on", "domain": CUSTOM},
    )
    assert resp.status_code == 302
    page = _get(CUSTOM)
    assert page.status_code == 200
    assert tenant_a.name in page.content.decode()
    assert _get(f"{CUSTOM}:443").status_code == 200  # with a port too


def test_a_removed_domain_is_refused_again(tenant_a):
    d = Domain.objects.create(domain=CUSTOM, tenant=tenant_a, is_primary=False)
    assert _get(CUSTOM).status_code == 200
    d.delete()
    assert _get(CUSTOM).status_code == 400


@pytest.mark.parametrize("host", ["evil.example.org", "alpha.localhost.evil.org", "", "a b"])
def test_a_host_that_is_neither_configured_nor_a_domain_is_refused(db, host):
    assert _get(host).status_code == 400


def test_configured_hosts_still_work(tenant_a, settings):
    from tenants.services import tenant_host

    assert _get(tenant_host(tenant_a.slug)).status_code == 200
    assert _get(settings.BASE_DOMAIN, "/").status_code == 200


def test_the_console_says_what_the_domain_still_needs(tenant_a):
    op = verified_client(make_operator("admin", "admin-cd2@ops.lumbung.test"))
    resp = op.post(
        f"/konsol/koperasi/{tenant_a.pk}/add_domain/",
        {"reason": "domain sendiri", "confirm": "on", "domain": CUSTOM},
        follow=True,
    )
    body = resp.content.decode()
    assert f"Domain {CUSTOM} ditambahkan" in body
    assert "DNS" in body and "TLS" in body


def test_a_www_domain_is_kept_without_www_and_both_hosts_are_served(tenant_a):
    """django-tenants looks a host up without its ``www.``: a domain added as
    ``www.…`` would never be found. It is kept as the bare name, which serves both."""
    op = verified_client(make_operator("admin", "admin-cd3@ops.lumbung.test"))
    resp = op.post(
        f"/konsol/koperasi/{tenant_a.pk}/add_domain/",
        {"reason": "domain sendiri", "confirm": "on", "domain": f"WWW.{CUSTOM}"},
        follow=True,
    )
    text = " ".join(str(m) for m in resp.context["messages"])
    assert f"Domain {CUSTOM} ditambahkan" in text and f"www.{CUSTOM}" in text
    assert list(
        Domain.objects.filter(tenant=tenant_a, is_primary=False).values_list("domain", flat=True)
    ) == [CUSTOM]
    assert _get(CUSTOM).status_code == 200
    assert _get(f"www.{CUSTOM}").status_code == 200
    # The same domain again, with or without www., is refused as taken.
    again = op.post(
        f"/konsol/koperasi/{tenant_a.pk}/add_domain/",
        {"reason": "lagi", "confirm": "on", "domain": f"www.{CUSTOM}"},
    )
    assert again.status_code == 200 and "sudah dipakai" in again.content.decode()
