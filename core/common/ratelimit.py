"""Rate limits: a fixed-window counter per key in Django's cache (Redis when REDIS_URL is set, so
all web processes share it)."""

import time

from django.core.cache import cache


def rate_limit_hit(*, key: str, limit: int, window: int) -> bool:
    """Count one event for ``key``; True when more than ``limit`` happened in the
    current ``window`` seconds."""
    bucket = f"ratelimit:{key}:{int(time.time() // window)}"
    if cache.add(bucket, 1, timeout=window + 1):
        return limit < 1
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window + 1)
        count = 1
    return count > limit
