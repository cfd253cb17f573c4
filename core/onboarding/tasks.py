"""Housekeeping of the move-in: previews not confirmed are deleted once expired. The
beat runs this daily in every cooperative (``tenants.tasks.every_cooperative_task``)."""

import logging

from celery import shared_task
from django.db import connection

from .preview import upload_previews_clear_expired

log = logging.getLogger(__name__)


@shared_task
def upload_previews_clear_expired_task() -> int:
    """Delete the current schema's expired upload previews; returns how many."""
    deleted = upload_previews_clear_expired()
    if deleted:
        log.info("Expired move-in previews deleted in %s: %s", connection.schema_name, deleted)
    return deleted
