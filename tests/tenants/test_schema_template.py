"""The template schema new cooperatives are cloned from."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.common.errors import ApplicationError
from tenants.models import SchemaTemplate
from tenants.regions import DATA, provinces, regencies_of
from tenants.schema_template import (
    TEMPLATE_SCHEMA,
    expected_migrations,
    missing_migrations,
    schema_clone,
    schema_signature,
    signature_diff,
    template_state,
)


def test_template_is_built_by_migrate_and_in_step(db):
    state = template_state()
    assert state.exists and state.snapshot and state.missing == []
    assert SchemaTemplate.objects.get(name=TEMPLATE_SCHEMA).migration_count == len(
        expected_migrations()
    )
    call_command("template_schema_refresh", "--check")


def test_a_clone_is_identical_to_the_template(db):
    schema_clone(target="clone_probe", use_spare=False)
    diff = signature_diff(schema_signature(TEMPLATE_SCHEMA), schema_signature("clone_probe"))
    assert diff == {}


def test_clone_keeps_constraint_names_and_triggers(db):
    schema_clone(target="clone_probe")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'clone_probe'::regnamespace "
            "AND conname LIKE '%%_uniq'"
        )
        assert cur.fetchall(), "Django's unique constraint names are kept"
        cur.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = 'clone_probe'::regnamespace AND NOT t.tgisinternal"
        )
        assert cur.fetchone()[0] > 0
        # The immutable audit trigger works in the clone and points at its own function.
        cur.execute("SET LOCAL search_path = clone_probe")
        cur.execute(
            "INSERT INTO audit_auditevent (actor_label, action, target_type, target_id, "
            "target_repr, reason, data, created_at) "
            "VALUES ('t', 'x', '', '', '', '', '{}', now()) RETURNING id"
        )
        new_id = cur.fetchone()[0]
        with pytest.raises(Exception, match="immutable"):
            cur.execute("UPDATE audit_auditevent SET action = 'y' WHERE id = %s", [new_id])


def test_stale_template_is_refused(db):
    with connection.cursor() as cur:
        cur.execute(
            f"DELETE FROM {TEMPLATE_SCHEMA}.django_migrations WHERE app = 'tenants' OR "
            "id = (SELECT max(id) FROM " + TEMPLATE_SCHEMA + ".django_migrations)"
        )
    assert missing_migrations()
    with pytest.raises(ApplicationError) as exc:
        schema_clone(target="clone_probe")
    assert exc.value.code == "template_stale"
    with pytest.raises(CommandError, match="stale"):
        call_command("template_schema_refresh", "--check")


def test_missing_template_is_refused(db):
    SchemaTemplate.objects.all().delete()
    with pytest.raises(ApplicationError) as exc:
        schema_clone(target="clone_probe")
    assert exc.value.code == "template_missing"


def test_cooperative_create_falls_back_to_migrations_without_a_template(db, settings):
    from tenants.models import Cooperative
    from tenants.services import cooperative_create

    settings.TENANT_PROVISIONED_HOOKS = []
    SchemaTemplate.objects.all().delete()
    made = cooperative_create(
        slug="tanpa-templat",
        name="KPRI Tanpa Templat",
        admin_email="a@t.test",
        admin_password="Sandi-rahasia-9",
    )
    assert Cooperative.objects.filter(pk=made.cooperative.pk).exists()
    with pytest.raises(ApplicationError):
        cooperative_create(
            slug="harus-klon", name="X", admin_email="a@h.test", admin_password="x", clone=True
        )


def test_regions_data_has_38_provinces_and_514_regencies():
    data = json.loads(DATA.read_text(encoding="utf-8"))["provinces"]
    assert len(data) == 38 == len({p["name"] for p in data})
    assert sum(len(p["regencies"]) for p in data) == 514
    for p in provinces():
        assert len(set(p["regencies"])) == len(p["regencies"]), p["name"]
        assert all(r.startswith(("Kabupaten ", "Kota ")) for r in p["regencies"])
    assert "Kota Palangka Raya" in regencies_of("Kalimantan Tengah")
    assert "Kabupaten Merauke" in regencies_of("Papua Selatan")


def _pinned_search_paths(schema: str) -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c FROM pg_proc p, unnest(p.proconfig) c "
            "WHERE p.pronamespace = %s::regnamespace AND c LIKE 'search_path=%%'",
            [schema],
        )
        return [r[0] for r in cur.fetchall()]


def test_a_spare_is_taken_by_rename_and_is_identical_to_the_template(db):
    from tenants.models import SpareSchema
    from tenants.schema_template import spares_fill

    SpareSchema.objects.all().delete()
    assert spares_fill(count=1) == 1
    spare = SpareSchema.objects.get()
    schema_clone(target="clone_probe")
    assert not SpareSchema.objects.exists()
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [spare.name])
        assert cur.fetchone() is None  # renamed, not copied
    diff = signature_diff(schema_signature(TEMPLATE_SCHEMA), schema_signature("clone_probe"))
    assert diff == {}
    assert len(_pinned_search_paths("clone_probe")) == len(_pinned_search_paths(TEMPLATE_SCHEMA))
    for setting in _pinned_search_paths("clone_probe"):
        assert "clone_probe" in setting and spare.name not in setting


def test_a_failed_creation_gives_the_spare_back(db):
    from django.db import transaction

    from tenants.models import SpareSchema
    from tenants.schema_template import spares_fill

    SpareSchema.objects.all().delete()
    spares_fill(count=1)
    with pytest.raises(RuntimeError), transaction.atomic():
        schema_clone(target="clone_probe")
        raise RuntimeError("later step failed")
    assert SpareSchema.objects.count() == 1
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'clone_probe'")
        assert cur.fetchone() is None


def test_a_spare_of_an_older_template_is_not_used_and_is_dropped(db):
    from tenants.models import SpareSchema
    from tenants.schema_template import spares_fill

    SpareSchema.objects.all().delete()
    schema_clone(target="lumbung_spare_old", use_spare=False)
    SpareSchema.objects.create(name="lumbung_spare_old", fingerprint="0" * 64)
    schema_clone(target="clone_probe")
    assert SpareSchema.objects.filter(name="lumbung_spare_old").exists()
    spares_fill(count=0)
    assert not SpareSchema.objects.exists()
    with connection.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'lumbung_spare_old'")
        assert cur.fetchone() is None
