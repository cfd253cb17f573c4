"""E-mail backends for tests of what happens when the mail server fails."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """Every send is refused, as a mail server that is down or rejects the recipient
    would; ``attempts`` counts the tries."""

    attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        raise smtplib.SMTPRecipientsRefused({"x@contoh.test": (550, b"mailbox unavailable")})
