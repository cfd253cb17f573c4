"""Writes on the tenant registry: the public tenant, creating a cooperative."""

import logging
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.models import TenantMixin
from django_tenants.signals import post_schema_sync
from django_tenants.utils import schema_context

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.users.models import User
from tenants.audit import TenantAudit
from tenants.errors import TenantErrors

from .models import Cooperative, Domain, SignupRequest
from .schema_template import schema_clone, template_state
from .validators import validate_slug

log = logging.getLogger(__name__)


def tenant_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def slug_in_use(slug: str) -> bool:
    """Whether ``slug`` is a cooperative's, or its address ``<slug>.<BASE_DOMAIN>`` is
    already served as a domain (e.g. another cooperative's extra domain added in the
    console, or an old address kept after a rename)."""
    return (
        Cooperative.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=tenant_host(slug)).exists()
    )


def verify_max_age() -> int:
    """How long a verification link lives, and so how long an unverified sign-up holds
    its address against others after its last verification e-mail (a few hours:
    squatting a name costs a new e-mail)."""
    return getattr(settings, "SIGNUP_VERIFY_MAX_AGE", 3 * 3600)


def slug_held_by_signup(slug: str, *, exclude_pk: int | None = None) -> bool:
    """Whether a live sign-up (other than ``exclude_pk``) holds ``slug``: verified and
    waiting for its provisioning, or not yet verified within the link's life."""
    stale_before = timezone.now() - timedelta(seconds=verify_max_age())
    live = SignupRequest.objects.filter(slug=slug, status__in=SignupRequest.LIVE).exclude(
        status=SignupRequest.Status.PENDING, verification_sent_at__lt=stale_before
    )
    if exclude_pk is not None:
        live = live.exclude(pk=exclude_pk)
    return live.exists()


@dataclass(frozen=True)
class CooperativeIdentifier:
    """A number that is one cooperative's in Lumbung (its legal number, its NIK
    koperasi): the field that holds it (on Cooperative, SignupRequest and the forms), how
    it is compared, the first key of the two-key advisory lock it is claimed under (the
    second is a hash of the normalised number) and how its refusals are said. Whose
    cooperative has it is never said (anyone can type one)."""

    field: str
    lock_key: int
    case_insensitive: bool  # compared without case or the spaces around it
    code: str
    taken_message: str  # lazy
    being_made_message: str  # lazy

    def normal(self, value: str | None) -> str:
        value = value or ""
        return value.strip().lower() if self.case_insensitive else value

    def lookup(self, number: str) -> dict:
        return {f"{self.field}__iexact" if self.case_insensitive else self.field: number}


LEGAL_NUMBER = CooperativeIdentifier(
    field="legal_number",
    lock_key=0x4C65676C,  # "Legl"
    case_insensitive=True,
    code=TenantErrors.LEGAL_NUMBER_TAKEN,
    taken_message=gettext_lazy(
        "Nomor badan hukum ini sudah terdaftar di Lumbung untuk koperasi lain. Jika itu "
        "koperasi Anda, masuk di alamat Lumbung-nya atau hubungi dukungan Lumbung."
    ),
    being_made_message=gettext_lazy(
        "Nomor badan hukum ini sudah dipakai pendaftaran koperasi lain yang sedang "
        "disiapkan di Lumbung. Jika itu koperasi Anda, tunggu e-mail dari pendaftaran itu; "
        "jika bukan, hubungi dukungan Lumbung."
    ),
)
# Kept as its digits (validate_nik_koperasi), compared as they are.
NIK_KOPERASI = CooperativeIdentifier(
    field="nik_koperasi",
    lock_key=0x4E494B4B,  # "NIKK"
    case_insensitive=False,
    code=TenantErrors.NIK_KOPERASI_TAKEN,
    taken_message=gettext_lazy(
        "NIK koperasi ini sudah terdaftar di Lumbung untuk koperasi lain. Jika itu "
        "koperasi Anda, masuk di alamat Lumbung-nya atau hubungi dukungan Lumbung."
    ),
    being_made_message=gettext_lazy(
        "NIK koperasi ini sudah dipakai pendaftaran koperasi lain yang sedang "
        "disiapkan di Lumbung. Jika itu koperasi Anda, tunggu e-mail dari pendaftaran itu; "
        "jika bukan, hubungi dukungan Lumbung."
    ),
)


def identifier_taken_error(identifier: CooperativeIdentifier) -> ApplicationError:
    """The refusal of a number another cooperative in Lumbung has: a 409 on every path
    (the form's early check, e-mail verification, provisioning), a conflict with that
    cooperative, not a malformed request (a number that does not look like one is the
    validators' 400)."""
    message = str(identifier.taken_message)
    return ApplicationError(
        identifier.code, message, fields={identifier.field: [message]}, status=409
    )


def slug_taken_error(slug: str) -> ApplicationError:
    """The refusal of an address (slug, subdomain) that is taken: a cooperative's, one
    served as its domain, or held by a live sign-up. A 409 on every path (the sign-up
    form's early check and its final one, ``cooperative_create``, ``cooperative_restore``),
    as a taken legal number's: a conflict with whoever has it, not a malformed request
    (an address that does not look like one, or a reserved word, is the validators' 400).
    The live check on the form (``/daftar/cek-alamat/``) shows its message as a 200."""
    return ApplicationError(
        TenantErrors.SLUG_TAKEN,
        _("Alamat '%(slug)s' sudah dipakai.") % {"slug": slug},
        fields={"slug": [_("Alamat sudah dipakai.")]},
        status=409,
    )


def identifier_being_made_error(identifier: CooperativeIdentifier) -> ApplicationError:
    """The refusal, at e-mail verification, of a number another verified sign-up (its
    cooperative being made) has."""
    message = str(identifier.being_made_message)
    return ApplicationError(
        identifier.code, message, fields={identifier.field: [message]}, status=409
    )


def identifier_holder(
    identifier: CooperativeIdentifier, value: str | None, *, slug: str
) -> Cooperative | None:
    """The cooperative in Lumbung (not a practice copy, not the public tenant, not the
    one at ``slug`` itself) that has the number ``value``; None for an empty one."""
    number = identifier.normal(value)
    if not number:
        return None
    return (
        Cooperative.objects.filter(**identifier.lookup(number), is_practice=False)
        .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .exclude(slug=slug)
        .order_by("pk")
        .first()
    )


def identifier_lock(identifier: CooperativeIdentifier, value: str | None) -> None:
    """Inside a transaction: wait for any other transaction holding the number ``value``
    (verifying or making a cooperative with it), then hold it until commit."""
    number = identifier.normal(value)
    if not number:
        return
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [identifier.lock_key, number])


def identifier_claim(identifier: CooperativeIdentifier, *, value: str | None, slug: str) -> None:
    """Inside the transaction that makes the cooperative at ``slug``: wait for any other
    transaction making one with the same number (the advisory lock, held until commit),
    then refuse it if a cooperative has it. One cooperative, one space and one bill: two
    sign-ups sent before either was made, both verified, made two. For the NIK koperasi
    the database's partial unique index (tenants_cooperative_nik_koperasi_unique) is the
    last word. The refusal is a 409, for either number, as at e-mail verification: the
    number is another cooperative's (a conflict with it, not a malformed request)."""
    number = identifier.normal(value)
    if not number:
        return
    identifier_lock(identifier, number)
    if identifier_holder(identifier, number, slug=slug) is not None:
        raise identifier_taken_error(identifier)


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
    admin_user_id: int | None = None


def cooperative_create(
    *,
    slug: str,
    name: str,
    admin_email: str,
    admin_password: str | None = None,
    admin_name: str = "",
    actor=None,
    status: str = Cooperative.Status.TRIAL,
    admin_password_hash: str | None = None,
    clone: bool | None = None,
    signup_id: int | None = None,
    **profile,
) -> CreatedCooperative:
    """Create a cooperative: tenant row, domain, schema, seed data, first admin.

    The schema is a clone of the migrated template schema (tenants.schema_template).
    ``clone=None`` clones when the template is in step with the migrations and falls
    back to running every migration otherwise; ``clone=True`` refuses a missing or stale
    template (ApplicationError); ``clone=False`` always runs the migrations.
    ``admin_password_hash`` (an already hashed password, e.g. from the sign-up form)
    takes the place of ``admin_password``. An address a live sign-up holds is refused,
    except to that sign-up's own provisioning (``signup_id``).

    All or nothing: everything, the schema included, happens in one database
    transaction, so a failure at any step (or a crash) leaves no row, domain or schema."""
    validate_slug(slug)
    if slug_in_use(slug) or slug_held_by_signup(slug, exclude_pk=signup_id):
        raise slug_taken_error(slug)
    password = admin_password or ("" if admin_password_hash else secrets.token_urlsafe(12))
    if clone is None:
        clone = template_state().current
        if not clone:
            log.warning("Template schema missing or stale: creating %s by migrations", slug)
    coop = Cooperative(
        slug=slug,
        name=name,
        schema_name=schema_name_for(slug),
        email=admin_email,
        status=Cooperative.Status.PROVISIONING,
        **profile,
    )
    try:
        if not clone:
            identifier_claim(LEGAL_NUMBER, value=coop.legal_number, slug=slug)  # before the work
            identifier_claim(NIK_KOPERASI, value=coop.nik_koperasi, slug=slug)
            # Migrations commit as they go, so this path cannot sit in one transaction:
            # on failure cooperative_discard() below removes what was made.
            coop.save()  # creates the schema and runs every tenant migration
        with transaction.atomic():
            # held until the cooperative's row commits (another's waits, then sees it)
            identifier_claim(LEGAL_NUMBER, value=coop.legal_number, slug=slug)
            identifier_claim(NIK_KOPERASI, value=coop.nik_koperasi, slug=slug)
            if clone:
                coop.auto_create_schema = False
                coop.save()
                schema_clone(target=coop.schema_name)
                post_schema_sync.send(sender=TenantMixin, tenant=coop)
            connection.set_schema_to_public()
            Domain.objects.create(domain=tenant_host(slug), tenant=coop, is_primary=True)
            with schema_context(coop.schema_name):
                admin = User(
                    username=admin_email,
                    email=admin_email,
                    full_name=admin_name or admin_email,
                    role=User.Role.ADMIN,
                    is_staff=True,
                )
                if admin_password_hash:
                    admin.password = admin_password_hash
                else:
                    admin.set_password(password)
                admin.save()
                for seed in tenant_seeders():
                    seed(cooperative=coop)
                audit_log(
                    actor=admin,
                    action=TenantAudit.COOPERATIVE_CREATED,
                    target=admin,
                    data={"slug": slug},
                )
            coop.status = status
            coop.save(update_fields=["status", "updated_at"])
            for hook in provisioned_hooks():
                hook(cooperative=coop)
            audit_log(actor=actor or "system", action=TenantAudit.COOPERATIVE_CREATED, target=coop)
    except Exception:
        log.exception("Creating cooperative %s failed; nothing was kept", slug)
        connection.set_schema_to_public()
        if not clone:
            cooperative_discard(cooperative=coop)
        raise
    made = CreatedCooperative(coop, admin_email, password, tenant_url(slug))
    made.admin_user_id = admin.pk
    return made


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


SCHEMA_DIR_RE = re.compile(r"^coop_[a-z0-9_]{1,58}$")


def cooperative_media_remove(*, schema: str) -> int:
    """Delete every stored file of a cooperative: its directory ``<schema>/`` in the
    default storage (loan documents, payslips, transfer proofs; see
    core.common.uploads). Returns how many files were removed. Only a cooperative's own
    directory name is accepted, never the storage root or a path."""
    if not SCHEMA_DIR_RE.match(schema or ""):
        raise ValueError(f"not a cooperative schema name: {schema!r}")
    removed = 0

    def walk(path: str) -> None:
        nonlocal removed
        try:
            dirs, files = default_storage.listdir(path)
        except FileNotFoundError:
            return
        for name in files:
            default_storage.delete(f"{path}/{name}")
            removed += 1
        for name in dirs:
            walk(f"{path}/{name}")

    walk(schema)
    # File-system storage keeps the emptied directories: remove them too.
    root = getattr(default_storage, "location", None)
    if root:
        target = os.path.realpath(os.path.join(root, schema))
        if os.path.dirname(target) == os.path.realpath(root) and os.path.isdir(target):
            shutil.rmtree(target)
    log.info("Removed %s stored file(s) of %s", removed, schema)
    return removed
