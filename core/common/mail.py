"""E-mail sent by Celery tasks: a failed send is tried again, then logged.

A request that e-mails somebody — a password-reset or activation link, an invitation, a
sign-up's verification — only queues a task, when its transaction commits
(``transaction.on_commit``): the answer takes the same work whatever the e-mail was
about (whether an address or a member exists), and a mail server's refusal never
reaches the person who asked, nor tells them anything. The task, run by the worker in
the cooperative's schema (tenant-schemas-celery puts the schema on the message), builds
and sends the e-mail. A send that fails is tried again ``MAIL_TASK_RETRIES`` (5) times,
``MAIL_TASK_BACKOFF`` (60) seconds after the first failure and twice as long after each
next one (about half an hour in all); after the last it is logged at ERROR — an event in
Sentry, tagged with the cooperative — and the task ends without raising, so a task run
in-process (no broker: the demo without Redis) cannot turn into an error page either."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from tenant_schemas_celery.task import headers_with_schema

log = logging.getLogger(__name__)
T = TypeVar("T")


def mail_task_retries() -> int:
    return getattr(settings, "MAIL_TASK_RETRIES", 5)


def mail_task_backoff() -> int:
    return getattr(settings, "MAIL_TASK_BACKOFF", 60)


def mail_task_queue_on_commit(task, **kwargs) -> None:
    """Queue mail task ``task`` with ``kwargs`` when the current transaction commits
    (at once outside one), to run in the schema the connection is on now — the
    cooperative the e-mail is about —, whatever it is on when the commit comes."""
    headers = headers_with_schema({})  # {"_schema_name": <the current schema>}
    transaction.on_commit(lambda: task.apply_async(kwargs=kwargs, headers=headers))


def mail_task_run(task, send: Callable[[], T], *, what: str, failed: T) -> T:
    """Run ``send`` (it builds and sends the e-mail of ``task``, a bound task) and return
    what it returns. When it raises: while tries are left, the task is tried again later
    (Celery's ``Retry``; with no broker — the task run in-process — at once, here:
    Celery would raise its ``Retry`` to the caller); after the last, the failure is
    logged at ERROR and ``failed`` returned. ``what`` names the e-mail in the log (never
    its address: logs leave the cooperative)."""
    tries = task.request.retries
    while True:
        tries += 1
        try:
            return send()
        except Exception as exc:
            if tries > mail_task_retries():
                log.error(
                    "%s not sent after %s attempts",
                    what,
                    tries,
                    exc_info=exc,
                    extra={"alert": "mail_not_sent"},
                )
                return failed
            log.warning(
                "%s not sent (attempt %s), tried again: %s", what, tries, type(exc).__name__
            )
            if not task.request.is_eager:
                raise task.retry(
                    exc=exc,
                    countdown=mail_task_backoff() * 2 ** (tries - 1),
                    max_retries=mail_task_retries(),
                ) from None
