"""The one DRF exception handler: every API error has the same JSON shape."""

import json
import math
import re
from datetime import date

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .db_busy import DatabaseBusy, db_busy_error
from .db_refusals import db_refusal_error
from .errors import ApplicationError


def _shape(code: str, message: str, fields=None, http_status=400) -> Response:
    return Response(
        {"error": {"code": code, "message": str(message), "fields": fields or {}}},
        status=http_status,
    )


def _where(context) -> str:
    request = context.get("request") if context else None
    return f"{request.method} {request.path}" if request is not None else "api"


def exception_handler(exc, context):
    exc = (
        db_refusal_error(exc)  # a trigger's refusal reads as the service's
        or db_busy_error(exc, where=_where(context))  # a deadlock, a lock timeout: retry
        or exc
    )
    if isinstance(exc, DatabaseBusy):
        if connection.in_atomic_block:
            # the request's own transaction (an Idempotency-Key POST runs in one) goes
            # whole: its key row too, so the retry with the same key runs again
            transaction.set_rollback(True)
        response = _shape(exc.code, exc.message, exc.fields, exc.status_code)
        response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, ApplicationError):
        return _shape(exc.code, exc.message, exc.fields, exc.status_code)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return _shape("validation_error", message, fields, status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.Throttled):  # core.common.throttling
        seconds = max(1, math.ceil(exc.wait or 1))
        response = _shape(
            "throttled",
            _("Terlalu banyak permintaan. Coba lagi dalam %(seconds)s detik.")
            % {"seconds": seconds},
            None,
            status.HTTP_429_TOO_MANY_REQUESTS,
        )
        response["Retry-After"] = str(seconds)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        return _shape("validation_error", _("Data tidak valid."), fields, response.status_code)
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", str(exc))
    shaped = _shape(str(code), str(detail), None, response.status_code)
    for header in ("WWW-Authenticate", "Retry-After"):  # DRF's, on a 401 and a 429
        if header in response:
            shaped[header] = response[header]
    return shaped


# --- boundary helpers: parse what a client sends before it reaches a query -----------

# PostgreSQL's bigint: an id outside it can never exist (and would make the query fail).
MAX_ID = 2**63 - 1


def parse_id(raw, field: str) -> int:
    """A positive database id from client text, or a 400 naming ``field``."""
    text = str(raw).strip()
    if not text.isascii() or not text.isdigit() or not (0 < int(text) <= MAX_ID):
        raise exceptions.ValidationError({field: [_("Harus berupa ID (bilangan bulat positif).")]})
    return int(text)


def query_id(request, name: str) -> int | None:
    """The id filter ``?<name>=`` of an API request: None when absent or empty, an int
    when valid, a 400 ``{"error": {"fields": {name: ...}}}`` otherwise (``?member=abc``)."""
    params = getattr(request, "query_params", None) or request.GET
    raw = params.get(name)
    if raw in (None, ""):
        return None
    return parse_id(raw, name)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def query_date(request, name: str) -> date | None:
    """The date filter ``?<name>=YYYY-MM-DD`` of an API request: None when absent or
    empty, a date when valid, a 400 naming the field otherwise (``?on=31-12-2026``,
    ``?on=2026-02-30``) — never a silently unfiltered list."""
    params = getattr(request, "query_params", None) or request.GET
    raw = params.get(name)
    if raw in (None, ""):
        return None
    text = str(raw).strip()
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise exceptions.ValidationError(
            {name: [_("Tanggal harus berformat YYYY-MM-DD.")]}
        ) from None


def query_date_range(
    request, *, start: str = "date_from", end: str = "date_to"
) -> tuple[date | None, date | None]:
    """A list's inclusive date range ``?date_from=&date_to=``: each as ``query_date``;
    a range typed the wrong way round is the range meant, its bounds swapped (as every
    period report does, docs/ledger.md)."""
    low, high = query_date(request, start), query_date(request, end)
    if low and high and high < low:
        low, high = high, low
    return low, high


def date_range_params(of: str) -> list[OpenApiParameter]:
    """The OpenAPI description of ``query_date_range``'s two parameters, ``of`` naming
    the date the list filters on."""
    return [
        OpenApiParameter("date_from", OpenApiTypes.DATE, description=f"{of} ≥ (YYYY-MM-DD)"),
        OpenApiParameter("date_to", OpenApiTypes.DATE, description=f"{of} ≤ (YYYY-MM-DD)"),
    ]


def query_choice(request, name: str, choices) -> str:
    """The filter ``?<name>=`` restricted to ``choices`` (a Django ``TextChoices``):
    "" when absent, the value when known, a 400 listing the known values otherwise."""
    params = getattr(request, "query_params", None) or request.GET
    raw = (params.get(name) or "").strip()
    if raw and raw not in choices.values:
        raise exceptions.ValidationError(
            {name: [_("Nilai tidak dikenal. Pilihan: %(v)s.") % {"v": ", ".join(choices.values)}]}
        )
    return raw


class SafeJSONParser(JSONParser):
    """JSONParser that turns a nesting too deep for Python (RecursionError) into a 400
    instead of a 500, and says in Indonesian where a body stops being JSON (DRF's own
    ``JSON parse error - …`` is English and untranslatable)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(_("JSON terlalu dalam bersarang.")) from None
        except exceptions.ParseError as e:
            cause = e.__context__
            if isinstance(cause, json.JSONDecodeError):
                message = _(
                    "Isi permintaan bukan JSON yang dapat dibaca (baris %(line)s, kolom %(col)s)."
                ) % {"line": cause.lineno, "col": cause.colno}
            else:
                message = _("Isi permintaan bukan JSON yang dapat dibaca (UTF-8).")
            raise exceptions.ParseError(message) from None


def request_object(request) -> dict:
    """The request body as a JSON object (``{}`` when empty); a body of ``null``, ``[]``
    or ``"x"`` is a 400, not an AttributeError later."""
    data = request.data
    if data == "":
        return {}
    if data is None or not hasattr(data, "get") or isinstance(data, (str, bytes)):
        raise exceptions.ValidationError(
            {"non_field_errors": [_("Isi permintaan harus berupa objek JSON.")]}
        )
    return data
