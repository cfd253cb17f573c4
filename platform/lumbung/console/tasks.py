"""Console Celery tasks: thin wrappers, run in the public schema."""

from django.conf import settings
from django_tenants.utils import schema_context

from core.common.mail import mail_task_run
from lumbung.celery import app

from .migrate import migrate_all
from .models import MigrationRun
from .stats import stats_refresh
from .support import support_sessions_expire
from .terms import terms_deliveries_queue, terms_delivery_send


@app.task
def console_stats_refresh_task() -> dict:
    """Periodic: members, activity, size, MRR and pending migrations of every tenant."""
    with schema_context("public"):
        return stats_refresh()


@app.task
def support_sessions_expire_task() -> int:
    """Periodic: close support sessions left open past their expiry."""
    with schema_context("public"):
        return support_sessions_expire()


@app.task(acks_late=True)
def migrate_all_tenants_task(run_id: int) -> dict:
    with schema_context("public"):
        run = MigrationRun.objects.get(pk=run_id)
        result = migrate_all(
            processes=getattr(settings, "TENANT_MULTIPROCESSING_MAX_PROCESSES", 2), run=run
        )
        return {"done": len(result.results), "failed": len(result.failed)}


@app.task
def terms_announcement_send_task(announcement_id: int) -> int:
    """After an announcement of the terms (or "send again"): one e-mail task per
    cooperative not e-mailed yet."""
    with schema_context("public"):
        return terms_deliveries_queue(announcement_id=announcement_id)


@app.task(bind=True)
def terms_delivery_send_task(self, delivery_id: int) -> bool:
    """One cooperative's e-mail of an announcement of the terms; sent once, however
    often this runs (``terms_delivery_send``); a mail server's failure is tried again
    (``core.common.mail``), and stays listed in the console for "send again"."""
    with schema_context("public"):
        return mail_task_run(
            self,
            lambda: terms_delivery_send(delivery_id=delivery_id),
            what=f"Terms announcement e-mail (delivery {delivery_id})",
            failed=False,
        )
