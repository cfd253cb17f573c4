"""Rate limits: a fixed-window counter per key in Django's cache (Redis when REDIS_URL is set, so
all web processes share it)."""

import logging
import time

from django.core.cache import cache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


def rate_limit_hit(*, key: str, limit: int, window: int) -> bool:
    """Count one event for ``key``; True when more than ``limit`` happened in the
    current ``window`` seconds. With the cache unreachable nothing is counted and the
    request goes through (False): a Redis outage must not take the pages down; the
    lockout of wrong passwords (django-axes) lives in the database and still holds."""
    bucket = f"ratelimit:{key}:{int(time.time() // window)}"
    try:
        if cache.add(bucket, 1, timeout=window + 1):
            return limit < 1
        try:
            count = cache.incr(bucket)
        except ValueError:  # expired between add and incr
            cache.set(bucket, 1, timeout=window + 1)
            count = 1
    except (RedisError, OSError) as exc:  # cache (Redis) unreachable: let the request through
        log.warning("Rate limit %s not counted, cache unavailable: %s", key.split(":")[0], exc)
        return False
    return count > limit
