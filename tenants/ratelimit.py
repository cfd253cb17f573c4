"""The sign-up pages' rate limits use the shared counter and client address."""

from lumbung.middleware import client_ip
from lumbung.ratelimit import rate_limit_hit

__all__ = ["client_ip", "rate_limit_hit"]
