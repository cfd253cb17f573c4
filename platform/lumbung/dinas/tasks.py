"""Dinas Celery tasks: the daily fan-out and one refresh per cooperative."""

import logging

from django.db import connection, transaction
from django_tenants.utils import schema_context

from lumbung.celery import app

from .refresh import cooperatives_to_refresh, indicators_backfill_one, indicators_refresh_one

log = logging.getLogger(__name__)


@app.task
def dinas_indicators_refresh_task() -> dict:
    """Periodic (beat): queue one refresh task per running cooperative."""
    queued = 0
    with schema_context("public"):
        for pk in cooperatives_to_refresh():
            dinas_indicators_refresh_one_task.delay(pk)
            queued += 1
    return {"queued": queued}


@app.task(acks_late=True)
def dinas_indicators_refresh_one_task(cooperative_id: int) -> dict:
    with schema_context("public"):
        state = indicators_refresh_one(cooperative_id=cooperative_id)
        return {"shared": state.shared, "error": state.error}


@app.task(acks_late=True)
def dinas_trend_backfill_task(cooperative_id: int, months: int = 12) -> int:
    """Back-fill one cooperative's 12-month trend from its ledger (see
    refresh.indicators_backfill_one); ``manage.py dinas_backfill_trends`` queues or runs it."""
    with schema_context("public"):
        return indicators_backfill_one(cooperative_id=cooperative_id, months=months)


def consent_changed_refresh(sender, share: bool, **kwargs) -> None:
    """A cooperative turned its sharing on or off (``core.sharing``'s
    ``consent_changed``, sent in its schema inside the change's transaction): refresh its
    figures once that commits, so withdrawn figures leave the Dinas view at once (not up
    to a day later) and newly shared ones appear the same day. Practice copies are never
    shared."""
    tenant = getattr(connection, "tenant", None)
    pk = getattr(tenant, "pk", None)
    if pk is None or getattr(tenant, "is_practice", False):
        return
    # robust: a broker down logs and leaves it to the daily refresh, never fails the change
    transaction.on_commit(lambda: dinas_indicators_refresh_one_task.delay(pk), robust=True)
