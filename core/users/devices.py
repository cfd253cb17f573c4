"""Known browsers: where a person completed a login.

``LOGIN_USER_FAILURE_LIMIT`` (core.users.throttle) stops a password guessed for one
login from many addresses. On its own it would let anybody keep a person out of their
cooperative: twenty wrong passwords every cool-off window, from anywhere, and the right
one is refused everywhere. So a browser where the person completed a login — the
password, and the code when they use two steps —, set a new password through a reset
or invitation link (the mailbox is theirs), or changed it, carries a mark in a signed
cookie, and the per-login cap does not apply to it. The per-address lockout
(django-axes, username and address) and the per-address cap still do.

A mark opens nothing by itself (the password is still asked, and the code). It is an
HMAC of the cooperative's schema, the login's id and its current password hash, so the
cookie names no login, is worth nothing at another cooperative, and every mark of a
login stops counting the moment its password changes (changed, reset). One cookie holds
the marks of the last ``MAX_MARKS`` logins made in that browser (an office computer
shared by the staff), for ``LOGIN_DEVICE_DAYS`` days from the last login."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import connection
from django.utils.crypto import salted_hmac

from .models import User

COOKIE_NAME = "lumbung_perangkat"
SALT = "lumbung.users.devices"
MAX_MARKS = 10


def _schema() -> str:
    return getattr(connection, "schema_name", "public")


def _max_age() -> int:
    return settings.LOGIN_DEVICE_DAYS * 24 * 3600


def _mark(user: User) -> str:
    value = f"{_schema()}:{user.pk}:{user.password}"
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:32]


def _marks(request) -> list[str]:
    raw = request.COOKIES.get(COOKIE_NAME)
    if not raw:
        return []
    try:
        data = signing.loads(raw, salt=SALT, max_age=_max_age())
    except signing.BadSignature:
        return []
    if not isinstance(data, dict) or data.get("s") != _schema():
        return []
    marks = data.get("m")
    return [m for m in marks if isinstance(m, str)] if isinstance(marks, list) else []


def device_remember(*, request, response, user: User) -> None:
    """Mark this browser as ``user``'s (a login completed, a password set by the person)
    on ``response``: that login's mark first, then the others it held."""
    mark = _mark(user)
    marks = [mark, *(m for m in _marks(request) if m != mark)][:MAX_MARKS]
    response.set_cookie(
        COOKIE_NAME,
        signing.dumps({"s": _schema(), "m": marks}, salt=SALT, compress=True),
        max_age=_max_age(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def device_known(*, request, username: str) -> bool:
    """The browser of ``request`` holds the current mark of the login ``username``."""
    marks = _marks(request)
    if not marks or not username:
        return False
    users = User._default_manager.filter(username__iexact=username, is_active=True)
    return any(_mark(u) in marks for u in users[:10])
