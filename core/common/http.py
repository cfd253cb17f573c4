"""The client's address behind our own reverse proxies (rate limits, axes, audit)."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """``client_address(request)``, or "unknown" (a key for rate limits)."""
    return client_address(request) or "unknown"


def client_address(request) -> str | None:
    """The address of the client, as seen by the outermost proxy we trust.

    ``TRUSTED_PROXY_COUNT`` is how many reverse proxies of our own stand in front of the
    app (0 in development: ``REMOTE_ADDR`` is the client). Each proxy appends the address
    it received the request from to ``X-Forwarded-For``, so the client is the N-th entry
    from the right; anything further left was written by the client and is ignored. With
    fewer entries than proxies (a request that bypassed one), or a malformed entry, the
    direct peer ``REMOTE_ADDR`` is used: never a value the client chose.
    Used by django-axes (``AXES_CLIENT_IP_CALLABLE``) and every rate limit."""
    remote = request.META.get("REMOTE_ADDR") or None
    hops = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if hops <= 0:
        return remote
    chain = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(chain) < hops:
        return remote
    candidate = chain[-hops]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
