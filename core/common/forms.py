"""The one way an HTML view shows a service's ``ApplicationError`` on its form."""

from __future__ import annotations

from django import forms

from .errors import ApplicationError


def form_error(form: forms.BaseForm, exc: ApplicationError) -> None:
    """Put ``exc`` on ``form``: its message as a form-wide error, then each message in
    ``exc.fields`` on that field, or form-wide when the form has no such field (a message
    equal to the main one, an empty one or the ``"?"`` placeholder is not repeated)."""
    message = str(exc.message)
    form.add_error(None, message)
    for field, msgs in (exc.fields or {}).items():
        for msg in msgs if isinstance(msgs, list | tuple) else [msgs]:
            text = str(msg) if msg is not None else ""
            if not text or text == "?":
                continue
            if field in form.fields:
                form.add_error(field, text)
            elif text != message:
                form.add_error(None, text)
