"""The per-request hostname → cooperative lookup is cached (tenants.host_cache) and the
cached row is dropped when the cooperative or its domain changes."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tenants.host_cache import host_cache_clear, host_cache_get
from tenants.services import tenant_host


def _get(client):
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/masuk/")
    lookups = [q for q in ctx.captured_queries if '"tenants_domain"' in q["sql"]]
    return r, len(lookups)


@pytest.fixture
def client(tenant_a):
    host = tenant_host(tenant_a.slug)
    host_cache_clear(hostnames=[host])
    return Client(HTTP_HOST=host)


def test_second_request_does_not_look_the_domain_up(client, tenant_a):
    r, lookups = _get(client)
    assert r.status_code == 200 and lookups == 1
    assert host_cache_get(tenant_host(tenant_a.slug)).pk == tenant_a.pk
    r, lookups = _get(client)
    assert r.status_code == 200 and lookups == 0
    assert r.wsgi_request.tenant.pk == tenant_a.pk


def test_saving_the_cooperative_drops_the_cached_row(client, tenant_a):
    _get(client)
    tenant_a.name = "KPRI Alpha Baru"
    tenant_a.save()
    r, lookups = _get(client)
    assert lookups == 1 and r.wsgi_request.tenant.name == "KPRI Alpha Baru"


def test_billing_status_change_drops_the_cached_row(client, tenant_a):
    from billing.models import Subscription
    from billing.services import subscription_status_override

    _get(client)
    subscription_status_override(
        subscription=Subscription.objects.get(cooperative=tenant_a),
        status="suspended",
        operator="tests",
        reason="test",
    )
    connection.set_schema_to_public()
    r, lookups = _get(client)
    assert lookups == 1 and r.wsgi_request.tenant.status == "suspended"


def test_deleting_the_domain_drops_the_cached_row(client, tenant_a):
    from tenants.models import Domain

    _get(client)
    Domain.objects.filter(domain=tenant_host(tenant_a.slug)).get().delete()
    r, lookups = _get(client)
    assert lookups == 1 and r.status_code == 404
