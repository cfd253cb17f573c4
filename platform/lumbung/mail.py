"""The e-mail backend every message goes through (``EMAIL_BACKEND``): it drops mail sent
from a practice copy of a cooperative (``Cooperative.is_practice``, see tenants.practice)
and hands everything else to the configured delivery backend
(``EMAIL_DELIVERY_BACKEND``, which the ``EMAIL_BACKEND`` environment variable sets).

The practice flag is read from the database by the connection's schema at sending time,
so it holds in requests, in Celery tasks and in ``schema_context`` blocks alike."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection

from tenants.models import Cooperative

log = logging.getLogger(__name__)

_suppressed: ContextVar[bool] = ContextVar("lumbung_mail_suppressed", default=False)


@contextmanager
def mail_suppressed():
    """No e-mail leaves this process inside the block (e.g. building demo data)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def sending_from_practice() -> bool:
    """Whether the current schema is a practice copy's (one indexed query)."""
    schema = getattr(connection, "schema_name", None)
    if not schema or schema == getattr(settings, "PUBLIC_SCHEMA_NAME", "public"):
        return False
    tenant = getattr(connection, "tenant", None)
    if isinstance(tenant, Cooperative) and tenant.schema_name == schema:
        return tenant.is_practice  # a request or a tenant task: the row is at hand
    return Cooperative.objects.filter(schema_name=schema, is_practice=True).exists()


def mail_blocked() -> bool:
    return _suppressed.get() or sending_from_practice()


class PracticeGuardBackend(BaseEmailBackend):
    """Drops the messages of practice copies; delivers the rest through
    ``settings.EMAIL_DELIVERY_BACKEND``."""

    def __init__(self, fail_silently: bool = False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self._kwargs = kwargs
        self._inner: BaseEmailBackend | None = None

    def _delivery(self) -> BaseEmailBackend:
        if self._inner is None:
            self._inner = get_connection(
                settings.EMAIL_DELIVERY_BACKEND, fail_silently=self.fail_silently, **self._kwargs
            )
        return self._inner

    def open(self):
        return self._delivery().open()

    def close(self):
        if self._inner is not None:
            self._inner.close()

    def send_messages(self, email_messages) -> int:
        messages = list(email_messages or [])
        if not messages:
            return 0
        if mail_blocked():
            log.info(
                "E-mail not sent from a practice copy (%s): %d message(s)",
                getattr(connection, "schema_name", "?"),
                len(messages),
            )
            return 0
        return self._delivery().send_messages(messages)
