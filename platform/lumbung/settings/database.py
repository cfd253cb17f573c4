from urllib.parse import unquote

from .env import env

# DATABASE_URL is found (or an embedded server started) by `lumbung-dev`; see devenv.py.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default="postgres://postgres@127.0.0.1:5432/lumbung",
        engine="django_tenants.postgresql_backend",
    )
}
# A Unix-socket directory given either way reaches HOST intact: percent-encoded in the host
# part (postgres://user@%2Fvar%2Frun%2Fpostgresql/db; django-environ leaves it encoded) or
# as the `host` query parameter (postgres://user@/db?host=/var/run/postgresql; it lands in
# OPTIONS). Tools that read HOST (pg_dump in the console export) see the directory too.
DATABASES["default"]["HOST"] = unquote(DATABASES["default"].get("HOST") or "")
if not DATABASES["default"]["HOST"] and DATABASES["default"].get("OPTIONS", {}).get("host"):
    DATABASES["default"]["HOST"] = DATABASES["default"]["OPTIONS"].pop("host")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# A kept connection is checked (one cheap query) before its first use in each request or
# task, so one the server dropped meanwhile is replaced instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
