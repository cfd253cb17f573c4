"""Console Celery tasks: thin wrappers, run in the public schema."""

from django.conf import settings
from django_tenants.utils import schema_context

from lumbung.celery import app

from .migrate import migrate_all
from .models import MigrationRun
from .stats import stats_refresh
from .support import support_sessions_expire


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
