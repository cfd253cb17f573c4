"""Data of cooperative A is invisible from B's host and from the apex."""

from django.db import connection
from django.test import Client

from core.users.models import User


def _make_user_in(tenant, username, password="Sandi-rahasia-9"):
    connection.set_tenant(tenant)
    user = User.objects.create_user(username=username, password=password, role=User.Role.PETUGAS)
    connection.set_schema_to_public()
    return user


def test_user_created_in_a_is_not_in_b_schema(tenant_a, tenant_b):
    _make_user_in(tenant_a, "teller-a")
    connection.set_tenant(tenant_b)
    assert not User.objects.filter(username="teller-a").exists()
    connection.set_tenant(tenant_a)
    assert User.objects.filter(username="teller-a").exists()
    connection.set_schema_to_public()
    assert not User.objects.filter(username="teller-a").exists()


def test_login_of_a_works_only_at_a_host(tenant_a, client_a, client_b, client_public):
    _make_user_in(tenant_a, "teller-a")
    creds = {"username": "teller-a", "password": "Sandi-rahasia-9"}
    assert client_a.post("/masuk/", creds).status_code == 302
    # (the apex's /masuk/ is the operator console's login, /konsol/masuk/)
    for other, path in ((client_b, "/masuk/"), (client_public, "/konsol/masuk/")):
        response = other.post(path, creds)
        assert response.status_code == 200  # the form again, with an error
        assert "_auth_user_id" not in other.session


def test_session_of_a_does_not_authenticate_at_b(tenant_a, tenant_b, client_a):
    _make_user_in(tenant_a, "teller-a")
    client_a.post("/masuk/", {"username": "teller-a", "password": "Sandi-rahasia-9"})
    cookie = client_a.cookies["sessionid"].value
    other = Client(HTTP_HOST="beta.localhost")
    other.cookies["sessionid"] = cookie
    response = other.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    mine = client_a.get("/api/v1/me/")
    assert mine.status_code == 200
    assert mine.json()["cooperative"] == tenant_a.name


def test_unknown_host_is_refused_with_404(db):
    response = Client(HTTP_HOST="tidakada.localhost").get("/")
    assert response.status_code == 404
    assert b"Traceback" not in response.content


def test_apex_serves_public_site(client_public):
    response = client_public.get("/")
    assert response.status_code == 200
    assert "Lumbung" in response.content.decode()
