"""The cache: Redis when REDIS_URL is set (shared by every process: rate limits), else
in-process memory."""

from .env import env

_redis = env.str("REDIS_URL", default="")
if _redis:
    CACHES = {
        "default": {
            "BACKEND": "lumbung.cache.RedisCache",  # one Redis client per pool, reused
            "LOCATION": _redis,
            "KEY_PREFIX": "lumbung",
            # Redis down or hung: fail fast (rate limits then let requests through, see
            # core.common.ratelimit) instead of holding the page.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
