"""One sending per form: a money form (teller deposit or withdrawal, loan repayment, loan
application) carries a one-time key (``{% submission_field %}``); the view takes it with
``submission_first`` before it records anything, so a double click or a POST sent again
after a slow answer is refused instead of recorded twice. A form re-shown after an error
carries a new key. A POST without a key (API clients, older pages) is not checked."""

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
    schema = getattr(connection, "schema_name", "")
    try:
        return bool(cache.add(f"submission:{schema}:{key[:64]}", 1, timeout=KEEP_SECONDS))
    except (RedisError, OSError):
        return True
