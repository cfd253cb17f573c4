"""The practice copy ("Ruang latihan") of a cooperative, at ``<slug>-latihan.<domain>``.

A separate tenant (``Cooperative.is_practice``, ``practice_of`` = the real one) whose
schema is a clone of the *practice template*: a schema holding the demo data (the
``DEMO_SEEDERS`` run over a fresh clone of the migrated template), snapshotted with the
same snapshot/clone machinery as sign-up (``tenants.schema_template``), so opening or
resetting a copy is one script run (DDL plus an INSERT … SELECT per table), not a seed.

The real cooperative's staff logins (password hash, role, TOTP devices) are copied in,
so they log in with what they know; a login deactivated, reactivated, given another
role, a new password or its authenticator reset or replaced in the real cooperative
changes in the copy at once (``practice_user_sync``). The
copy is never billed (no subscription; billing excludes it), never counted in usage,
plan limits or the Dinas figures, sends no e-mail (``lumbung.mail``), and is deleted
when unused for ``PRACTICE_UNUSED_DAYS`` days.
Nothing here writes to the real cooperative's schema except its own audit rows.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from core.audit.services import audit_log
from core.common.errors import ApplicationError
from core.users.models import User
from core.users.selectors import staff_people
from core.users.services import user_sessions_end
from lumbung.mail import mail_suppressed
from tenants.audit import TenantAudit
from tenants.errors import TenantErrors

from .host_cache import tenant_host_forget
from .models import Cooperative, Domain, SchemaTemplate
from .schema_template import (
    LOCK_KEY,
    _drop,
    _run_script,
    _schema_exists,
    migrations_fingerprint,
    qi,
    schema_clone,
    snapshot_build,
)
from .services import (
    cooperative_discard,
    cooperative_media_remove,
    schema_name_for,
    slug_in_use,
    tenant_host,
    tenant_seeders,
)
from .validators import PRACTICE_SUFFIX

log = logging.getLogger(__name__)

PRACTICE_TEMPLATE_SCHEMA = "lumbung_practice_template"
PRACTICE_STAGING_SCHEMA = "lumbung_practice_next"
PRACTICE_LOCK = LOCK_KEY + 2  # template rebuild (exclusive) vs. clones (shared)
SEED_ADMIN = "latihan@lumbung.invalid"
OPEN_STATUSES = (
    Cooperative.Status.TRIAL,
    Cooperative.Status.ACTIVE,
    Cooperative.Status.PAST_DUE,
)
TOUCH_EVERY = timedelta(hours=1)


def unused_days() -> int:
    return int(getattr(settings, "PRACTICE_UNUSED_DAYS", 90))


def practice_slug(slug: str) -> str:
    return slug + PRACTICE_SUFFIX


# ----------------------------------------------------------------------- the template


@contextmanager
def _mail_suppressed():
    """The demo seeders notify demo members by e-mail (loans): never while building."""
    with mail_suppressed():
        yield


def practice_template_current(*, today=None) -> bool:
    """The practice template exists, matches the migrations on disk and was built this
    month (the demo data is dated relative to the day it is seeded)."""
    today = today or timezone.localdate()
    snap = (
        SchemaTemplate.objects.filter(name=PRACTICE_TEMPLATE_SCHEMA)
        .only("fingerprint", "refreshed_at")
        .first()
    )
    if snap is None or not _schema_exists(PRACTICE_TEMPLATE_SCHEMA):
        return False
    built = timezone.localdate(snap.refreshed_at)
    return snap.fingerprint == migrations_fingerprint() and (built.year, built.month) == (
        today.year,
        today.month,
    )


def practice_template_refresh(*, force: bool = False) -> bool:
    """(Re)build the practice template when it is missing, stale or from an earlier
    month (or ``force``): a fast clone of the migrated template, the tenant and demo
    seeders run in it, a snapshot taken, then swapped in. All in one transaction; clones
    wait on the lock meanwhile. Returns whether it was rebuilt."""
    connection.set_schema_to_public()
    if not force and practice_template_current():
        return False
    started = time.perf_counter()
    with _mail_suppressed(), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [PRACTICE_LOCK])
        if not force and practice_template_current():
            return False  # built by someone else while we waited
        _drop(PRACTICE_STAGING_SCHEMA)
        schema_clone(target=PRACTICE_STAGING_SCHEMA, use_spare=False)
        stand_in = Cooperative(
            slug="latihan", name=_("KPRI Latihan"), schema_name=PRACTICE_STAGING_SCHEMA
        )
        with schema_context(PRACTICE_STAGING_SCHEMA):
            seed_admin = User(
                username=SEED_ADMIN,
                email=SEED_ADMIN,
                full_name=_("Admin latihan"),
                role=User.Role.ADMIN,
                is_staff=True,
            )
            seed_admin.set_unusable_password()
            seed_admin.save()
            for seed in tenant_seeders():
                seed(cooperative=stand_in)
            for path in getattr(settings, "DEMO_SEEDERS", []):
                import_string(path)(cooperative=stand_in)
        connection.set_schema_to_public()
        snap = snapshot_build(PRACTICE_STAGING_SCHEMA)
        with connection.cursor() as cur:
            cur.execute(f"DROP SCHEMA IF EXISTS {qi(PRACTICE_TEMPLATE_SCHEMA)} CASCADE")
            cur.execute(
                f"ALTER SCHEMA {qi(PRACTICE_STAGING_SCHEMA)} RENAME TO "
                f"{qi(PRACTICE_TEMPLATE_SCHEMA)}"
            )
        SchemaTemplate.objects.update_or_create(
            name=PRACTICE_TEMPLATE_SCHEMA,
            defaults={
                "script": snap["script"],
                "fingerprint": migrations_fingerprint(),
                "build_seconds": round(time.perf_counter() - started, 3),
            },
        )
    log.info("Practice template rebuilt in %.2f s", time.perf_counter() - started)
    return True


def _practice_clone(*, target: str) -> None:
    """Create schema ``target`` from the practice template (caller's transaction)."""
    practice_template_refresh()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", [PRACTICE_LOCK])
        snap = SchemaTemplate.objects.get(name=PRACTICE_TEMPLATE_SCHEMA)
        _run_script(script=snap.script, source=PRACTICE_TEMPLATE_SCHEMA, target=target)


# ------------------------------------------------------------------------------ staff


def _staff_of(schema: str, *, pk: int | None = None) -> list[tuple[dict, list[dict]]]:
    """The active staff logins of a schema (or only login ``pk``, when it is one) with
    their TOTP devices, as plain values. API-key users and Lumbung's support user are
    not people (staff_people)."""
    user_fields = ("username", "email", "full_name", "role", "password", "is_staff")
    device_fields = [
        f.attname for f in TOTPDevice._meta.concrete_fields if f.attname not in ("id", "user_id")
    ]
    out = []
    with schema_context(schema):
        users = staff_people().filter(is_active=True).order_by("pk")
        if pk is not None:
            users = users.filter(pk=pk)
        devices: dict[int, list[dict]] = {}
        for d in TOTPDevice.objects.filter(user__in=users).order_by("pk"):
            devices.setdefault(d.user_id, []).append({f: getattr(d, f) for f in device_fields})
        for u in users:
            out.append(({f: getattr(u, f) for f in user_fields}, devices.get(u.pk, [])))
    return out


def practice_staff_sync(*, practice: Cooperative) -> int:
    """Copy the real cooperative's staff logins into the practice schema (same password
    hash, role and TOTP devices); every other login there is deactivated. Returns how
    many were copied. Reads the real schema, writes only the practice one."""
    staff = _staff_of(practice.practice_of.schema_name)
    with schema_context(practice.schema_name), transaction.atomic():
        names = [u["username"] for u, _devices in staff]
        User.objects.exclude(username__in=names).update(is_active=False)
        for values, devices in staff:
            _copy_login(values, devices)
    connection.set_schema_to_public()
    return len(staff)


def _copy_login(values: dict, devices: list[dict]) -> None:
    """One real staff login written into the current (practice) schema, active."""
    user, _created = User.objects.update_or_create(
        username=values["username"], defaults={**values, "is_active": True}
    )
    # an authenticator the real login still has keeps its row (and id): a session
    # in the copy that passed the code step with it stays signed in when a
    # colleague enters (core.users.middleware ends a session whose device is gone)
    kept = {t.key: t for t in TOTPDevice.objects.filter(user=user).order_by("pk")}
    for d in devices:
        device = kept.pop(d["key"], None)
        if device is None:
            TOTPDevice.objects.create(user=user, **d)
        else:
            # the later guard stays: a code spent here is not brought back by the copy
            # (the code step keeps both in step: core.users.otp.totp_match)
            last_t = max(device.last_t, d["last_t"])
            for name, value in d.items():
                setattr(device, name, value)
            device.last_t = last_t
            device.save()
    TOTPDevice.objects.filter(pk__in=[t.pk for t in kept.values()]).delete()


def practice_user_sync(*, user: User, by) -> None:
    """``USER_RIGHTS_CHANGED_HOOKS``: a login of the current (real) cooperative was
    deactivated, reactivated, given another role or a new password, or its authenticator
    was turned off or replaced; its practice copy follows in the same transaction, so
    nobody has to enter the copy first: still an active staff person, the login is
    copied as ``practice_staff_sync`` copies it (the new password hash: the old password
    no longer signs in there; an authenticator it still has keeps its row, one it no
    longer has is deleted, ending a session there that passed the code step with it);
    otherwise it is deactivated there and its sessions there are deleted (they would
    come back with a reactivation).
    Audited in the real cooperative. A copy that cannot be written is logged and
    left; it is brought in line the next time someone enters it."""
    schema = connection.schema_name
    if schema == "public":
        return
    # the public table through the search path; locked against a reset of the copy
    practice = (
        Cooperative.objects.select_for_update()
        .filter(is_practice=True, practice_of__schema_name=schema)
        .only("pk", "slug", "schema_name")
        .first()
    )
    if practice is None:
        return
    staff = _staff_of(schema, pk=user.pk)
    try:
        with schema_context(practice.schema_name), transaction.atomic():
            if staff:
                _copy_login(*staff[0])
            else:
                for there in User.objects.filter(username=user.username, is_active=True):
                    there.is_active = False
                    there.save(update_fields=["is_active"])
                    user_sessions_end(user=there)  # for good, as in the cooperative
    except Exception:
        log.exception("Practice copy %s: login %s not synced", practice.schema_name, user.pk)
        return
    audit_log(
        actor=by,
        action=TenantAudit.PRACTICE_USER_SYNCED,
        target=user,
        data={"slug": practice.slug, "active": bool(staff), "role": user.role},
    )


def practice_login_schemas(schema: str) -> list[str]:
    """``LOGIN_SCHEMAS`` (core.users.linked): the schemas holding the staff logins of
    ``schema`` — its cooperative's first, then that cooperative's practice copy, if it has
    one; ``[schema]`` for the public schema or an unknown one."""
    coop = (
        Cooperative.objects.filter(schema_name=schema)
        .only("pk", "is_practice", "practice_of")
        .first()
    )
    if coop is None:
        return [schema]
    if coop.is_practice:
        real = (
            Cooperative.objects.filter(pk=coop.practice_of_id)
            .values_list("schema_name", flat=True)
            .first()
        )
        return [real, schema] if real else [schema]
    copies = Cooperative.objects.filter(practice_of=coop, is_practice=True).order_by("pk")
    return [schema, *copies.values_list("schema_name", flat=True)]


# --------------------------------------------------------------------------- services


def _actor_label(by) -> str:
    return getattr(by, "username", None) or str(by)


def _audit_real(*, cooperative: Cooperative, by, action: str, data: dict) -> None:
    """The action in the real cooperative's own audit log (its admin sees it) and in
    the public one."""
    if isinstance(by, User) and by.pk:
        with schema_context(cooperative.schema_name):
            audit_log(actor=by, action=action, data=data)
    connection.set_schema_to_public()
    audit_log(
        actor=f"{_actor_label(by)}@{cooperative.slug}", action=action, target=cooperative, data=data
    )


def practice_get(*, cooperative: Cooperative) -> Cooperative | None:
    return Cooperative.objects.filter(practice_of=cooperative, is_practice=True).first()


@transaction.atomic
def practice_open(*, cooperative: Cooperative, by) -> Cooperative:
    """The cooperative's practice copy, made when it has none (a clone of the practice
    template at <slug>-latihan), its staff logins copied in (again, when it exists)."""
    connection.set_schema_to_public()
    cooperative = Cooperative.objects.select_for_update().get(pk=cooperative.pk)
    if cooperative.is_practice or cooperative.is_public:
        raise ApplicationError(
            TenantErrors.PRACTICE_NOT_ALLOWED,
            _("Ruang latihan tidak dapat dibuat dari sini."),
            status=400,
        )
    if cooperative.status not in OPEN_STATUSES:
        raise ApplicationError(
            TenantErrors.PRACTICE_NOT_ALLOWED,
            _("Ruang latihan hanya untuk koperasi yang aktif."),
            status=409,
        )
    practice = practice_get(cooperative=cooperative)
    now = timezone.now()
    if practice is None:
        slug = practice_slug(cooperative.slug)
        if slug_in_use(slug):
            raise ApplicationError(
                TenantErrors.PRACTICE_SLUG_TAKEN,
                _("Alamat ruang latihan sudah dipakai."),
                status=409,
            )
        practice = Cooperative(
            slug=slug,
            name=_("%(name)s (LATIHAN)") % {"name": cooperative.name},
            schema_name=schema_name_for(slug),
            kind=cooperative.kind,
            status=Cooperative.Status.ACTIVE,
            is_practice=True,
            practice_of=cooperative,
            practice_reset_at=now,
            practice_used_at=now,
        )
        practice.auto_create_schema = False
        practice.save()
        _practice_clone(target=practice.schema_name)
        connection.set_schema_to_public()
        Domain.objects.create(domain=tenant_host(slug), tenant=practice, is_primary=True)
        action = "practice.opened"
    else:
        Cooperative.objects.filter(pk=practice.pk).update(practice_used_at=now)
        tenant_host_forget(cooperative_id=practice.pk)
        action = "practice.entered"
    copied = practice_staff_sync(practice=practice)
    _audit_real(
        cooperative=cooperative, by=by, action=action, data={"slug": practice.slug, "staff": copied}
    )
    return practice


def practice_media_remove_on_commit(*, schema: str) -> None:
    """Once the transaction commits, delete the practice copy's stored files
    (``<schema>/``: documents uploaded while practising); a rollback keeps them with the
    schema. A failure is logged: the copy is gone either way."""
    transaction.on_commit(lambda: cooperative_media_remove(schema=schema), robust=True)


@transaction.atomic
def practice_reset(*, cooperative: Cooperative, by) -> Cooperative:
    """Throw the practice copy's data away and start again from a fresh copy of the
    practice template (everyone is logged out of it: sessions live in its schema)."""
    connection.set_schema_to_public()
    practice = (
        Cooperative.objects.select_for_update().filter(practice_of=cooperative, is_practice=True)
    ).first()
    if practice is None:
        raise ApplicationError(
            TenantErrors.PRACTICE_MISSING, _("Belum ada ruang latihan."), status=404
        )
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(f"DROP SCHEMA IF EXISTS {qi(practice.schema_name)} CASCADE")
    practice_media_remove_on_commit(schema=practice.schema_name)  # the old data's files
    _practice_clone(target=practice.schema_name)
    connection.set_schema_to_public()
    now = timezone.now()
    Cooperative.objects.filter(pk=practice.pk).update(practice_reset_at=now, practice_used_at=now)
    tenant_host_forget(cooperative_id=practice.pk)
    practice.refresh_from_db()
    copied = practice_staff_sync(practice=practice)
    _audit_real(
        cooperative=cooperative,
        by=by,
        action="practice.reset",
        data={"slug": practice.slug, "staff": copied},
    )
    return practice


@transaction.atomic
def practice_delete(*, practice: Cooperative, by, reason: str = "") -> None:
    """Remove a practice copy: its schema, domain and row. Refuses a real cooperative."""
    connection.set_schema_to_public()
    practice = Cooperative.objects.select_for_update().get(pk=practice.pk)
    if not practice.is_practice:
        raise ApplicationError(
            TenantErrors.PRACTICE_NOT_PRACTICE, _("Hanya ruang latihan yang dapat dihapus di sini.")
        )
    real = practice.practice_of
    cooperative_discard(cooperative=practice)
    practice_media_remove_on_commit(schema=practice.schema_name)
    _audit_real(
        cooperative=real,
        by=by,
        action="practice.deleted",
        data={"slug": practice.slug, "reason": reason},
    )


def practice_touch(*, practice: Cooperative, now: datetime | None = None) -> bool:
    """Mark the practice copy used (at most once an hour: one UPDATE of the public
    row). Returns whether it wrote."""
    now = now or timezone.now()
    if practice.practice_used_at and now - practice.practice_used_at < TOUCH_EVERY:
        return False
    Cooperative.objects.filter(pk=practice.pk, is_practice=True).update(practice_used_at=now)
    tenant_host_forget(cooperative_id=practice.pk)  # the cached row keeps the old time
    practice.practice_used_at = now
    return True


def practices_unused(*, now: datetime | None = None):
    now = now or timezone.now()
    cutoff = now - timedelta(days=unused_days())
    return (
        Cooperative.objects.filter(is_practice=True)
        .annotate(last_use=Coalesce(F("practice_used_at"), F("practice_reset_at"), F("created_at")))
        .filter(last_use__lt=cutoff)
        .order_by("pk")
    )


def practices_cleanup(*, now: datetime | None = None) -> int:
    """Delete the practice copies unused for ``PRACTICE_UNUSED_DAYS`` days (the
    periodic task). Each in its own transaction; one failure does not stop the rest."""
    connection.set_schema_to_public()
    done = 0
    for practice in list(practices_unused(now=now)):
        try:
            practice_delete(
                practice=practice,
                by="system",
                reason=f"unused {unused_days()} days",
            )
            done += 1
        except Exception:
            log.exception("Deleting practice copy %s failed", practice.schema_name)
            connection.set_schema_to_public()
    return done
