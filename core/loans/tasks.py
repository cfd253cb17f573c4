"""Celery tasks of core.loans: thin wrappers over ``arrears.loans_arrears_update``.

The daily beat entry ``loans-arrears-daily`` fans ``loans_arrears_tenant_task`` out to
every running cooperative (``tenants.tasks.every_cooperative_task``): one task per
cooperative, in its own schema and transaction, so one cooperative's failure does not
stop the others.
"""

from celery import shared_task
from django.utils import timezone

from .arrears import loans_arrears_update


@shared_task
def loans_arrears_tenant_task() -> int:
    """Today's arrears run (days past due, kolektibilitas, PPAP) in the task's schema."""
    return loans_arrears_update(on=timezone.localdate(), by="system").pk
