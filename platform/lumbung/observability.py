"""Sentry set-up: tenant tag on every event, personal data (NIK, NIP, bank accounts) scrubbed."""

import re

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

# 16-digit NIK, 18-digit NIP and long bank account numbers
_DIGITS = re.compile(r"\b\d{10,18}\b")
_SENSITIVE_KEYS = {"nik", "nip", "bank_account", "account_number", "password", "npwp"}


def scrub(value):
    if isinstance(value, str):
        return _DIGITS.sub("[Filtered]", value)
    if isinstance(value, dict):
        return {
            k: ("[Filtered]" if str(k).lower() in _SENSITIVE_KEYS else scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def before_send(event, hint):
    for key in ("request", "extra", "contexts", "breadcrumbs", "exception", "logentry"):
        if key in event:
            event[key] = scrub(event[key])
    return event


def init_sentry(*, dsn: str, environment: str, release: str) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        integrations=[
            DjangoIntegration(),
            CeleryIntegration(monitor_beat_tasks=True),
            RedisIntegration(),
        ],
        send_default_pii=False,
        before_send=before_send,
        traces_sample_rate=0.0,
    )


def tag_tenant(schema_name: str) -> None:
    sentry_sdk.set_tag("tenant", schema_name)
