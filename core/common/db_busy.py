"""The database said "not now": a transient conflict with another transaction, not a
fault of the request nor of the code.

- ``40P01`` deadlock detected: two transactions each waited for a lock the other held;
  PostgreSQL ended this one (and rolled it back) so the other could go on.
- ``40001`` serialization failure: a REPEATABLE READ / SERIALIZABLE transaction read
  data another one changed and committed meanwhile.
- ``55P03`` lock not available: a ``lock_timeout`` (or ``NOWAIT``) ran out waiting for a
  row another transaction holds.

Each leaves this transaction rolled back whole (every service is one ``atomic`` block),
so nothing of the request was written and the same request sent again a moment later
normally goes through. Classified here, beside ``db_refusals`` (a trigger's refusal),
as ``DatabaseBusy``, an ``ApplicationError`` with code ``database_busy``: the API
answers it as its one JSON error (503, ``Retry-After``; ``core.common.api``), a page says
someone else was changing the same data at the same moment and nothing was saved
(``core.common.middleware.DbRefusalMiddleware``), and a Celery task is retried
(``lumbung.celery``). Each is logged at WARNING with its SQLSTATE and where it happened
(a path or a task), never as a server error; a path that shows up often is one to look
at (lock order, ``docs/ledger.md``). ``core.common.idempotency`` handles its own lock
timeout (the same key still in progress: 409 ``idempotency_key_in_progress``) before it
reaches here."""

from __future__ import annotations

import logging

from django.utils.translation import gettext as _

from .errors import ApplicationError, CommonErrors

log = logging.getLogger(__name__)

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
LOCK_NOT_AVAILABLE = "55P03"
BUSY_SQLSTATES = {
    DEADLOCK: "deadlock",
    SERIALIZATION_FAILURE: "serialization failure",
    LOCK_NOT_AVAILABLE: "lock timeout",
}
# seconds a client (or the person) is asked to wait before sending the request again:
# the other transaction is usually done within a second or two
RETRY_AFTER_SECONDS = 2


class DatabaseBusy(ApplicationError):
    """A transient database conflict (``BUSY_SQLSTATES``): nothing written, try again."""

    status_code = 503

    def __init__(self, sqlstate: str) -> None:
        super().__init__(
            CommonErrors.DATABASE_BUSY,
            _(
                "Data yang sama sedang diubah oleh pengguna lain pada saat yang sama. "
                "Tidak ada yang disimpan; silakan coba lagi sebentar lagi."
            ),
        )
        self.sqlstate = sqlstate
        self.retry_after = RETRY_AFTER_SECONDS


def _sqlstate(exc: BaseException) -> str | None:
    # psycopg2 names it pgcode, psycopg 3 sqlstate
    return getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)


def db_busy_sqlstate(exc: BaseException | None) -> str | None:
    """The SQLSTATE of a transient conflict ``exc`` stands for (Django's wrapped
    ``OperationalError``, or the driver's own error from a raw cursor such as a COPY),
    or None for anything else."""
    seen = 0
    while exc is not None and seen < 5:  # the error, then what it wraps
        state = _sqlstate(exc)
        if state in BUSY_SQLSTATES:
            return state
        exc, seen = exc.__cause__, seen + 1
    return None


def db_busy_error(exc: BaseException, *, where: str) -> DatabaseBusy | None:
    """``exc`` as ``DatabaseBusy`` when it is a transient conflict (logged at WARNING with
    its SQLSTATE and ``where``: the request's method and path, or the task), else None."""
    if isinstance(exc, DatabaseBusy):
        return exc
    state = db_busy_sqlstate(exc)
    if state is None:
        return None
    log.warning(
        "database busy (%s %s) at %s: nothing written, the client is asked to retry",
        state,
        BUSY_SQLSTATES[state],
        where,
        extra={"sqlstate": state, "where": where},
    )
    return DatabaseBusy(state)
