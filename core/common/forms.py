"""The one way an HTML view shows a service's ``ApplicationError``: on its form, or as a
message when there is no form."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from .errors import ApplicationError


def form_error_message(form: forms.BaseForm) -> str:
    """The first error of ``form``, as one message for the page ("label: error"), for a
    screen that shows its errors as messages."""
    for field, errors in form.errors.items():
        label = str(form.fields[field].label or "") if field in form.fields else ""
        error = str(errors[0])
        # a message that names its field already (parse_rupiah's) is not prefixed again
        return f"{label}: {error}" if label and not error.startswith(label) else error
    return ""


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


class Outcome:
    """What :func:`application_errors_to` saw: ``ok`` is False once an error was shown."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: ApplicationError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@contextmanager
def application_errors_to(form: forms.BaseForm) -> Iterator[Outcome]:
    """Run a service call; an ``ApplicationError`` it raises becomes the form's error
    (:func:`form_error`) instead of propagating::

        with application_errors_to(form) as outcome:
            member = member_create(by=request.user, **form.cleaned_data)
        if outcome.ok:
            return redirect(...)
    """
    outcome = Outcome()
    try:
        yield outcome
    except ApplicationError as exc:
        outcome.error = exc
        form_error(form, exc)


@contextmanager
def application_errors_to_messages(request: HttpRequest) -> Iterator[Outcome]:
    """The same for a view with no form (a button that posts): the error's message is
    shown with ``messages.error`` and the view goes on (usually to a redirect)."""
    outcome = Outcome()
    try:
        yield outcome
    except ApplicationError as exc:
        outcome.error = exc
        messages.error(request, str(exc.message))
