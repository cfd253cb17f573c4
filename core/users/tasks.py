"""Housekeeping of logins: expired sessions are deleted.

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
from django.utils import timezone

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
