"""One sending per form: a money form (teller deposit or withdrawal, loan repayment, loan
application) carries a one-time key (``{% submission_field %}``); the view takes it with
``submission_first`` before it records anything, so a double click or a POST sent again
after a slow answer is refused instead of recorded twice. A form re-shown after an error
carries a new key. A POST without a key (API clients, older pages) is not checked. A
request that took the key and then wrote nothing because the database refused it or
was busy gives the key back (``submission_release``, ``DbRefusalMiddleware``)."""

import contextlib
from uuid import uuid4

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError

FIELD = "submission"
KEEP_SECONDS = 24 * 3600
# what the second sending is told (the first one's outcome is on the screen it returns to)
ALREADY_SENT = _(
    "Formulir ini sudah dikirim; tidak dicatat dua kali. Periksa hasil pengiriman pertama "
    "di layar ini."
)


def submission_key() -> str:
    return uuid4().hex


def submission_first(request: HttpRequest) -> bool:
    """True the first time this request's form key is seen (or it has none); False for
    the same form sent again. Redis unreachable: True (the request goes through, as the
    rate limits do)."""
    key = request.POST.get(FIELD, "").strip()
    if not key:
        return True
    name = _cache_key(key)
    try:
        first = bool(cache.add(name, 1, timeout=KEEP_SECONDS))
    except (RedisError, OSError):
        return True
    if first:
        request._submission_taken = name  # type: ignore[attr-defined]
    return first


def _cache_key(key: str) -> str:
    schema = getattr(connection, "schema_name", "")
    return f"submission:{schema}:{key[:64]}"


def submission_release(request: HttpRequest) -> None:
    """Give back the form key this request took (``submission_first``) when it wrote
    nothing (a refusal or a conflict the database answered after the key was taken): the
    same form, sent again from the page the browser kept, is then recorded once instead
    of being refused as already sent."""
    name = getattr(request, "_submission_taken", None)
    if not name:
        return
    with contextlib.suppress(RedisError, OSError):
        cache.delete(name)
    request._submission_taken = None  # type: ignore[attr-defined]
