"""Refusals the database makes (a trigger guarding an invariant) read as the services'
own refusals.

A trigger raises with a constraint name (``RAISE ... USING CONSTRAINT = 'name'``) and,
if it wants, JSON in DETAIL; the app owning it registers, once at start-up
(``AppConfig.ready``), a function turning that into an ``ApplicationError``. The services
check first, so the trigger only fires if some code path forgot: the user then reads a
clear refusal (the API's JSON error via ``core.common.api.exception_handler``, a page on
the screen via ``core.common.middleware.DbRefusalMiddleware``), not a server error, and
the path is logged to be fixed. ``core.common`` knows no app: the apps register here."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError

from .errors import ApplicationError

log = logging.getLogger(__name__)

# constraint name -> builds the refusal from the DETAIL JSON ({} when none)
_BUILDERS: dict[str, Callable[[dict[str, Any]], ApplicationError]] = {}


def db_refusal_register(
    constraint: str, build: Callable[[dict[str, Any]], ApplicationError]
) -> None:
    _BUILDERS[constraint] = build


def db_refusal_error(exc: BaseException) -> ApplicationError | None:
    """The ``ApplicationError`` a registered database refusal stands for, or None (any
    other error, which stays what it is)."""
    if not isinstance(exc, DatabaseError):
        return None
    diag = getattr(exc.__cause__, "diag", None)
    build = _BUILDERS.get(getattr(diag, "constraint_name", None) or "")
    if build is None:
        return None
    try:
        detail = json.loads(diag.message_detail or "{}")
    except ValueError:
        detail = {}
    log.warning(
        "database refusal %s reached the user: %s",
        diag.constraint_name,
        diag.message_primary,
    )
    return build(detail if isinstance(detail, dict) else {})
