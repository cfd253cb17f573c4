"""Celery tasks of the tenant registry: thin wrappers over tenants.signup."""

import logging

from celery.signals import worker_process_init, worker_ready
from django.conf import settings
from django.utils import translation
from django_tenants.utils import schema_context, tenant_context

from core.common.errors import ApplicationError
from core.common.mail import mail_task_run
from lumbung.celery import app

from .backup import (
    LIVE_STATUSES,
    backups_deleted_remove,
    cooperative_backup_scheduled,
    cooperatives_backup_group_scheduled,
)
from .connections import connection_renew
from .models import Cooperative
from .practice import practice_template_refresh, practices_cleanup
from .schema_template import expected_migrations, spares_fill
from .signup import (
    PERMANENT_ERRORS,
    signup_provision,
    signup_record_error,
    signup_verification_mail_send,
    signup_welcome_mail_send,
    signups_requeue_stuck,
)

log = logging.getLogger(__name__)


TEMPLATE_ERRORS = {"template_stale", "template_missing"}


def tasks_for_every_cooperative(
    task_name: str, *, statuses: tuple[str, ...] = LIVE_STATUSES
) -> dict:
    """Send the per-cooperative task ``task_name`` once in each cooperative's schema.

    tenant-schemas-celery records the schema of the connection at send time on the message,
    so each copy runs in its own cooperative, in its own transaction; one cooperative's
    failure is that task's failure alone. The task is looked up in the Celery registry by
    name, so the public layer never imports ``core`` (an unknown name is a KeyError: a
    misspelt beat entry fails loudly).
    """
    if task_name not in app.tasks:  # outside a worker the autodiscovered modules load lazily
        app.loader.import_default_modules()
    task = app.tasks[task_name]
    with schema_context("public"):
        coops = list(
            Cooperative.objects.filter(status__in=statuses)
            .exclude(schema_name="public")
            .order_by("pk")
        )
    queued, failed = [], []
    for coop in coops:
        try:
            with tenant_context(coop):
                task.delay()
            queued.append(coop.slug)
        except Exception:
            log.exception("Could not queue %s for %s", task_name, coop.schema_name)
            failed.append(coop.slug)
    return {"task": task_name, "queued": queued, "failed": failed}


@app.task
def every_cooperative_task(task_name: str, statuses: list[str] | None = None) -> dict:
    """Beat entry point: fan ``task_name`` out to every cooperative in ``statuses``
    (default: every live one)."""
    return tasks_for_every_cooperative(task_name, statuses=tuple(statuses or LIVE_STATUSES))


def _retries() -> int:
    return getattr(settings, "SIGNUP_PROVISION_RETRIES", 3)


def _backoff(retries: int) -> int:
    return getattr(settings, "SIGNUP_RETRY_BACKOFF", 5) * (2**retries)


@app.task(bind=True, acks_late=True, max_retries=None)
def signup_provision_task(self, signup_id: int) -> str:
    """Provision a verified sign-up. A failure is retried with exponential backoff
    (SIGNUP_PROVISION_RETRIES times); after the last one the request is marked failed
    with its error for the operators. Each attempt is all-or-nothing. A missing or stale
    template (a deploy not yet through `template_schema_refresh`) is waited for instead."""
    connection_renew()  # DDL on a connection that has not touched every cooperative
    try:
        status = signup_provision(signup_id=signup_id).status
    except ApplicationError as exc:
        if exc.code in PERMANENT_ERRORS:
            signup_record_error(signup_id=signup_id, error=f"{exc.code}: {exc.message}", final=True)
            return "failed"
        error = f"{exc.code}: {exc.message}"
        cause = exc
        if exc.code in TEMPLATE_ERRORS and not self.request.is_eager:
            # A deploy between new code and `template_schema_refresh`: wait for it
            # (every 30 s, SIGNUP_TEMPLATE_WAIT_RETRIES times) rather than fail the sign-up.
            waits = getattr(settings, "SIGNUP_TEMPLATE_WAIT_RETRIES", 60)
            if self.request.retries < waits:
                signup_record_error(signup_id=signup_id, error=error, final=False)
                raise self.retry(exc=exc, countdown=30, max_retries=waits)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        cause = exc
    else:
        if not self.request.is_eager:  # eager (no broker): don't make the request wait
            _refill_quietly()  # after the cooperative is ready: replace the spare it took
        return status
    final = self.request.retries >= _retries()
    log.warning(
        "Provisioning sign-up %s failed (attempt %s): %s",
        signup_id,
        self.request.retries + 1,
        error,
    )
    signup_record_error(signup_id=signup_id, error=error, final=final)
    if final:
        return "failed"
    if self.request.is_eager:
        # No broker (tests, a demo without Redis): retry in-process, without the wait.
        return self.apply(args=[signup_id], retries=self.request.retries + 1).result
    raise self.retry(exc=cause, countdown=_backoff(self.request.retries))


@app.task(bind=True)
def signup_verification_mail_task(self, signup_id: int, language: str = "") -> bool:
    """E-mail a sign-up its verification link (queued when the form's transaction
    commits); a failed send is tried again, then logged (``core.common.mail``)."""

    def send() -> bool:
        with translation.override(language or settings.LANGUAGE_CODE):
            return signup_verification_mail_send(signup_id=signup_id)

    what = f"Sign-up verification e-mail (sign-up {signup_id})"
    return mail_task_run(self, send, what=what, failed=False)


@app.task(bind=True)
def signup_welcome_mail_task(self, signup_id: int) -> bool:
    """E-mail a provisioned sign-up its welcome (queued when provisioning commits)."""

    def send() -> bool:
        with translation.override(settings.LANGUAGE_CODE):
            return signup_welcome_mail_send(signup_id=signup_id)

    what = f"Sign-up welcome e-mail (sign-up {signup_id})"
    return mail_task_run(self, send, what=what, failed=False)


@app.task
def spares_refill_task() -> int:
    """Periodic upkeep of onboarding: keep TENANT_SPARE_SCHEMAS ready clones of the
    template, and queue again verified sign-ups whose task message was lost."""
    connection_renew()  # the clones' DDL on a connection with a small catalogue cache
    requeued = signups_requeue_stuck()
    if requeued:
        log.warning("Queued %s stuck sign-ups again", requeued)
    return spares_fill()


@app.task
def practice_cleanup_task() -> int:
    """Daily: delete the practice copies unused for PRACTICE_UNUSED_DAYS (90) days."""
    return practices_cleanup()


@app.task
def practice_template_refresh_task() -> bool:
    """Daily: rebuild the practice copies' demo-data template when the migrations changed
    or a new month began (so opening or resetting a copy never waits for the seeders)."""
    connection_renew()  # it clones the template: DDL on a new server connection
    return practice_template_refresh()


def _refill_quietly() -> None:
    try:
        spares_fill()
    except Exception:  # a spare is an optimisation: never fail the sign-up for it
        log.exception("Could not refill the spare schemas")


@worker_ready.connect
@worker_process_init.connect
def _warm_migration_list(**kwargs) -> None:
    """Read the migration files once at worker start, not in the first sign-up."""
    try:
        expected_migrations()
    except Exception:  # the worker must start even if this fails
        log.exception("Could not load the migration list")


@app.task(acks_late=True)
def cooperatives_backup_task() -> dict:
    """Daily (beat): queue one group backup task per BACKUP_GROUP_SIZE live cooperatives
    (one pg_dump, so one read of the catalogue, per group; BACKUP_DIR empty: off).
    Practice copies are demo data thrown away after 90 days unused: not backed up."""
    if not settings.BACKUP_DIR:
        log.info("BACKUP_DIR is empty: scheduled cooperative backups are off")
        return {"queued": 0}
    slugs = list(
        Cooperative.objects.filter(status__in=LIVE_STATUSES, is_practice=False)
        .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .order_by("pk")
        .values_list("slug", flat=True)
    )
    size = max(1, settings.BACKUP_GROUP_SIZE)
    groups = [slugs[i : i + size] for i in range(0, len(slugs), size)]
    for group in groups:
        cooperatives_backup_group_task.delay(group)
    return {"queued": len(slugs), "groups": len(groups)}


@app.task(acks_late=True)
def cooperatives_backup_group_task(slugs: list[str]) -> dict:
    """Back up a group of cooperatives with one pg_dump into BACKUP_DIR and prune their
    old backups (BACKUP_KEEP). A cooperative whose backup failed in the group is queued
    again alone (``cooperative_backup_task``, which retries with backoff). Safe to run
    twice: each run writes complete files of its own (or none)."""
    coops = list(
        Cooperative.objects.filter(slug__in=slugs)
        .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .order_by("pk")
    )
    try:
        result = cooperatives_backup_group_scheduled(cooperatives=coops)
        done, failed = sorted(result.done), result.failed
    except Exception as exc:  # the group as a whole (pg_restore missing, disk full...)
        log.exception("Backup of a group of %s cooperatives failed", len(coops))
        done, failed = [], {c.slug: f"{type(exc).__name__}: {exc}" for c in coops}
    for slug, error in failed.items():
        log.error("Backup of %s failed in its group, queued alone: %s", slug, error)
        cooperative_backup_task.apply_async((slug,), countdown=60)
    return {
        "done": done,
        "failed": sorted(failed),
        "gone": sorted(set(slugs) - {c.slug for c in coops}),
    }


@app.task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, max_retries=3)
def cooperative_backup_task(slug: str) -> dict:
    """Back up one cooperative into BACKUP_DIR and prune its old backups (BACKUP_KEEP).
    Safe to run twice: each run writes a complete file of its own (or none)."""
    coop = Cooperative.objects.filter(slug=slug).first()
    if coop is None:
        return {"slug": slug, "skipped": "gone"}
    meta = cooperative_backup_scheduled(cooperative=coop)
    return {"slug": slug, "file": meta["file"], "bytes": meta["bytes"], "pruned": meta["pruned"]}


@app.task
def backups_deleted_remove_task() -> list[str]:
    """Daily: remove the backups of deleted cooperatives set aside in
    BACKUP_DIR/_deleted/ more than BACKUP_DELETED_KEEP_DAYS ago (audited)."""
    if not settings.BACKUP_DIR:
        return []
    return backups_deleted_remove()
