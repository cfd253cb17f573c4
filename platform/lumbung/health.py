"""Readiness checks: the database and the Celery broker."""

import redis
from django.conf import settings
from django.db import connection


def _check_database() -> dict:
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}


def _check_broker() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "eager (no broker)"}

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        client.ping()
        return {"ok": True}
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}


def readiness() -> dict:
    return {"database": _check_database(), "broker": _check_broker()}
