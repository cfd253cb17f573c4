"""The API's rate limit (DRF throttling): ``API_THROTTLE_RATE`` requests per API key, or
per logged-in user for session calls, counted in the project's cache (Redis, shared by
every web process; ``core.common.ratelimit``). Over the rate: a 429 in the one error
shape, code ``throttled``, with ``Retry-After`` (``core.common.api.exception_handler``).
Requests without credentials are not counted here: they are refused (401) first."""

import time

from django.conf import settings
from django.db import connection
from rest_framework.throttling import SimpleRateThrottle

from .ratelimit import rate_limit_hit


class ApiRateThrottle(SimpleRateThrottle):
    """A fixed window of ``API_THROTTLE_RATE`` (``"600/minute"``) per key or user. The
    rate is read from the settings at each request (tests set a low one). Keys and users
    live in a cooperative's schema, so the counter names the schema too. The cache
    unreachable: nothing is counted and the request goes through."""

    scope = "api"

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request, view) -> str | None:
        user = request.user
        if not (user and user.is_authenticated):
            return None
        key = request.auth
        if key is not None and getattr(key, "prefix", None):
            return f"api:key:{connection.schema_name}:{key.prefix}"
        return f"api:user:{connection.schema_name}:{user.pk}"

    def allow_request(self, request, view) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        return not rate_limit_hit(key=ident, limit=self.num_requests, window=self.duration)

    def wait(self) -> float:
        """Seconds until the current window ends (at least 1)."""
        return max(1, self.duration - int(time.time()) % self.duration)
