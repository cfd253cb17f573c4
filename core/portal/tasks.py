"""Celery tasks of the portal's self-activation (thin wrappers over
``core.portal.activation``), each run in the schema of the cooperative that queued it
(tenant-schemas-celery):

- ``portal_activation_request_task``: the check of what a member typed at
  /masuk/aktifkan/, queued by the request when it commits, whatever was typed — the
  request looks nothing up (``portal_activation_ask``);
- ``portal_activation_mail_task``: the e-mail with the link, queued by the check when it
  matched; a failed send is tried again, then logged (``core.common.mail``).

Their arguments are what the member typed (member number, NIP or date of birth, e-mail),
named so that error reports drop them (``lumbung.observability``)."""

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.utils import translation

from core.common.mail import mail_task_run


@shared_task
def portal_activation_request_task(
    *, number: str, nip: str = "", birth_date: str = "", email: str, language: str = ""
) -> bool:
    """``activation.portal_activation_request`` on what was typed; whether a link is
    e-mailed (nobody who asked learns it)."""
    # import cycle: core.portal.activation queues these tasks
    from .activation import portal_activation_request

    return portal_activation_request(
        number=number,
        nip=nip,
        birth_date=dt.date.fromisoformat(birth_date) if birth_date else None,
        email=email,
        language=language,
    )


@shared_task(bind=True)
def portal_activation_mail_task(self, member_id: int, email: str, language: str = "") -> bool:
    """E-mail member ``member_id`` the activation link for ``email``
    (``activation.activation_mail_send``)."""
    from .activation import activation_mail_send  # import cycle, as above

    def send() -> bool:
        with translation.override(language or settings.LANGUAGE_CODE):
            return activation_mail_send(member_id=member_id, email=email)

    what = f"Portal activation e-mail (member {member_id})"
    return mail_task_run(self, send, what=what, failed=False)
