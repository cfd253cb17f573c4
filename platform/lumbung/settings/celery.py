import logging

from .env import env

_log = logging.getLogger("lumbung.settings")

# REDIS_URL is found by `lumbung-dev` (env, else 127.0.0.1:6379). With no Redis at all
# (REDIS_URL=""), tasks run in-process and a warning is logged.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
if not REDIS_URL:
    _log.warning("No Redis configured: Celery tasks will run in-process (eager).")
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
# A task's message is acknowledged when it finishes, and put back when the process running
# it dies (SIGKILL, out of memory): the task then runs again, so every task must be safe to
# run twice (the money tasks are: a batch or a month is posted at most once, by the
# database's constraints). A message of a worker that died whole comes back after the
# broker's visibility timeout (CELERY_VISIBILITY_TIMEOUT, longer than any task or countdown).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "socket_connect_timeout": 2,
}
# Sending a task with Redis down: a few quick tries (< 1 s), then the message is held in
# the process and sent again every CELERY_REDELIVER_INTERVAL seconds (lumbung.celery).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.3,
}
CELERY_REDELIVER_INTERVAL = env.int("CELERY_REDELIVER_INTERVAL", default=5)
# "Post every ready agency" of a payroll run: the agencies are split into this many tasks
# (each posts its agencies one by one, one transaction each), by default twice the worker
# processes of one worker (CELERY_CONCURRENCY, as deploy/entrypoint.sh starts it), so the
# processes stay busy while the per-task cost is paid a few times, not once per agency.
DEDUCTIONS_POST_TASKS = env.int(
    "DEDUCTIONS_POST_TASKS", default=2 * env.int("CELERY_CONCURRENCY", default=2)
)
# CELERY_DB_REUSE_MAX (a worker keeps its database connection): settings/database.py.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "Asia/Jakarta"
# Periodic jobs; each app appends its own entries (see lumbung.celery.beat_schedule).
CELERY_BEAT_SCHEDULE: dict = {}
# billing: daily member count, status sweep (trials, dunning, renewals), transfer reminders.
CELERY_BEAT_SCHEDULE |= {
    "billing-usage-count": {
        "task": "billing.tasks.billing_usage_count_task",
        "schedule": 24 * 3600,
    },
    "billing-sweep": {"task": "billing.tasks.billing_sweep_task", "schedule": 24 * 3600},
    "billing-reminders": {"task": "billing.tasks.billing_reminders_task", "schedule": 24 * 3600},
}
# loans: daily arrears run (days past due, kolektibilitas, PPAP) in every cooperative.
CELERY_BEAT_SCHEDULE |= {
    "loans-arrears-daily": {
        "task": "tenants.tasks.every_cooperative_task",
        "args": ("core.loans.tasks.loans_arrears_tenant_task", ["trial", "active", "past_due"]),
        "schedule": 24 * 3600,
    },
}
# ledger: daily check that every cooperative's sub-ledgers (savings, loans; see
# LEDGER_SUBLEDGER_CHECKS) equal their ledger control accounts (log at ERROR → Sentry,
# audit row, dashboard alert on a difference). It replaces the savings-only check.
CELERY_BEAT_SCHEDULE |= {
    "subledgers-reconcile": {
        "task": "tenants.tasks.every_cooperative_task",
        "args": ("core.ledger.tasks.subledgers_reconcile_task",),
        "schedule": 24 * 3600,
    },
}
# ledger: background buku besar XLSX files older than LEDGER_EXPORT_KEEP_DAYS are deleted
# (file and row) in every cooperative; exports stuck queued or running are marked failed.
CELERY_BEAT_SCHEDULE |= {
    "ledger-exports-cleanup": {
        "task": "tenants.tasks.every_cooperative_task",
        "args": ("core.ledger.tasks.ledger_exports_cleanup_task",),
        "schedule": 24 * 3600,
    },
}
# users: expired sessions deleted daily in every cooperative (any status: an archived one's
# logins are refused, its old rows go too) and in the public schema (operators, pembina).
CELERY_BEAT_SCHEDULE |= {
    "sessions-clear-expired": {
        "task": "tenants.tasks.every_cooperative_task",
        "args": (
            "core.users.tasks.sessions_clear_expired_task",
            ["trial", "active", "past_due", "suspended", "archived"],
        ),
        "schedule": 24 * 3600,
    },
    "sessions-clear-expired-public": {
        "task": "core.users.tasks.sessions_clear_expired_task",
        "schedule": 24 * 3600,
    },
}
# common: the API's Idempotency-Key rows (kept answers of POSTs) older than
# IDEMPOTENCY_KEEP_HOURS are deleted daily in every cooperative (core.common.idempotency).
CELERY_BEAT_SCHEDULE |= {
    "idempotency-keys-clear-expired": {
        "task": "tenants.tasks.every_cooperative_task",
        "args": (
            "core.common.tasks.idempotency_keys_clear_expired_task",
            ["trial", "active", "past_due", "suspended", "archived"],
        ),
        "schedule": 24 * 3600,
    },
}
# onboarding: upload previews (files of members' figures) not confirmed within their two
# hours are deleted daily in every cooperative (a new preview also clears them).
CELERY_BEAT_SCHEDULE |= {
    "onboarding-previews-clear-expired": {
        "task": "tenants.tasks.every_cooperative_task",
        "args": (
            "core.onboarding.tasks.upload_previews_clear_expired_task",
            ["trial", "active", "past_due", "suspended"],
        ),
        "schedule": 24 * 3600,
    },
}
# savings: the previous month's jasa simpanan (products with interest_auto), once a month
# per product; the daily run does nothing once a month is done.
CELERY_BEAT_SCHEDULE |= {
    "savings-interest-monthly": {
        "task": "tenants.tasks.every_cooperative_task",
        "args": ("core.savings.tasks.savings_interest_monthly_task",),
        "schedule": 24 * 3600,
    },
}
# console: usage figures of every tenant for the operators' tenants list (hourly); support
# sessions left open past their expiry are closed and their support users deactivated.
CELERY_BEAT_SCHEDULE |= {
    "console-stats-refresh": {
        "task": "lumbung.console.tasks.console_stats_refresh_task",
        "schedule": 3600,
    },
    "console-support-expire": {
        "task": "lumbung.console.tasks.support_sessions_expire_task",
        "schedule": 300,
    },
}
# tenants: keep spare clones of the template schema ready for new sign-ups; back up every
# live cooperative's schema daily into BACKUP_DIR (settings/database.py), BACKUP_KEEP each.
CELERY_BEAT_SCHEDULE |= {
    "tenants-spares-refill": {"task": "tenants.tasks.spares_refill_task", "schedule": 300},
    "cooperatives-backup-daily": {
        "task": "tenants.tasks.cooperatives_backup_task",
        "schedule": 24 * 3600,
    },
    # a deleted cooperative's backups, set aside, go after BACKUP_DELETED_KEEP_DAYS
    "cooperatives-backups-deleted-remove": {
        "task": "tenants.tasks.backups_deleted_remove_task",
        "schedule": 24 * 3600,
    },
}
# tenants: practice copies ("Ruang latihan") unused for PRACTICE_UNUSED_DAYS are deleted;
# their demo-data template is rebuilt when the migrations change or a month begins.
CELERY_BEAT_SCHEDULE |= {
    "tenants-practice-cleanup": {
        "task": "tenants.tasks.practice_cleanup_task",
        "schedule": 24 * 3600,
    },
    "tenants-practice-template-refresh": {
        "task": "tenants.tasks.practice_template_refresh_task",
        "schedule": 6 * 3600,
    },
}
# dinas: consent and indicators of every cooperative for the Dinas view (daily fan-out,
# one task per cooperative; see lumbung.dinas.refresh).
CELERY_BEAT_SCHEDULE |= {
    "dinas-indicators-refresh": {
        "task": "lumbung.dinas.tasks.dinas_indicators_refresh_task",
        "schedule": 24 * 3600,
    },
}
