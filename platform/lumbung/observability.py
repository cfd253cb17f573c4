"""Sentry set-up and request context for logs and error reports.

- ``init_sentry``: release and environment, Django, Celery (with beat monitoring) and Redis
  integrations, no default PII (the SDK's safe defaults), and ``before_send`` scrubbing of personal data.
- ``scrub`` / ``before_send``: members' NIK (16 digits), civil servants' NIP (18 digits,
  often written ``19850312 201001 1 002``), NPWP, bank account numbers (``0123-01-000123-30-1``),
  phone numbers and e-mail addresses are replaced by ``[Filtered]`` wherever they appear in an
  event (request body, exception messages, local variables, breadcrumbs, log messages), and
  values under personal keys (``nik``, ``no_rekening``, ``email``, ...) are dropped whole.
- ``UserContextMiddleware``: after authentication, puts the user's id (never name or
  e-mail) on log records and Sentry events.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import sentry_sdk
from django.http import HttpRequest, HttpResponse
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.redis import RedisIntegration

from .logging import request_id_var, task_id_var, tenant_var, user_id_var

FILTERED = "[Filtered]"

# A run of 10-20 digits on its own: NIK (16), NIP (18), bank accounts (10-16), phone numbers.
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])\d{10,20}(?![0-9A-Za-z])")
# The same numbers written in groups: "19850312 201001 1 002", "0123-01-000123-30-1",
# "01.234.567.8-901.000", "0812-3456-7890". Counted as personal from 10 digits on; a
# date-time "2026-11-29 10:00" stops before the colon and stays (8 digits).
_DIGIT_GROUPS = re.compile(r"(?<![0-9A-Za-z])\d{1,8}(?:[-. ]\d{1,8}){1,6}(?![0-9A-Za-z:])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

# Key names whose value is personal or secret, whatever it looks like (matched on the
# key's words: "member_nik", "NoRekening", "no-hp" ...).
_SENSITIVE_WORDS = {
    "nik",
    "nip",
    "npwp",
    "ktp",
    "rekening",
    "norek",
    "iban",
    "password",
    "passwd",
    "secret",
    "token",
    "csrftoken",
    "csrfmiddlewaretoken",
    "sessionid",
    "cookie",
    "cookies",
    "authorization",
    "phone",
    "telepon",
    "hp",
    "email",
    "alamat",
    "address",
}
_SENSITIVE_PHRASES = (
    "bank_account",
    "account_number",
    "account_no",
    "no_rek",
    "ibu_kandung",
    "mother_maiden",
    "tanggal_lahir",
    "date_of_birth",
    "birth_date",
    "x_forwarded_for",
    "x_real_ip",
    "remote_addr",
)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _is_sensitive_key(key: Any) -> bool:
    if not isinstance(key, str):
        return False
    norm = _WORD_SPLIT.sub("_", _CAMEL.sub("_", key).lower()).strip("_")
    if any(phrase in norm for phrase in _SENSITIVE_PHRASES):
        return True
    return any(word in _SENSITIVE_WORDS for word in norm.split("_"))


def _scrub_groups(match: re.Match) -> str:
    text = match.group(0)
    return FILTERED if sum(c.isdigit() for c in text) >= 10 else text


def scrub_text(text: str) -> str:
    text = _EMAIL.sub(FILTERED, text)
    text = _DIGIT_RUN.sub(FILTERED, text)
    return _DIGIT_GROUPS.sub(_scrub_groups, text)


def scrub(value: Any) -> Any:
    """A copy of ``value`` with personal data replaced by ``[Filtered]``."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: (FILTERED if _is_sensitive_key(k) else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


# Parts of an event that describe the platform, not a person: left alone.
_STRUCTURAL_KEYS = {
    "event_id",
    "timestamp",
    "start_timestamp",
    "platform",
    "level",
    "sdk",
    "release",
    "environment",
    "server_name",
    "modules",
    "fingerprint",
    "type",
    "transaction_info",
    "spans",
    "measurements",
}


def before_send(event: dict, hint: dict | None = None) -> dict:
    for key in list(event):
        if key in _STRUCTURAL_KEYS:
            continue
        if key == "user":
            # Only the numeric id: no username, e-mail or IP address.
            user = event["user"] or {}
            event["user"] = {"id": user["id"]} if "id" in user else {}
            continue
        event[key] = scrub(event[key])
    return event


def init_sentry(
    *,
    dsn: str,
    environment: str,
    release: str,
    traces_sample_rate: float = 0.0,
    transport: Any = None,
) -> None:
    options: dict[str, Any] = {}
    if transport is not None:  # tests capture events instead of sending them
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(monitor_beat_tasks=True),
            RedisIntegration(),
            LoggingIntegration(),
        ],
        # Neither send_default_pii (deprecated) nor data_collection: the SDK then collects
        # no user identity, cookies or IP addresses and runs its default EventScrubber;
        # before_send removes the rest.
        include_local_variables=True,
        max_request_body_size="medium",
        before_send=before_send,
        before_send_transaction=before_send,
        traces_sample_rate=traces_sample_rate,
        **options,
    )


def tag_tenant(schema_name: str) -> None:
    sentry_sdk.set_tag("tenant", schema_name)


def tag_user(user_id: Any) -> None:
    sentry_sdk.set_user({"id": str(user_id)} if user_id is not None else None)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """First in the chain: a request id (the proxy's ``X-Request-ID`` when it is sane, else a
    new one) and a clean log context for this request, also for /healthz, /readyz and
    /metrics. Deliberately not reset afterwards: Django's handler logs 4xx/5xx responses
    after the middleware chain and gunicorn logs the access line later still; the next
    request on this thread starts over here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid
        request_id_var.set(rid)
        tenant_var.set("-")
        user_id_var.set("-")
        task_id_var.set("-")
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response


class UserContextMiddleware:
    """After ``AuthenticationMiddleware``: the signed-in user's id on log records and Sentry
    events (the id only; names and e-mail addresses are personal data)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id_var.set(str(user.pk))
            tag_user(user.pk)
        return self.get_response(request)
