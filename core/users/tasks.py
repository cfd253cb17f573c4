"""Celery tasks of logins: the e-mails with a password link, and housekeeping.

``password_reset_mail_task`` and ``invitation_mail_task`` send the e-mails of
``core.users.mail``; a request only queues them when it commits (``core.common.mail``:
the answer does the same work whether the address has a login or not; a failed send is
tried again, then logged, never an error page). Each runs in the schema of the
cooperative that queued it (tenant-schemas-celery), in the language of the page that
asked.

Expired sessions are deleted.

Django's database sessions keep a row per session until ``clearsessions`` removes the
expired ones; nothing did, so each schema's session table only grew (every sign-in, every
session ended by a password change or a deactivation). The beat runs this task daily in
every cooperative (``tenants.tasks.every_cooperative_task``) and once in the public schema
(operators and pembina)."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone, translation

from core.common.mail import mail_task_run

from .mail import invitation_mail_send, password_reset_mail_send

log = logging.getLogger(__name__)


@shared_task
def sessions_clear_expired_task() -> int:
    """Delete the current schema's expired sessions; returns how many. The same as
    ``manage.py clearsessions`` (the session engine's ``clear_expired``), with the count."""
    assert settings.SESSION_ENGINE == "lumbung.sessions"  # database sessions, per schema
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    if deleted:
        log.info("Expired sessions deleted in %s: %s", connection.schema_name, deleted)
    return deleted


@shared_task(bind=True)
def password_reset_mail_task(self, email: str, language: str = "") -> int:
    """E-mail the reset link(s) asked for at /lupa-sandi/ (``mail.password_reset_mail_send``);
    queued by the view when the request commits, whether ``email`` has a login or not.
    Returns how many were sent."""

    def send() -> int:
        with translation.override(language or settings.LANGUAGE_CODE):
            return password_reset_mail_send(email=email)

    return mail_task_run(self, send, what="Password reset e-mail", failed=0)


@shared_task(bind=True)
def invitation_mail_task(self, user_id: int, language: str = "") -> bool:
    """E-mail a login made without a password its invitation to set one
    (``mail.invitation_mail_send``); queued when the login is committed."""

    def send() -> bool:
        with translation.override(language or settings.LANGUAGE_CODE):
            return invitation_mail_send(user_id=user_id)

    return mail_task_run(self, send, what=f"Invitation e-mail (login {user_id})", failed=False)
