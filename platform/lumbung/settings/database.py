from urllib.parse import unquote

from django.core.exceptions import ImproperlyConfigured

from .env import ROOT_DIR, env

# DATABASE_URL is found (or an embedded server started) by `lumbung-dev`; see devenv.py.
# The engine is django-tenants' backend extended for transaction pooling (lumbung.db_backend).
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default="postgres://postgres@127.0.0.1:5432/lumbung",
        engine="lumbung.db_backend",
    )
}
# A Unix-socket directory given either way reaches HOST intact: percent-encoded in the host
# part (postgres://user@%2Fvar%2Frun%2Fpostgresql/db; django-environ leaves it encoded) or
# as the `host` query parameter (postgres://user@/db?host=/var/run/postgresql; it lands in
# OPTIONS). Tools that read HOST (pg_dump in the console export) see the directory too.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
if not DATABASES["default"]["HOST"] and DATABASES["default"].get("OPTIONS", {}).get("host"):
    DATABASES["default"]["HOST"] = DATABASES["default"]["OPTIONS"].pop("host")
# Seconds a server connection is kept between requests (and a worker's tasks). 60 by
# default: a new connection per request costs a connect and a server process with a cold
# catalogue cache (16-22 ms a request on 2 cores, docs/scaling.md); at most a minute keeps
# the caches a backend collects over many cooperatives small. 0 with PgBouncer in session
# mode is as cheap (its server connections stay warm).
DB_CONN_MAX_AGE = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_MAX_AGE"] = DB_CONN_MAX_AGE
# Celery's Django fix-up closes every database connection before and after each task
# unless CELERY_DB_REUSE_MAX is set. With DB_CONN_MAX_AGE > 0 the worker keeps its
# connection as the web processes do: the fix-up then closes it only every N tasks, and
# lumbung.celery closes it after a failed task and when it is unusable or older than
# DB_CONN_MAX_AGE (Django's own rule). With 0 each task connects.
CELERY_DB_REUSE_MAX = 1000 if DB_CONN_MAX_AGE != 0 else None
# A kept connection is checked (one cheap query) before its first use in each request or
# task, so one the server dropped meanwhile is replaced instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)

# DB_POOL_MODE: how the connection pooler between Lumbung and PostgreSQL (if any) shares
# server connections. "session" (no pooler, or PgBouncer in session mode): the schema's
# search_path is set once per cursor, as django-tenants does. "transaction" (PgBouncer in
# transaction mode): every statement carries its own cooperative's path (SET LOCAL), and
# server-side cursors are off. See docs/scaling.md.
DB_POOL_MODE = env.str("DB_POOL_MODE", default="session").strip().lower()
if DB_POOL_MODE not in ("session", "transaction"):
    raise ImproperlyConfigured(
        f"DB_POOL_MODE={DB_POOL_MODE!r}: use 'session' (no pooler or PgBouncer in session "
        "mode) or 'transaction' (PgBouncer in transaction mode)."
    )
DATABASES["default"]["POOL_MODE"] = DB_POOL_MODE
if DB_POOL_MODE == "transaction":
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True

# pg_dump for the console's tenant export and the cooperative backups: a name on the PATH
# or a path (the grouped daily backups also run the pg_restore beside it). lumbung-dev
# points it at the embedded server's own pg_dump when it starts one.
PG_DUMP = env.str("PG_DUMP", default="pg_dump")

# Per-cooperative backups (tenants.backup): the daily beat task writes
# <BACKUP_DIR>/<slug>/<slug>-<UTC time>.sql.gz for every live cooperative and keeps the
# newest BACKUP_KEEP of each. BACKUP_DIR="" turns the scheduled backups off.
BACKUP_DIR = env.str("BACKUP_DIR", default=str(ROOT_DIR / ".data" / "backups"))
BACKUP_KEEP = env.int("BACKUP_KEEP", default=7)
# A deleted cooperative's backup folder is set aside to
# <BACKUP_DIR>/_deleted/<slug>-<cooperative id>-<UTC time>/ when it is deleted (its address
# is free for a new sign-up at once) and removed by a daily task this many days later.
BACKUP_DELETED_KEEP_DAYS = env.int("BACKUP_DELETED_KEEP_DAYS", default=30)
# Cooperatives backed up by one pg_dump (pg_dump reads the whole catalogue once per run).
# pg_dump locks every table of the group in one transaction (66 per cooperative): keep
# BACKUP_GROUP_SIZE x 66 well under max_locks_per_transaction x max_connections.
BACKUP_GROUP_SIZE = env.int("BACKUP_GROUP_SIZE", default=50)
