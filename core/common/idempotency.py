"""``Idempotency-Key`` on the API's POSTs (Stripe's model): a client that did not get an
answer (a timeout) sends the same request again with the same key and gets the first
answer back, with nothing written twice.

- The first POST with a key (1-255 printable ASCII characters) runs inside one
  transaction that also holds a row for the key (``IdempotencyKey``: key, user, method,
  path, SHA-256 of the body). Its answer is kept on that row in the same transaction, so
  a rolled-back write keeps nothing and a kept answer always belongs to what committed:
  a success (2xx), and a refusal (4xx) the request met once it ran (Stripe keeps both: a
  retry after a lost answer must learn that the request was refused, not run it again
  on data changed meanwhile). A failure is never kept, and its retry runs again: a
  ``database_busy`` 503 rolls the whole transaction back, key row included, as does an
  exception (500); the database allows no 5xx on a row. Refused before it ran (not
  logged in, a role that may not, throttled, a bad key, the key in use for another
  request or still in progress) keeps nothing either: there is no row yet.
- Again with the same key, user, method, path and body: the kept answer (status and
  body), with ``Idempotent-Replayed: true``; nothing runs. A corrected request after a
  refusal is another request: it takes a new key (the old one answers 422).
- The same key (same user) on another path or body: 422 ``idempotency_key_reused``.
- Two at the same moment: the second's insert waits on the unique index for the first's
  transaction (at most ``IDEMPOTENCY_WAIT_SECONDS``), then answers the first's answer; a
  first still running after that wait: 409 ``idempotency_key_in_progress``.
- Keys are kept ``IDEMPOTENCY_KEEP_HOURS`` (24); ``idempotency_keys_clear_expired``
  deletes older ones daily (and an expired key is free for a new request).

Without the header nothing changes. Applied with ``IdempotentPostMixin``, the first base
of every API view that accepts POST (``tests/core/test_idempotency.py`` checks that every
one has it)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .db_busy import LOCK_NOT_AVAILABLE, db_busy_sqlstate
from .errors import ApplicationError
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_META = "HTTP_IDEMPOTENCY_KEY"
KEY_RE = re.compile(r"[\x20-\x7e]{1,255}")


class IdempotencyErrors:
    INVALID = "idempotency_key_invalid"
    REUSED = "idempotency_key_reused"
    IN_PROGRESS = "idempotency_key_in_progress"


def keep_for() -> timedelta:
    return timedelta(hours=settings.IDEMPOTENCY_KEEP_HOURS)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class Begun:
    """``idempotency_begin``'s outcome: the row reserved for this request (it runs), or
    the kept answer of an earlier one (it is replayed)."""

    row: IdempotencyKey | None = None
    replay: IdempotencyKey | None = None


def idempotency_key_check(raw: str) -> str:
    if not KEY_RE.fullmatch(raw):
        raise ApplicationError(
            IdempotencyErrors.INVALID,
            _("Idempotency-Key harus 1–255 karakter ASCII yang dapat dicetak."),
            fields={HEADER: [_("Tidak valid.")]},
        )
    return raw


def _lock_timeout_set(value: str) -> str:
    """Set this transaction's lock_timeout; returns the one it had."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)", [value]
        )
        return cur.fetchone()[0]


def _is_lock_timeout(exc: OperationalError) -> bool:
    """Our own wait for the key ran out (answered 409 ``idempotency_key_in_progress``
    here, before ``core.common.db_busy`` would read it as a conflict)."""
    return db_busy_sqlstate(exc) == LOCK_NOT_AVAILABLE


def idempotency_begin(*, key: str, user, method: str, path: str, digest: str) -> Begun:
    """Reserve ``key`` for this request (inside the caller's transaction), or find the
    kept answer of the same request. Refuses (422) the key used for another request, and
    (409) a key whose first request is still running after the wait."""
    assert connection.in_atomic_block, "idempotency_begin runs in the request's transaction"
    IdempotencyKey.objects.filter(
        user=user, key=key, created_at__lt=timezone.now() - keep_for()
    ).delete()
    wait_ms = int(settings.IDEMPOTENCY_WAIT_SECONDS * 1000)
    for _attempt in range(2):
        before = _lock_timeout_set(f"{max(wait_ms, 1)}ms")
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    key=key, user=user, method=method, path=path, body_sha256=digest
                )
            return Begun(row=row)
        except IntegrityError:
            pass  # another request with this key committed first
        except OperationalError as e:
            if not _is_lock_timeout(e):
                raise
            raise ApplicationError(
                IdempotencyErrors.IN_PROGRESS,
                _(
                    "Permintaan lain dengan Idempotency-Key yang sama masih diproses; "
                    "coba lagi sebentar lagi."
                ),
                status=409,
            ) from None
        finally:
            _lock_timeout_set(before)
        earlier = IdempotencyKey.objects.filter(user=user, key=key).first()
        if earlier is None:
            continue  # deleted (expired) between the insert and this read: try again
        if (earlier.method, earlier.path, earlier.body_sha256) != (method, path, digest):
            raise ApplicationError(
                IdempotencyErrors.REUSED,
                _(
                    "Idempotency-Key ini sudah dipakai untuk permintaan lain (alamat atau isi "
                    "berbeda). Pakai kunci baru untuk permintaan baru."
                ),
                status=422,
            )
        return Begun(replay=earlier)
    raise ApplicationError(  # pragma: no cover - deleted twice in a row
        IdempotencyErrors.IN_PROGRESS,
        _(
            "Permintaan lain dengan Idempotency-Key yang sama masih diproses; "
            "coba lagi sebentar lagi."
        ),
        status=409,
    )


def answer_kept(status_code: int) -> bool:
    """Whether an answer of this status is kept with its key and replayed: a success or
    a refusal (2xx, 4xx); never a failure (5xx: ``database_busy``, a server error), whose
    retry must run."""
    return 200 <= status_code < 300 or 400 <= status_code < 500


def idempotency_finish(*, row: IdempotencyKey, response) -> None:
    """Keep a success or a refusal on ``row`` (same transaction as the write); any other
    answer deletes the row, so a retry runs again."""
    if connection.needs_rollback:
        return  # the transaction is rolled back whole, the row with it
    ok = answer_kept(response.status_code) and not getattr(response, "streaming", False)
    if not ok:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
        return
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status_code=response.status_code,
        content_type=response.get("Content-Type", ""),
        body=bytes(response.content),
    )


def replay_response(row: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(row.body), status=row.status_code, content_type=row.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def idempotency_keys_clear_expired() -> int:
    """Delete the current schema's keys older than ``IDEMPOTENCY_KEEP_HOURS``."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - keep_for()).delete()
    return deleted


class _Replay(Exception):
    def __init__(self, row: IdempotencyKey) -> None:
        self.row = row


class IdempotentPostMixin:
    """First base of a DRF view: a POST carrying ``Idempotency-Key`` runs in one
    transaction with its key's row (reserved after authentication, permissions and
    throttling), and a repeat answers the kept answer. Other methods and POSTs without
    the header are untouched."""

    _idempotency_digest: str | None = None
    _idempotency_row: IdempotencyKey | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST" or _META not in request.META:
            return super().dispatch(request, *args, **kwargs)
        self._idempotency_digest = body_digest(request.body)
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self._idempotency_digest is None or not request.user.is_authenticated:
            return
        begun = idempotency_begin(
            key=idempotency_key_check(request.META[_META]),
            user=request.user,
            method=request.method,
            path=request.path,
            digest=self._idempotency_digest,
        )
        if begun.replay is not None:
            raise _Replay(begun.replay)
        self._idempotency_row = begun.row

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            return replay_response(exc.row)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        row, self._idempotency_row = self._idempotency_row, None
        if row is not None:
            idempotency_finish(row=row, response=response)
        return response
