from .env import env

# DATABASE_URL is found (or an embedded server started) by `lumbung-dev`; see devenv.py.
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL",
        default="postgres://postgres@127.0.0.1:5432/lumbung",
        engine="django_tenants.postgresql_backend",
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=0)
# A kept connection is checked (one cheap query) before its first use in each request or
# task, so one the server dropped meanwhile is replaced instead of failing.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
