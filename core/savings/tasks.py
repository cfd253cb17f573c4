"""Celery tasks of savings (thin wrappers).

The daily check of the savings sub-ledger against its control accounts is the ledger's
``core.ledger.tasks.subledgers_reconcile_task`` (every sub-ledger, with its alerts).

The daily beat entry ``savings-interest-monthly`` fans ``savings_interest_monthly_task``
out to every live cooperative (``tenants.tasks.every_cooperative_task``): the previous
month's jasa simpanan of every product that bears interest and has ``interest_auto`` on,
once (see ``services.interest.savings_interest_auto_run``).
"""

from celery import shared_task
from django.db import connection
from django.utils import timezone

from .services.interest import savings_interest_auto_run


@shared_task
def savings_interest_monthly_task() -> dict:
    """The previous month's jasa simpanan in the task's schema."""
    return {
        "schema": connection.schema_name,
        **savings_interest_auto_run(on=timezone.localdate()),
    }
