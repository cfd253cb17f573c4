"""The sign-up pages' rate limits use the shared counter and client address."""

from core.common.http import client_ip
from core.common.ratelimit import rate_limit_hit

__all__ = ["client_ip", "rate_limit_hit"]
