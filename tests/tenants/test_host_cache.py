"""The per-request host → cooperative lookup is cached (tenants.host_cache): a known host
costs no query, a change of domain or status applies on the next request, and two
databases sharing one cache never see each other's entries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing import services as billing
from billing.models import Subscription
from tenants.host_cache import tenant_for_host
from tenants.models import Cooperative, Domain
from tenants.services import tenant_host


def _lookups(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if '"tenants_domain"' in q["sql"]]


@pytest.fixture
def admin_client_a(client_a, tenant_a):
    from core.users.models import User

    connection.set_tenant(tenant_a)
    try:
        client_a.force_login(User.objects.get(username="admin@alpha.test"))
    finally:
        connection.set_schema_to_public()
    return client_a


@pytest.fixture
def operator(db):
    from core.users.models import User

    return User.objects.create_user(
        username="ops@lumbung.test",
        password="Operator-Sandi-9",
        operator_role=User.OperatorRole.BILLING,
    )


def test_second_request_to_a_host_does_not_look_the_host_up(admin_client_a):
    with CaptureQueriesContext(connection) as first:
        assert admin_client_a.get("/").status_code == 200
    with CaptureQueriesContext(connection) as second:
        assert admin_client_a.get("/").status_code == 200
    assert len(_lookups(first)) == 1
    assert _lookups(second) == []


def test_the_cached_row_is_the_cooperative(tenant_a):
    host = tenant_host(tenant_a.slug)
    tenant_for_host(host)
    with CaptureQueriesContext(connection) as ctx:
        cached = tenant_for_host(host)
    assert len(ctx) == 0
    assert cached.pk == tenant_a.pk and cached.schema_name == tenant_a.schema_name
    assert cached.status == tenant_a.status and cached.slug == tenant_a.slug
    assert not cached._state.adding


def test_suspension_by_the_billing_service_applies_on_the_next_request(
    admin_client_a, tenant_a, operator
):
    assert admin_client_a.get("/").status_code == 200  # the host is cached now
    billing.subscription_status_override(
        subscription=Subscription.objects.get(cooperative=tenant_a),
        status="suspended",
        operator=operator,
        reason="Tagihan tidak dibayar",
    )
    response = admin_client_a.post("/anggota/", {"full_name": "Siapa Saja"})
    assert response.status_code == 403
    assert "ditangguhkan" in response.content.decode()


def test_archiving_the_cooperative_row_applies_on_the_next_request(admin_client_a, tenant_a):
    assert admin_client_a.get("/").status_code == 200
    coop = Cooperative.objects.get(pk=tenant_a.pk)
    coop.status = Cooperative.Status.ARCHIVED
    coop.save()
    assert admin_client_a.get("/").status_code == 403


def test_a_renamed_or_removed_domain_stops_resolving_at_once(client_a, tenant_a):
    old = tenant_host(tenant_a.slug)
    assert client_a.get("/masuk/").status_code == 200
    domain = Domain.objects.get(domain=old)
    domain.domain = tenant_host("alpha-baru")
    domain.save()
    assert client_a.get("/masuk/").status_code == 404
    assert client_a.get("/masuk/", HTTP_HOST=tenant_host("alpha-baru")).status_code == 200
    domain.delete()
    assert client_a.get("/masuk/", HTTP_HOST=tenant_host("alpha-baru")).status_code == 404


def test_a_host_moved_to_another_cooperative_follows(client_a, tenant_a, tenant_b):
    host = tenant_host(tenant_a.slug)
    assert tenant_for_host(host).pk == tenant_a.pk
    Domain.objects.filter(domain=host).delete()
    Domain.objects.create(domain=host, tenant=tenant_b, is_primary=False)
    assert tenant_for_host(host).pk == tenant_b.pk


def test_two_databases_never_share_entries(tenant_a, tenant_b, monkeypatch):
    host = tenant_host(tenant_a.slug)
    assert tenant_for_host(host).pk == tenant_a.pk  # cached for this database
    # Another database (another test worker, a bench) on the same cache: its own lookup.
    monkeypatch.setitem(connection.settings_dict, "NAME", "elsewhere_db")
    with CaptureQueriesContext(connection) as ctx:
        tenant_for_host(host)
    assert len(_lookups(ctx)) == 1
    # What "elsewhere" caches under that host is not what this database reads.
    Domain.objects.filter(domain=host).update(tenant=tenant_b)  # no signal: stays cached
    monkeypatch.undo()
    assert tenant_for_host(host).pk == tenant_a.pk
    monkeypatch.setitem(connection.settings_dict, "NAME", "elsewhere_db")
    assert tenant_for_host(host).pk == tenant_a.pk  # elsewhere's own entry, made above
    monkeypatch.setitem(connection.settings_dict, "NAME", "third_db")
    assert tenant_for_host(host).pk == tenant_b.pk


def test_cache_off_looks_up_every_time(tenant_a, settings):
    settings.TENANT_HOST_CACHE_SECONDS = 0
    host = tenant_host(tenant_a.slug)
    tenant_for_host(host)
    with CaptureQueriesContext(connection) as ctx:
        tenant_for_host(host)
    assert len(_lookups(ctx)) == 1


def test_cache_unreachable_falls_back_to_the_database(tenant_a, monkeypatch):
    from django.core.cache import cache
    from redis.exceptions import ConnectionError as RedisConnectionError

    def down(*args, **kwargs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    assert tenant_for_host(tenant_host(tenant_a.slug)).pk == tenant_a.pk


def test_a_host_of_no_cooperative_asked_again_costs_no_query(db):
    """A scanner sending the same wrong Host again and again: the first request looks it
    up (a 400), the next ones are answered from the cache."""
    from django.test import Client

    # Not a configured host (the Host check's lookup: 400), and a subdomain of ours that
    # no cooperative has (the tenant middleware's lookup: 404).
    for host, status in (("scanner.example.net", 400), ("nobody.localhost", 404)):
        c = Client(HTTP_HOST=host, raise_request_exception=False)
        with CaptureQueriesContext(connection) as first:
            assert c.get("/masuk/").status_code == status
        with CaptureQueriesContext(connection) as second:
            assert c.get("/masuk/").status_code == status
        assert len(_lookups(first)) == 1, host
        assert _lookups(second) == [], host


def test_a_domain_added_after_a_miss_is_served_at_once(client_a, tenant_a):
    host = "koperasi-baru.example.id"
    with pytest.raises(Domain.DoesNotExist):
        tenant_for_host(host)
    with pytest.raises(Domain.DoesNotExist):
        tenant_for_host(host)  # the cached miss
    Domain.objects.create(domain=host, tenant=tenant_a, is_primary=False)
    assert tenant_for_host(host).pk == tenant_a.pk
    assert client_a.get("/masuk/", HTTP_HOST=host).status_code == 200
