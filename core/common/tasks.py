"""Celery tasks of the shared API machinery: thin wrappers around core.common's services."""

import logging

from celery import shared_task
from django.db import connection

from .idempotency import idempotency_keys_clear_expired

log = logging.getLogger(__name__)


@shared_task
def idempotency_keys_clear_expired_task() -> int:
    """Delete the current schema's ``Idempotency-Key`` rows older than their 24 hours;
    returns how many (run daily in every cooperative by the beat)."""
    deleted = idempotency_keys_clear_expired()
    if deleted:
        log.info("Expired idempotency keys deleted in %s: %s", connection.schema_name, deleted)
    return deleted
