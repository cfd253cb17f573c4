"""Writes on the tenant registry: the public tenant, creating a cooperative."""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context

from core.audit.services import audit_log
from core.common.errors import ApplicationError

from .models import Cooperative, Domain
from .validators import validate_slug

log = logging.getLogger(__name__)


def tenant_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def tenant_url(slug: str) -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT not in ("", "80", "443") else ""
    return f"{settings.SITE_SCHEME}://{tenant_host(slug)}{port}/"


def schema_name_for(slug: str) -> str:
    return "coop_" + slug.replace("-", "_")


@transaction.atomic
def public_tenant_ensure() -> Cooperative:
    """The public schema's tenant row and the apex domain (idempotent)."""
    public, _created = Cooperative.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"slug": "public", "name": "Lumbung", "status": Cooperative.Status.ACTIVE},
    )
    Domain.objects.get_or_create(
        domain=settings.BASE_DOMAIN, defaults={"tenant": public, "is_primary": True}
    )
    return public


def tenant_seeders() -> list:
    """Functions run inside a new cooperative's schema to seed it (chart of accounts,
    default products, ...). Each app adds its own to settings.TENANT_SEEDERS."""
    return [import_string(path) for path in getattr(settings, "TENANT_SEEDERS", [])]


def provisioned_hooks() -> list:
    """Functions run in the public schema once a cooperative exists (e.g. billing starts
    its trial subscription). settings.TENANT_PROVISIONED_HOOKS."""
    return [import_string(p) for p in getattr(settings, "TENANT_PROVISIONED_HOOKS", [])]


@dataclass
class CreatedCooperative:
    cooperative: Cooperative
    admin_username: str
    admin_password: str
    url: str


def cooperative_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    admin_name: str = "",
    actor=None,
    status: str = Cooperative.Status.TRIAL,
    **profile,
) -> CreatedCooperative:
    """Create a cooperative: tenant row, domain, schema (migrated), seed data, first admin.

    All or nothing: if any step fails, the schema and rows made so far are removed."""
    validate_slug(slug)
    if Cooperative.objects.filter(slug=slug).exists():
        raise ApplicationError(
            "slug_taken",
            _("Alamat '%(slug)s' sudah dipakai.") % {"slug": slug},
            fields={"slug": [_("Alamat sudah dipakai.")]},
        )
    password = admin_password or secrets.token_urlsafe(12)
    coop = Cooperative(
        slug=slug,
        name=name,
        schema_name=schema_name_for(slug),
        email=admin_email,
        status=Cooperative.Status.PROVISIONING,
        **profile,
    )
    try:
        coop.save()  # creates and migrates the schema
        Domain.objects.create(domain=tenant_host(slug), tenant=coop, is_primary=True)
        with schema_context(coop.schema_name), transaction.atomic():
            from core.users.models import User

            admin = User.objects.create_user(
                username=admin_email,
                email=admin_email,
                password=password,
                full_name=admin_name or admin_email,
                role=User.Role.ADMIN,
                is_staff=True,
            )
            for seed in tenant_seeders():
                seed(cooperative=coop)
            audit_log(actor=admin, action="cooperative.created", target=admin, data={"slug": slug})
        coop.status = status
        coop.save(update_fields=["status", "updated_at"])
        for hook in provisioned_hooks():
            hook(cooperative=coop)
        audit_log(actor=actor or "system", action="cooperative.created", target=coop)
    except Exception:
        log.exception("Creating cooperative %s failed; removing what was made", slug)
        connection.set_schema_to_public()
        cooperative_discard(cooperative=coop)
        raise
    return CreatedCooperative(coop, admin_email, password, tenant_url(slug))


def cooperative_discard(*, cooperative: Cooperative) -> None:
    """Remove a (failed) cooperative entirely: schema, domains, row."""
    connection.set_schema_to_public()
    with connection.cursor() as cur:
        # Fire pending deferred FK checks first: DROP refuses tables with pending events
        # when we run inside an outer transaction.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(f'DROP SCHEMA IF EXISTS "{cooperative.schema_name}" CASCADE')
    if cooperative.pk:
        Domain.objects.filter(tenant_id=cooperative.pk).delete()
        Cooperative.objects.filter(pk=cooperative.pk).delete()
