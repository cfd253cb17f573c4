"""One error type for business rules. Services raise it; the API turns it into
``{"error": {"code", "message", "fields"}}`` and HTML views into a form error."""

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from .text import control_characters_error

# The longest reason a person may give for a correction (a reversal, a reopening, a
# rejection): the forms and the API accept this much, and what they accept is kept whole.
REASON_MAX_LENGTH = 1000


class ApplicationError(Exception):
    status_code = 400

    def __init__(
        self,
        code: "str | StrEnum",
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = str(code)
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status_code = status

    def as_dict(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": str(self.message), "fields": self.fields}}


class CommonErrors(StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    VALIDATION = "validation_error"
    READ_ONLY = "tenant_read_only"
    REASON_TOO_LONG = "reason_too_long"
    DATABASE_BUSY = "database_busy"  # a transient conflict: core.common.db_busy


def text_checked(value: str, *, field: str, label: Any, multiline: bool) -> str:
    """For a service taking text straight from a request: ``value`` as it is, or an
    ``ApplicationError`` (``validation_error``, the message on ``field``) when it holds a
    control character (``text.control_characters_error``)."""
    message = control_characters_error(value, label=label, multiline=multiline)
    if message:
        raise ApplicationError(CommonErrors.VALIDATION, message, fields={field: [message]})
    return value


def reason_required(
    reason: str | None,
    *,
    code: "str | StrEnum",
    field: str = "reason",
    message: str | None = None,
    max_length: int | None = None,
    too_long_code: "str | StrEnum | None" = None,
) -> str:
    """The reason given for an action, stripped; refused (``ApplicationError`` with
    ``code`` and the error on ``field``) when it is empty or only blanks. ``message``:
    the site's own wording (default: "Alasan wajib diisi."). With ``max_length``, a
    longer reason is refused too (``too_long_code``, default ``reason_too_long``),
    naming the limit, never cut. A control character in it is refused
    (``validation_error``; lines and tabs are fine: ``text.control_characters_error``)."""
    text = (reason or "").strip()
    if not text:
        raise ApplicationError(
            code,
            message or _("Alasan wajib diisi."),
            fields={field: [_("Wajib diisi.")]},
        )
    text_checked(text, field=field, label=_("Alasan"), multiline=True)
    if max_length is not None and len(text) > max_length:
        raise ApplicationError(
            too_long_code or CommonErrors.REASON_TOO_LONG,
            _("Alasan terlalu panjang (%(n)s karakter); paling panjang %(max)s karakter.")
            % {"n": len(text), "max": max_length},
            fields={field: [_("Paling panjang %(max)s karakter.") % {"max": max_length}]},
        )
    return text
