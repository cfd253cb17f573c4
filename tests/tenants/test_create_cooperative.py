import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from core.audit.models import AuditEvent
from core.users.models import User
from tenants.models import Cooperative, Domain
from tenants.services import cooperative_create


def _schema_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [name])
        return cur.fetchone() is not None


def test_create_cooperative_command_makes_tenant_domain_schema_and_admin(db, capsys):
    call_command(
        "create_cooperative",
        "--slug",
        "gamma",
        "--name",
        "KPRI Gamma",
        "--admin-email",
        "ketua@gamma.test",
    )
    out = capsys.readouterr().out
    assert "http://gamma.localhost:8000/" in out
    password = [ln.split()[1] for ln in out.splitlines() if ln.startswith("Password:")][0]
    coop = Cooperative.objects.get(slug="gamma")
    assert coop.status == Cooperative.Status.TRIAL
    assert Domain.objects.filter(tenant=coop, domain="gamma.localhost").exists()
    assert _schema_exists(coop.schema_name)
    client = Client(HTTP_HOST="gamma.localhost")
    assert (
        client.post("/masuk/", {"username": "ketua@gamma.test", "password": password}).status_code
        == 302
    )
    with schema_context(coop.schema_name):
        assert User.objects.get(username="ketua@gamma.test").role == User.Role.ADMIN
    assert AuditEvent.objects.filter(action="cooperative.created", target_id=str(coop.pk)).exists()


def test_create_cooperative_refuses_taken_and_reserved_and_malformed_slugs(db, tenant_a):
    for slug in (tenant_a.slug, "admin", "-bad", "x", "Huruf-Besar"):
        with pytest.raises(CommandError):
            call_command(
                "create_cooperative",
                "--slug",
                slug,
                "--name",
                "X",
                "--admin-email",
                "a@b.test",
                "--admin-password",
                "Sandi-rahasia-9",
            )
    assert Cooperative.objects.count() == 3  # public, alpha, beta


def test_failure_mid_way_leaves_no_half_made_tenant(db, settings):
    settings.TENANT_SEEDERS = ["tests.tenants.test_create_cooperative.failing_seeder"]
    with pytest.raises(RuntimeError):
        cooperative_create(
            slug="delta",
            name="KPRI Delta",
            admin_email="a@delta.test",
            admin_password="Sandi-rahasia-9",
        )
    assert not Cooperative.objects.filter(slug="delta").exists()
    assert not Domain.objects.filter(domain="delta.localhost").exists()
    assert not _schema_exists("coop_delta")


def failing_seeder(*, cooperative):
    raise RuntimeError("seed failed on purpose")


@pytest.mark.parametrize("slug", ["kpri-baru\n", "kpri-baru\r\n", "kpri-baru "])
def test_a_slug_with_trailing_whitespace_is_refused_as_malformed(db, slug):
    """``$`` matches before a final newline: the address check must not let one through
    (it would reach the database's own check and end in an IntegrityError)."""
    from core.common.errors import ApplicationError
    from tenants.validators import validate_slug

    with pytest.raises(ApplicationError) as refused:
        validate_slug(slug)
    assert refused.value.code == "slug_invalid"
    with pytest.raises(CommandError, match="slug_invalid"):
        call_command(
            "create_cooperative",
            "--slug",
            slug,
            "--name",
            "X",
            "--admin-email",
            "a@b.test",
            "--admin-password",
            "Sandi-rahasia-9",
        )
    assert not Cooperative.objects.filter(slug__startswith="kpri-baru").exists()


@pytest.mark.parametrize(
    ("field", "held", "typed", "code"),
    [
        ("legal_number", "123/BH/XVIII.4/2020", " 123/bh/xviii.4/2020 ", "legal_number_taken"),
        ("nik_koperasi", "6271010020002", "6271010020002", "nik_koperasi_taken"),
    ],
)
def test_an_identifier_another_cooperative_has_is_refused_with_409_either_way(
    db, tenant_a, field, held, typed, code
):
    """A number already another cooperative's is a conflict with that
    cooperative, as e-mail verification answers it (409) for both numbers:
    ``cooperative_create`` answered 409 for a taken NIK koperasi but 400 for a taken
    legal number. Nothing is made either way."""
    from core.common.errors import ApplicationError

    Cooperative.objects.filter(pk=tenant_a.pk).update(**{field: held})
    with pytest.raises(ApplicationError) as refused:
        cooperative_create(
            slug="kembar", name="KPRI Kembar", admin_email="a@kembar.test", **{field: typed}
        )
    assert (refused.value.code, refused.value.status_code) == (code, 409)
    assert list(refused.value.fields) == [field]
    assert not Cooperative.objects.filter(slug="kembar").exists()
    assert not _schema_exists("coop_kembar")
